"""Demo meetings of ADGMIN, ADGSOM and WG-AI.

- Past meetings of each body, closed, with adopted agendas, decisions, attendance
  and approved minutes (Rev.2 after comments on Rev.1), sealed with their SHA-256.
- The 12th ADGSOM, held three weeks ago: its minutes wait for the chair.
- The 8th WG-AI, held ten days ago: its minutes are circulated for comments
  (Singapore and Myanmar have commented).
- Upcoming: the 13th ADGSOM in five days (virtual, agenda adopted), the 9th WG-AI
  in three weeks (hybrid, Vientiane, the observer invited by name), the 6th
  ADGMIN in about ten weeks (Dili), each with RSVPs attending, not attending and
  pending; a draft 10th WG-AI.
- Venues in Thailand, Malaysia, Singapore, the Philippines, Indonesia, Lao PDR
  and Timor-Leste.

Written as the record of what happened (dates in the past, no e-mails planned).
Idempotent: a meeting is found by body and number and left alone if it exists.
`--scale N` adds `SYNTHETIC_PER_SCALE × (N - 1)` closed synthetic meetings with
their agendas and delegations through the bulk path, so `--scale 1` equals no flag;
their history runs draft, scheduled, agenda adopted, held, closed (delegations:
invited, answered, attended), each step on its day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable

from django.utils import timezone

from secretariat import demo
from secretariat.history import Step, bulk_create_with_past, save_with_reason
from secretariat.models import Membership, MemberState, Role, User

from .models import (
    AgendaItem,
    AgendaStatus,
    Decision,
    DecisionKind,
    Delegation,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    Minutes,
    MinutesComment,
    MinutesStatus,
    MinutesVersion,
    Participant,
    ParticipantRole,
    Purpose,
    Rsvp,
    numbered_agenda,
    ordinal,
    text_sha256,
)

SYNTHETIC_PER_SCALE = 30
SYNTHETIC_FIRST_NUMBER = 1000


@dataclasses.dataclass
class Plan:
    body: str
    number: int
    days: int  # from today; negative is past
    hour: int
    hours: int
    zone: str
    venue: str
    host: str | None
    format: str
    status: str
    minutes: str | None = None  # approved, submitted, circulated
    absent: tuple[str, ...] = ()
    agenda_adopted: bool = True
    rsvp: bool = False
    guests: tuple[str, ...] = ()


PLANS = [
    Plan("ADGMIN", 5, -300, 9, 7, "Asia/Bangkok", "Centara Grand, Bangkok", "THA", MeetingFormat.IN_PERSON,
         MeetingStatus.CLOSED, minutes="approved"),
    Plan("ADGSOM", 11, -150, 9, 6, "Asia/Kuala_Lumpur", "Sasana Kijang, Kuala Lumpur", "MYS", MeetingFormat.HYBRID,
         MeetingStatus.CLOSED, minutes="approved", absent=("LAO",)),
    Plan("WG-AI", 7, -120, 10, 5, "Asia/Singapore", "Marina Bay Sands Expo, Singapore", "SGP",
         MeetingFormat.IN_PERSON, MeetingStatus.CLOSED, minutes="approved"),
    Plan("ADGSOM", 12, -21, 9, 6, "Asia/Manila", "Philippine International Convention Center, Manila", "PHL",
         MeetingFormat.IN_PERSON, MeetingStatus.HELD, minutes="submitted"),
    Plan("WG-AI", 8, -10, 10, 5, "Asia/Jakarta", "ASEAN Secretariat, Jakarta", "IDN", MeetingFormat.HYBRID,
         MeetingStatus.HELD, minutes="circulated", absent=("BRN",)),
    Plan("ADGSOM", 13, 5, 14, 3, "Asia/Kuala_Lumpur", "", None, MeetingFormat.VIRTUAL, MeetingStatus.SCHEDULED,
         rsvp=True),
    Plan("WG-AI", 9, 21, 9, 7, "Asia/Vientiane", "Lao-ITECC, Vientiane", "LAO", MeetingFormat.HYBRID,
         MeetingStatus.SCHEDULED, agenda_adopted=False, rsvp=True, guests=("observer",)),
    Plan("ADGMIN", 6, 72, 9, 8, "Asia/Dili", "Centro de Convenções de Díli", "TLS", MeetingFormat.IN_PERSON,
         MeetingStatus.SCHEDULED, agenda_adopted=False, rsvp=True),
    Plan("WG-AI", 10, 60, 10, 5, "Asia/Ho_Chi_Minh", "National Convention Center, Hanoi", "VNM",
         MeetingFormat.IN_PERSON, MeetingStatus.DRAFT, agenda_adopted=False),
]  # fmt: skip

# (title, purpose, sub-items, decision kind and text or None)
AGENDAS = {
    "WG-AI": [
        ("Opening of the meeting", Purpose.NOTING, [], None),
        ("Adoption of the agenda", Purpose.APPROVAL, [], (DecisionKind.APPROVED, "The meeting adopted the agenda.")),
        ("ASEAN Responsible AI Roadmap 2025-2030: progress", Purpose.NOTING, [
            ("Country updates on national AI governance", Purpose.INFORMATION),
            ("Implementation of the Expanded ASEAN Guide on AI Governance and Ethics: Generative AI",
             Purpose.ENDORSEMENT),
        ], (DecisionKind.NOTED, "The meeting noted the progress reported by member states and the secretariat.")),
        ("ASEAN AI Safety Network: terms of reference", Purpose.ENDORSEMENT, [],
         (DecisionKind.ENDORSED, "The meeting endorsed the terms of reference and referred them to ADGSOM.")),
        ("Shared AI safety evaluation benchmarks for Southeast Asian languages", Purpose.APPROVAL, [],
         (DecisionKind.AD_REFERENDUM, "The meeting agreed ad referendum to pilot shared benchmarks in four languages; "
          "capitals to confirm within four weeks.")),
        ("Other matters", Purpose.NOTING, [], None),
        ("Date and venue of the next meeting", Purpose.NOTING, [], None),
    ],
    "ADGSOM": [
        ("Opening of the meeting", Purpose.NOTING, [], None),
        ("Adoption of the agenda", Purpose.APPROVAL, [], (DecisionKind.APPROVED, "The meeting adopted the agenda.")),
        ("Report of the Working Group on AI Governance", Purpose.ENDORSEMENT, [
            ("ASEAN AI Safety Network: terms of reference", Purpose.ENDORSEMENT),
        ], (DecisionKind.ENDORSED, "The meeting endorsed the report of WG-AI and the terms of reference of the "
            "ASEAN AI Safety Network for the ministers' approval.")),
        ("ASEAN Digital Economy Framework Agreement: digital trust chapter", Purpose.NOTING, [],
         (DecisionKind.NOTED, "The meeting noted the state of negotiations.")),
        ("Preparations for ADGMIN", Purpose.APPROVAL, [],
         (DecisionKind.APPROVED, "The meeting approved the provisional agenda of the next ADGMIN.")),
        ("Other matters", Purpose.NOTING, [], None),
    ],
    "ADGMIN": [
        ("Opening ceremony", Purpose.NOTING, [], None),
        ("Adoption of the agenda", Purpose.APPROVAL, [], (DecisionKind.APPROVED, "The ministers adopted the agenda.")),
        ("Report of ADGSOM", Purpose.APPROVAL, [],
         (DecisionKind.APPROVED, "The ministers approved the report of ADGSOM and the work plan for the coming year.")),
        ("ASEAN AI Safety Network", Purpose.APPROVAL, [],
         (DecisionKind.APPROVED, "The ministers approved the establishment of the ASEAN AI Safety Network.")),
        ("Joint media statement", Purpose.APPROVAL, [],
         (DecisionKind.APPROVED, "The ministers adopted the joint media statement.")),
    ],
}  # fmt: skip

COMMENTS = [
    ("SGP", 2, "Singapore proposes “welcomed” instead of “noted” for the progress reports."),
    ("MMR", None, "Myanmar asks that its country update be reflected in paragraph 3 as delivered."),
    ("PHL", 4, "The Philippines suggests naming the four pilot languages."),
]


def _local(days: int, hour: int, zone: str) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(zone)
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)


def _members(body_id: int) -> dict[int, list[tuple[User, str]]]:
    """The body's current heads and delegates by member state, head of delegation first."""
    found: dict[int, list[tuple[User, str]]] = {}
    rows = (
        Membership.objects.current()
        .filter(body_id=body_id, role__in=[Role.HEAD, Role.DELEGATE], member_state__isnull=False)
        .select_related("person")
        .order_by("member_state_id", "-role", "person__display_name")  # "head" > "delegate": heads first
    )
    for m in rows:
        found.setdefault(m.member_state_id, []).append((m.person, m.role))
    return found


