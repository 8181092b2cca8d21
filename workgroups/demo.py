"""Demo work plan and action items.

- WG-AI's work plan: eight tasks serving the ASEAN Responsible AI Roadmap
  2025-2030, the ASEAN Guide on AI Governance and Ethics and its expansion on
  generative AI, the ASEAN Digital Masterplan 2025 and DEFA, in every status.
- Action items in every state: open, in progress, done (with a note), dropped
  (with a reason); some overdue, some due within days; owned by several member
  states (Singapore's head, delegate.sgp, sees several of its own), by named
  persons and by the secretariat; threads of progress updates.
- ADGSOM and ADGMIN items, which a WG-AI-only delegate (delegate.mmr) cannot see.
- Referrals: a task referred to ADGSOM for endorsement (waiting), an item
  referred for noting (noted).

Written as the record of what happened (dates in the past, no e-mails planned).
Idempotent: tasks and items are found by body and title. `--scale N` adds
`SYNTHETIC_PER_SCALE × (N - 1)` synthetic items through the bulk path, so
`--scale 1` equals no flag; each with its past (recorded, due date moved,
started, closed, a thread of notes), each step a historical row on its day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from secretariat import demo
from secretariat.history import Step, bulk_create_with_past, save_with_reason
from secretariat.models import Body, Membership, MemberState, Role, User

from .models import (
    ActionItem,
    ActionItemStatus,
    Assignment,
    Framework,
    OwnerKind,
    Priority,
    ProgressUpdate,
    Referral,
    ReferralOutcome,
    ReferralPurpose,
    Task,
    TaskLeadState,
    TaskStatus,
    UpdateKind,
)

# About 100,000 items at --scale 100, as issue 8 sizes a secretariat's decade.
SYNTHETIC_PER_SCALE = 1010
SYNTHETIC_PREFIX = "Synthetic follow-up"

OPEN, WIP, DONE, DROP = (
    ActionItemStatus.OPEN,
    ActionItemStatus.IN_PROGRESS,
    ActionItemStatus.DONE,
    ActionItemStatus.DROPPED,
)

# (title, framework, framework line, lead states, start and end in months from today, status, shared)
TASKS = [
    (
        "National implementation of the ASEAN Guide on AI Governance and Ethics",
        Framework.GUIDE,
        "National-level recommendations: reports on uptake by each member state",
        ["SGP", "MYS"],
        (-14, 4),
        TaskStatus.ACTIVE,
        True,
    ),
    (
        "Generative AI safeguards toolkit",
        Framework.GENAI,
        "Policy actions on accountability, content provenance and incident reporting",
        ["SGP", "VNM"],
        (-8, 8),
        TaskStatus.ACTIVE,
        False,
    ),
    (
        "Regional AI safety testing and evaluation network",
        Framework.ROADMAP,
        "Roadmap 2025-2030: AI safety institutes, testing and evaluation",
        ["SGP", "THA", "IDN"],
        (-6, 18),
        TaskStatus.ACTIVE,
        False,
    ),
    (
        "AI incident reporting template and regional register",
        Framework.ROADMAP,
        "Roadmap 2025-2030: incident monitoring and information sharing",
        ["MYS", "IDN"],
        (-4, 10),
        TaskStatus.ACTIVE,
        False,
    ),
    (
        "AI governance capacity building for Cambodia, Lao PDR, Myanmar and Timor-Leste",
        Framework.ROADMAP,
        "Roadmap 2025-2030: capacity building and talent",
        ["KHM", "LAO", "MMR", "TLS"],
        (2, 20),
        TaskStatus.PLANNED,
        True,
    ),
    (
        "Trusted data flows for AI under DEFA",
        Framework.DEFA,
        "Emerging technologies chapter: AI and cross-border data",
        ["IDN", "PHL"],
        (-2, 12),
        TaskStatus.ON_HOLD,
        False,
    ),
    (
        "Digital Masterplan 2025 close-out: AI outcomes review",
        Framework.MASTERPLAN,
        "Desired outcome 8: a digitally inclusive society; enabling actions on AI",
        ["BRN", "MYS"],
        (-18, -3),
        TaskStatus.COMPLETED,
        True,
    ),
    (
        "Public sector AI procurement guidelines",
        Framework.GUIDE,
        "Guiding principles: transparency, human-centricity, accountability",
        ["PHL", "THA"],
        (-5, 7),
        TaskStatus.ACTIVE,
        False,
    ),
]

# (body, task index or None, title, owner state or "persons:<person key>" or "secretariat",
#  due in days from today, status, priority, shared with observers, thread)
ITEMS = [
    (
        "WG-AI",
        0,
        "Submit Singapore's national implementation report on the Guide",
        "SGP",
        -6,
        WIP,
        Priority.HIGH,
        False,
        ["Draft cleared by IMDA; awaiting the ministry's sign-off."],
    ),
    (
        "WG-AI",
        1,
        "Pilot the content provenance checklist with two national agencies",
        "SGP",
        4,
        WIP,
        Priority.HIGH,
        False,
        ["GovTech and one statutory board agreed to pilot."],
    ),
    (
        "WG-AI",
        2,
        "Share Singapore's AI Verify testing results for the regional baseline",
        "SGP",
        12,
        OPEN,
        Priority.NORMAL,
        False,
        [],
    ),
    ("WG-AI", 2, "Host the first regional red-teaming exercise", "SGP", 45, OPEN, Priority.NORMAL, False, []),
    (
        "WG-AI",
        0,
        "Circulate the template for national implementation reports",
        "SGP",
        -40,
        DONE,
        Priority.NORMAL,
        True,
        [],
    ),
    (
        "WG-AI",
        0,
        "Submit Malaysia's national implementation report on the Guide",
        "MYS",
        -6,
        OPEN,
        Priority.HIGH,
        False,
        [],
    ),
    (
        "WG-AI",
        3,
        "Draft the incident reporting template (version for comments)",
        "MYS",
        2,
        WIP,
        Priority.HIGH,
        False,
        ["First draft shared with Indonesia for a joint review."],
    ),
    ("WG-AI", 3, "Propose the fields of the regional incident register", "IDN", 20, OPEN, Priority.NORMAL, False, []),
    (
        "WG-AI",
        2,
        "Nominate Thailand's national testing institute as network member",
        "THA",
        -12,
        OPEN,
        Priority.NORMAL,
        False,
        [],
    ),
    (
        "WG-AI",
        4,
        "Assess AI governance training needs of the Myanmar delegation",
        "MMR",
        30,
        OPEN,
        Priority.NORMAL,
        True,
        [],
    ),
    (
        "WG-AI",
        4,
        "Translate the Guide's executive summary into Burmese",
        "MMR",
        -3,
        WIP,
        Priority.LOW,
        False,
        ["Translation at 70%; terminology checked against the ministry's glossary."],
    ),
    (
        "WG-AI",
        1,
        "Summarise national positions on watermarking of generated content",
        "VNM",
        9,
        OPEN,
        Priority.NORMAL,
        False,
        [],
    ),
    ("WG-AI", 5, "Map DEFA data provisions relevant to AI training data", "PHL", -25, DROP, Priority.LOW, False, []),
    ("WG-AI", 7, "Collect public sector AI procurement clauses in use", "PHL", 15, WIP, Priority.NORMAL, False, []),
    ("WG-AI", 6, "Report AI outcomes of the Digital Masterplan 2025", "BRN", -90, DONE, Priority.NORMAL, True, []),
    (
        "WG-AI",
        None,
        "Update the WG-AI terms of reference for the 2026-2027 term",
        "secretariat",
        6,
        OPEN,
        Priority.HIGH,
        True,
        [],
    ),
    (
        "WG-AI",
        None,
        "Compile dialogue partners' AI safety institute contacts",
        "persons:delegate_sgp",
        25,
        OPEN,
        Priority.LOW,
        False,
        [],
    ),
    ("ADGSOM", None, "Endorse WG-AI's report to the ministers", "SGP", 10, OPEN, Priority.HIGH, False, []),
    (
        "ADGSOM",
        None,
        "Consolidate member states' comments on the AI safety network charter",
        "MYS",
        -4,
        WIP,
        Priority.HIGH,
        False,
        ["Comments received from eight member states."],
    ),
    ("ADGSOM", None, "Confirm Indonesia's hosting of the 7th ADGSOM", "IDN", 21, OPEN, Priority.NORMAL, False, []),
    (
        "ADGSOM",
        None,
        "Prepare the ADGSOM work programme on AI for 2026",
        "secretariat",
        -35,
        DONE,
        Priority.NORMAL,
        False,
        [],
    ),
    (
        "ADGMIN",
        None,
        "Finalise the ministerial statement on AI safety",
        "secretariat",
        18,
        WIP,
        Priority.HIGH,
        False,
        ["Third draft with the chair; two brackets remain."],
    ),
    ("ADGMIN", None, "Confirm ministerial attendance for the signing", "VNM", 5, OPEN, Priority.NORMAL, False, []),
    (
        "ADGMIN",
        None,
        "Brief ministers on the regional AI safety testing network",
        "THA",
        -60,
        DROP,
        Priority.LOW,
        False,
        [],
    ),
]


def _months(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.month - 1 + months, 12)
    return dt.date(today.year + year, month + 1, 1)


def _tasks(body: Body, officer: User, states: dict[str, MemberState], today: dt.date) -> list[Task]:
    tasks = []
    for title, framework, line, leads, (start, end), status, shared in TASKS:
        task = Task.objects.filter(body=body, title=title).first()
        if task is None:
            task = Task(
                body=body,
                title=title,
                framework=framework,
                framework_line=line,
                start=_months(today, start),
                end=_months(today, end) - dt.timedelta(days=1),
                status=status,
                shared_with_observers=shared,
                created_by=officer,
                created_at=timezone.now() - dt.timedelta(days=400),
            )
            save_with_reason(task, "Demo work plan")
            for code in leads:
                save_with_reason(TaskLeadState(task=task, member_state=states[code]), "Demo lead state")
        tasks.append(task)
    return tasks


def _item(spec: tuple, network: demo.Network, tasks: list[Task], officer: User, now: dt.datetime) -> None:
    body_code, task_index, title, owner, due, status, priority, shared, thread = spec
    body = network.bodies[body_code]
    if ActionItem.objects.filter(body=body, title=title).exists():
        return
    today = timezone.localdate(now)
    due_date = today + dt.timedelta(days=due)
    task = tasks[task_index] if task_index is not None else None
    created = now - dt.timedelta(days=max(30, 20 - due))
    if task is not None:
        created = max(created, timezone.make_aware(dt.datetime.combine(task.start, dt.time(9))))
    item = ActionItem(
        body=body,
        task=task,
        title=title,
        due_date=due_date,
        priority=priority,
        status=status,
        shared_with_observers=shared,
        created_by=officer,
        created_at=created,
    )
    people: list[User] = []
    if owner == "secretariat":
        item.owner_kind = OwnerKind.SECRETARIAT
    elif owner.startswith("persons:"):
        item.owner_kind = OwnerKind.PERSONS
        people = [network.people[owner.split(":", 1)[1]]]
    else:
        item.owner_kind, item.owner_state = OwnerKind.STATE, network.states[owner]
    if status in (WIP, DONE):
        item.started_at = created + dt.timedelta(days=3)
    if status == DONE:
        item.completion_note = "Delivered and circulated to delegations; see the meeting documents."
        item.closed_at = min(now, timezone.make_aware(dt.datetime.combine(due_date, dt.time(10))))
    if status == DROP:
        item.drop_reason = "Overtaken by the decision to fold this work into the Roadmap's mid-term review."
        item.closed_at = min(now, timezone.make_aware(dt.datetime.combine(due_date, dt.time(10))))
    save_with_reason(item, "Demo action item")
    for person in people:
        save_with_reason(Assignment(action_item=item, person=person), "Demo assignment")
    author = network.people["delegate_sgp"] if item.owner_state_id == network.states["SGP"].pk else officer
    for n, text in enumerate(thread):
        update = ProgressUpdate(
            action_item=item,
            author=author,
            member_state=item.owner_state,
            text=text,
            created_at=created + dt.timedelta(days=7 + n),
        )
        save_with_reason(update, "Demo progress update")
    if item.closed_at:
        closing = ProgressUpdate(
            action_item=item,
            kind=UpdateKind.STATUS,
            author=officer,
            status=status,
            text=item.completion_note or item.drop_reason,
            created_at=item.closed_at,
        )
        save_with_reason(closing, "Demo status change")


def _referrals(network: demo.Network, tasks: list[Task], officer: User, now: dt.datetime) -> None:
    wgai, adgsom = network.bodies["WG-AI"], network.bodies["ADGSOM"]
    task = tasks[2]
    if not Referral.objects.filter(task=task).exists():
        referral = Referral(
            task=task,
            from_body=wgai,
            to_body=adgsom,
            purpose=ReferralPurpose.ENDORSEMENT,
            note="WG-AI asks ADGSOM to endorse the network's terms of reference at its next meeting.",
            referred_by=network.people["chair_wgai"],
            referred_at=now - dt.timedelta(days=9),
        )
        save_with_reason(referral, "Demo referral")
    item = ActionItem.objects.filter(
        body=wgai, title__startswith="Report AI outcomes of the Digital Masterplan"
    ).first()
    if item is not None and not Referral.objects.filter(action_item=item).exists():
        referral = Referral(
            action_item=item,
            from_body=wgai,
            to_body=adgsom,
            purpose=ReferralPurpose.NOTING,
            referred_by=officer,
            referred_at=now - dt.timedelta(days=80),
            outcome=ReferralOutcome.NOTED,
            outcome_note="ADGSOM noted the report with appreciation.",
            decided_by=network.people["chair_adgsom"],
            decided_at=now - dt.timedelta(days=60),
        )
        save_with_reason(referral, "Demo referral")


def _synthetic(network: demo.Network, officer: User, scale: int, now: dt.datetime) -> int:
    """SYNTHETIC_PER_SCALE × (scale - 1) items across the three bodies, every status, through the bulk path."""
    wanted = SYNTHETIC_PER_SCALE * (scale - 1)
    have = ActionItem.objects.filter(title__startswith=SYNTHETIC_PREFIX).count()
    if have >= wanted:
        return 0
    today = timezone.localdate(now)
    bodies = [network.bodies[code] for code in ("WG-AI", "ADGSOM", "ADGMIN")]
    # Ten years of due dates, the newest first: items older than four months are
    # closed, as a real register is; recent ones take every status.
    span = max(wanted, 1)
    states = sorted(network.states.values(), key=lambda s: s.code)
    statuses = [OPEN, OPEN, WIP, WIP, DONE, DROP]
    items = []
    for n in range(have, wanted):
        # Bodies cycle every item, statuses every three: each body gets every status.
        age = (n * 3650) // span  # days back from today, spread over ten years
        due = today + dt.timedelta(days=80 - age) if age > 120 else today + dt.timedelta(days=(n % 120) - 40)
        status = statuses[(n // len(bodies)) % len(statuses)]
        if age > 120 and status in (OPEN, WIP):
            status = DONE
        created = min(now, timezone.make_aware(dt.datetime.combine(due, dt.time(9)))) - dt.timedelta(days=60)
        closed = created + dt.timedelta(days=20) if status in (DONE, DROP) else None
        items.append(
            ActionItem(
                body=bodies[n % len(bodies)],
                title=f"{SYNTHETIC_PREFIX} {n + 1}",
                owner_kind=OwnerKind.STATE,
                owner_state=states[n % len(states)],
                due_date=due,
                priority=Priority.values[n % 3],
                status=status,
                completion_note="Delivered." if status == DONE else "",
                drop_reason="No longer needed." if status == DROP else "",
                started_at=created + dt.timedelta(days=5) if status in (WIP, DONE) else None,
                closed_at=closed,
                created_by=officer,
                created_at=created,
            )
        )
    people = _state_people(network, officer)
    created = bulk_create_with_past(items, lambda item: _item_steps(item, people), batch_size=1000)
    _synthetic_threads(created, people)
    return len(items)


def _state_people(network: demo.Network, officer: User) -> dict[int | None, User]:
    """Who speaks for each member state on WG-AI (its head), the secretariat for the rest."""
    heads = Membership.objects.filter(body=network.bodies["WG-AI"], role=Role.HEAD, end__isnull=True)
    people: dict[int | None, User] = {None: officer}
    people.update((m.member_state_id, m.person) for m in heads.select_related("person"))
    return people


def _item_steps(item: ActionItem, people: dict[int | None, User]) -> list[Step]:
    """Recorded open by the secretariat, started and closed by its owner state, each on its day.

    Every other item's due date was put back a month a few days after it was recorded.
    """
    owner = people.get(item.owner_state_id, people[None])
    recorded = {"status": OPEN, "started_at": None, "closed_at": None, "completion_note": "", "drop_reason": ""}
    steps = [Step(item.created_at, "Recorded", recorded, by=people[None])]
    if item.pk % 2:
        steps[0].values = {**recorded, "due_date": item.due_date - dt.timedelta(days=30)}
        steps.append(Step(item.created_at + dt.timedelta(days=3), "Edited", recorded, by=people[None]))
    if item.started_at is not None:
        values = {"status": WIP, "closed_at": None, "completion_note": "", "drop_reason": ""}
        steps.append(Step(item.started_at, "Work started", values if item.closed_at else {}, by=owner))
    if item.closed_at is not None:
        reason = f"Done: {item.completion_note}" if item.status == DONE else f"Dropped: {item.drop_reason}"
        steps.append(Step(item.closed_at, reason, by=owner if item.status == DONE else people[None]))
    return steps


# A synthetic item's notes, days after it was recorded.
THREAD = (
    (2, "Consultations with the national agencies are under way."),
    (9, "A first draft has been shared with the working group for comments."),
    (14, "Comments received; the national report is being finalised."),
)


def _synthetic_threads(items: list[ActionItem], people: dict[int | None, User]) -> None:
    """Each new synthetic item's thread: notes from its owner state, and its status changes."""
    updates = []
    for item in items:
        owner = people.get(item.owner_state_id, people[None])
        for days, text in THREAD:
            updates.append(
                ProgressUpdate(
                    action_item_id=item.pk,
                    author=owner,
                    member_state_id=item.owner_state_id,
                    text=text,
                    created_at=item.created_at + dt.timedelta(days=days),
                )
            )
        for moment, new_status in ((item.started_at, WIP), (item.closed_at, item.status)):
            if moment is not None:
                updates.append(
                    ProgressUpdate(
                        action_item_id=item.pk,
                        kind=UpdateKind.STATUS,
                        status=new_status,
                        author=owner,
                        member_state_id=item.owner_state_id,
                        text="Delivered." if new_status == DONE else "Status changed.",
                        created_at=moment,
                    )
                )
    labels = {kind: str(label) for kind, label in UpdateKind.choices}
    bulk_create_with_past(updates, lambda u: [Step(u.created_at, labels[u.kind], by=u.author)], batch_size=1000)


def seed_work(network: demo.Network, *, scale: int = 1, log: Callable[[str], object] = print) -> None:
    officer = network.people["secretariat"]
    now = timezone.now()
    tasks = _tasks(network.bodies["WG-AI"], officer, network.states, timezone.localdate(now))
    for spec in ITEMS:
        _item(spec, network, tasks, officer, now)
    _referrals(network, tasks, officer, now)
    added = _synthetic(network, officer, scale, now) if scale > 1 else 0
    log(
        f"Work plan: {Task.objects.count()} tasks, {ActionItem.objects.count()} action items ({added} synthetic added)."
    )


demo.register(seed_work)