def _agenda(meeting: Meeting, items: list) -> dict[str, AgendaItem]:
    made: dict[str, AgendaItem] = {}
    for position, (title, purpose, subs, _decision) in enumerate(items):
        top = AgendaItem(meeting=meeting, position=position, title=title, purpose=purpose)
        save_with_reason(top, "Demo agenda")
        made[title] = top
        for sub_position, (sub_title, sub_purpose) in enumerate(subs):
            sub = AgendaItem(meeting=meeting, parent=top, position=sub_position, title=sub_title, purpose=sub_purpose)
            save_with_reason(sub, "Demo agenda")
            made[sub_title] = sub
    return made


def _minutes_text(meeting: Meeting, decisions: list[Decision], present: list[str], revision: int) -> str:
    lines = [
        f"# Report of the {meeting.title}",
        "",
        f"The {meeting.title} was held on {meeting.local_start:%-d %B %Y}"
        + (f" at {meeting.venue}" if meeting.venue else " by video conference")
        + f", chaired by {meeting.chair or 'the Chair'}.",
        "",
        f"The meeting was attended by the delegations of {', '.join(present)}"
        + (", and by the ASEAN AI Safe secretariat." if present else "."),
    ]
    by_item = {d.agenda_item_id: d for d in decisions}
    for numbered in numbered_agenda(meeting.agenda_items.all()):
        lines += ["", f"{'#' * (2 + numbered.depth)} {numbered.number}. {numbered.item.title}", ""]
        decision = by_item.get(numbered.item.pk)
        if decision is not None:
            lines.append(decision.text)
        else:
            lines.append("The meeting took note of the item; no decision was required.")
    if revision > 1:
        lines += ["", "*This revision reflects the comments received from delegations.*"]
    return "\n".join(lines) + "\n"


def _seed_meeting(plan: Plan, network: demo.Network, log: Callable[[str], None]) -> Meeting | None:
    body = network.bodies[plan.body]
    if Meeting.objects.filter(body=body, number=plan.number).exists():
        return None
    people = network.people
    officer = people["secretariat"]
    start = _local(plan.days, plan.hour, plan.zone)
    end = start + dt.timedelta(hours=plan.hours)
    now = timezone.now()
    meeting = Meeting(
        body=body,
        number=plan.number,
        title=f"{ordinal(plan.number)} {plan.body}",
        format=plan.format,
        venue=plan.venue,
        host_state=network.states.get(plan.host) if plan.host else None,
        video_link="https://meet.asean-ai-safe.example/" + f"{plan.body}-{plan.number}".lower()
        if plan.format != MeetingFormat.IN_PERSON
        else "",
        start=start,
        end=end,
        time_zone=plan.zone,
        status=plan.status,
        created_at=min(now, start - dt.timedelta(days=45)),
    )
    if plan.agenda_adopted and plan.status != MeetingStatus.DRAFT:
        meeting.agenda_status = AgendaStatus.ADOPTED
        meeting.agenda_adopted_at = min(now, start + dt.timedelta(minutes=20))
        meeting.agenda_adopted_by = meeting.chair or officer
    save_with_reason(meeting, f"Demo: {meeting.get_status_display().lower()} meeting")

    members = _members(body.pk)
    delegations = {}
    for state_id in sorted(members):
        delegation = Delegation(meeting=meeting, member_state_id=state_id)
        save_with_reason(delegation, "Delegation invited")
        delegations[state_id] = delegation
    states = {s.pk: s for s in MemberState.objects.filter(pk__in=members)}
    items = _agenda(meeting, AGENDAS[plan.body])
    past = plan.days < 0

    # Answers: past meetings were attended by all but the absent; upcoming ones are mixed.
    for index, (state_id, delegation) in enumerate(sorted(delegations.items(), key=lambda kv: states[kv[0]].code)):
        code = states[state_id].code
        if past:
            answer = Rsvp.NOT_ATTENDING if code in plan.absent else Rsvp.ATTENDING
        elif not plan.rsvp:
            continue
        else:
            # Singapore and Myanmar stay pending so their demo accounts have something to answer.
            answer = [Rsvp.ATTENDING, Rsvp.ATTENDING, Rsvp.NOT_ATTENDING, Rsvp.PENDING][index % 4]
            if code in ("SGP", "MMR"):
                answer = Rsvp.PENDING
        if answer == Rsvp.PENDING:
            continue
        head, _role = members[state_id][0]
        delegation.rsvp = answer
        delegation.answered_at = min(now, start - dt.timedelta(days=7 if past else 1))
        delegation.answered_by = head
        if past:
            delegation.attended = answer == Rsvp.ATTENDING
        save_with_reason(delegation, f"{states[state_id]} answered: {Rsvp(answer).label}")
        if answer == Rsvp.ATTENDING:
            for person, role in members[state_id][:2]:
                participant = Participant(
                    meeting=meeting,
                    delegation=delegation,
                    person=person,
                    role=ParticipantRole.HEAD if role == Role.HEAD else ParticipantRole.DELEGATE,
                    rsvp=Rsvp.ATTENDING,
                    attended=True if past else None,
                    designation=f"{'Head of delegation' if role == Role.HEAD else 'Delegate'}, {states[state_id]}",
                )
                save_with_reason(participant, f"Named by {states[state_id]}")
    for key in plan.guests:
        guest = Participant(
            meeting=meeting,
            person=people[key],
            role=ParticipantRole.GUEST,
            designation=people[key].organisation,
            attended=True if past else None,
        )
        save_with_reason(guest, "Invited by name")

    decisions = []
    if past:
        for title, _purpose, _subs, decided in AGENDAS[plan.body]:
            if decided is None:
                continue
            kind, text = decided
            decision = Decision(
                meeting=meeting,
                agenda_item=items[title],
                kind=kind,
                text=text,
                recorded_by=officer,
                recorded_at=min(now, end - dt.timedelta(hours=1)),
            )
            save_with_reason(decision, "Decision recorded")
            decisions.append(decision)
    if plan.minutes:
        present = sorted(s.name for s in states.values() if s.code not in plan.absent)
        _seed_minutes(meeting, plan, decisions, present, network, comments=plan.minutes == "circulated")
    log(f"  {meeting.title} ({meeting.get_status_display().lower()}) at {meeting.venue or 'video conference'}")
    return meeting


def _seed_minutes(
    meeting: Meeting,
    plan: Plan,
    decisions: list[Decision],
    present: list[str],
    network: demo.Network,
    *,
    comments: bool,
) -> None:
    officer = network.people["secretariat"]
    now = timezone.now()
    held = meeting.end
    minutes = Minutes(meeting=meeting)
    save_with_reason(minutes, "Draft started")
    rev1 = MinutesVersion(
        minutes=minutes,
        number=1,
        text=_minutes_text(meeting, decisions, present, 1),
        created_by=officer,
        created_at=min(now, held + dt.timedelta(days=2)),
    )
    if plan.minutes == "submitted":
        rev1.submitted_at = min(now, held + dt.timedelta(days=19))
        save_with_reason(rev1, "Submitted to the chair")
        minutes.status = MinutesStatus.SUBMITTED
        minutes.submitted_at = rev1.submitted_at
        minutes.submitted_by = officer
        save_with_reason(minutes, f"Rev.1 submitted to {meeting.chair}")
        return
    rev1.circulated_at = min(now, held + dt.timedelta(days=3))
    save_with_reason(rev1, "Circulated for comments")
    minutes.status = MinutesStatus.CIRCULATED
    minutes.comment_deadline = rev1.circulated_at + dt.timedelta(days=14)
    save_with_reason(minutes, "Rev.1 circulated for comments")
    for code, paragraph, text in COMMENTS:
        state = network.states[code]
        author = Membership.objects.current().filter(body=meeting.body, member_state=state, role=Role.HEAD).first()
        if author is None or not meeting.delegations.filter(member_state=state).exists():
            continue
        comment = MinutesComment(
            version=rev1,
            member_state=state,
            author=author.person,
            paragraph=paragraph,
            text=text,
            created_at=min(now, rev1.circulated_at + dt.timedelta(days=2)),
        )
        save_with_reason(comment, f"Comment by {state}")
    if comments:
        return
    chair = meeting.chair or officer
    rev2 = MinutesVersion(
        minutes=minutes,
        number=2,
        text=_minutes_text(meeting, decisions, present, 2),
        created_by=officer,
        created_at=minutes.comment_deadline + dt.timedelta(days=1),
        submitted_at=minutes.comment_deadline + dt.timedelta(days=2),
    )
    rev2.approved_at = rev2.submitted_at + dt.timedelta(days=3)
    rev2.approved_by = chair
    rev2.sha256 = text_sha256(rev2.text)
    save_with_reason(rev2, f"Approved by the chair; SHA-256 {rev2.sha256}")
    minutes.status = MinutesStatus.APPROVED
    minutes.submitted_at = rev2.submitted_at
    minutes.submitted_by = officer
    save_with_reason(minutes, f"Rev.2 approved by {chair}")


def _seed_volume(network: demo.Network, scale: int) -> int:
    """Closed synthetic meetings, numbered from 1000, with agendas and delegations (bulk path)."""
    wanted = SYNTHETIC_PER_SCALE * (scale - 1)
    if wanted <= 0:
        return 0
    bodies = [network.bodies[code] for code in ("ADGMIN", "ADGSOM", "WG-AI")]
    existing = set(Meeting.objects.filter(number__gte=SYNTHETIC_FIRST_NUMBER).values_list("body_id", "number"))
    plans = []
    for n in range(wanted):
        body = bodies[n % len(bodies)]
        number = SYNTHETIC_FIRST_NUMBER + n // len(bodies)
        if (body.pk, number) not in existing:
            plans.append((n, body, number))
    if not plans:
        return 0
    officer = network.people["secretariat"]
    meetings = []
    for n, body, number in plans:
        start = _local(-400 - (n * 3250) // wanted, 9, "Asia/Kuala_Lumpur")  # the ten years before the demo
        meetings.append(
            Meeting(
                body=body,
                number=number,
                title=f"{ordinal(number)} {body.code} (synthetic)",
                format=MeetingFormat.VIRTUAL,
                start=start,
                end=start + dt.timedelta(hours=3),
                time_zone="Asia/Kuala_Lumpur",
                status=MeetingStatus.CLOSED,
                agenda_status=AgendaStatus.ADOPTED,
                agenda_adopted_at=start,
                agenda_adopted_by=officer,
                created_at=start - dt.timedelta(days=30),
            )
        )
    bulk_create_with_past(meetings, lambda m: _meeting_steps(m, officer))
    created = list(
        Meeting.objects.filter(number__gte=SYNTHETIC_FIRST_NUMBER).exclude(
            pk__in=AgendaItem.objects.filter(meeting__number__gte=SYNTHETIC_FIRST_NUMBER).values("meeting_id")
        )
    )
    members = {body.pk: _members(body.pk) for body in bodies}
    items = [
        AgendaItem(meeting=m, position=p, title=title, purpose=Purpose.NOTING, outcome="The meeting noted the item.")
        for m in created
        for p, title in enumerate(("Opening of the meeting", "Adoption of the agenda", "Reports", "Other matters"))
    ]
    by_pk = {m.pk: m for m in created}
    bulk_create_with_past(items, lambda i: _agenda_steps(by_pk[i.meeting_id], officer))
    delegations = [
        Delegation(
            meeting=m,
            member_state_id=state_id,
            rsvp=Rsvp.ATTENDING,
            answered_at=m.created_at + dt.timedelta(days=10),
            answered_by=people[0][0],
            attended=True,
        )
        for m in created
        for state_id, people in sorted(members[m.body_id].items())
    ]
    states = {state.pk: state for state in network.states.values()}
    bulk_create_with_past(
        delegations, lambda d: _delegation_steps(d, by_pk[d.meeting_id], states[d.member_state_id], officer)
    )
    return len(created)


def _meeting_steps(meeting: Meeting, officer: User) -> list[Step]:
    """Drafted a month ahead, scheduled the next day, agenda adopted, held, closed a month later."""
    draft = {"agenda_status": AgendaStatus.DRAFT, "agenda_adopted_at": None, "agenda_adopted_by": None}
    return [
        Step(meeting.created_at, "Meeting created as a draft", {**draft, "status": MeetingStatus.DRAFT}, officer),
        Step(
            meeting.created_at + dt.timedelta(days=1),
            "Scheduled; invitations sent",
            {**draft, "status": MeetingStatus.SCHEDULED},
            officer,
        ),
        Step(meeting.start, "Agenda adopted", {"status": MeetingStatus.SCHEDULED}, officer),
        Step(meeting.end, "Marked as held", {"status": MeetingStatus.HELD}, officer),
        Step(meeting.end + dt.timedelta(days=30), "Closed", {}, officer),
    ]


def _agenda_steps(meeting: Meeting, officer: User) -> list[Step]:
    """Added when the meeting was scheduled; its outcome recorded on the day."""
    return [
        Step(meeting.created_at + dt.timedelta(days=1), "Item added", {"outcome": ""}, officer),
        Step(meeting.end, "Outcome recorded", {}, officer),
    ]


def _delegation_steps(delegation: Delegation, meeting: Meeting, state: MemberState, officer: User) -> list[Step]:
    """Invited when the meeting was scheduled, answered ten days on, attendance recorded on the day."""
    answer = f"{state} answered: {Rsvp.ATTENDING.label}"
    pending = {"rsvp": Rsvp.PENDING, "answered_at": None, "answered_by": None, "attended": None}
    return [
        Step(meeting.created_at + dt.timedelta(days=1), "Delegation invited", pending, officer),
        Step(delegation.answered_at, answer, {"attended": None}, delegation.answered_by),
        Step(meeting.end, "Attendance recorded", {}, officer),
    ]


def seed_meetings(network: demo.Network, *, scale: int = 1, log: Callable[[str], None] = print) -> None:
    log("Meetings:")
    for plan in PLANS:
        _seed_meeting(plan, network, log)
    added = _seed_volume(network, scale)
    if added:
        log(f"  {added} synthetic meetings")


demo.register(seed_meetings)
