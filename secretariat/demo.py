"""The demo network: member states, bodies, the contract's demo accounts, delegations.

Everything is looked up before it is created, so seeding twice is a no-op.
Apps above this one add their own demo records with `register(seeder)`; the
seed command calls each seeder with the network built here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .history import bulk_create_with_history, save_with_reason
from .models import Body, Membership, MemberState, Role, User, secretariat_group

DOMAIN = "asean-ai-safe.example"


@dataclasses.dataclass
class Network:
    states: dict[str, MemberState]
    bodies: dict[str, Body]
    people: dict[str, User]


Seeder = Callable[..., None]
_seeders: list[Seeder] = []


def register(seeder: Seeder) -> Seeder:
    if seeder not in _seeders:
        _seeders.append(seeder)
    return seeder


def seeders() -> list[Seeder]:
    return list(_seeders)


BODIES = [
    ("ADGMIN", "ASEAN Digital Ministers' Meeting", None, "The ministers responsible for digital affairs."),
    (
        "ADGSOM",
        "ASEAN Digital Senior Officials' Meeting",
        "ADGMIN",
        "Senior officials preparing the ministers' decisions.",
    ),
    (
        "WG-AI",
        "Working Group on AI Governance",
        "ADGSOM",
        "Implements the ASEAN Guide on AI Governance and Ethics and the Responsible AI Roadmap 2025-2030.",
    ),
]

# Given and family names per state for the synthetic delegations (plausible, invented).
NAMES = {
    "BRN": ["Hajah Nurul Aziz", "Awang Haziq Rahman"],
    "KHM": ["Sokha Chan", "Vibol Keo"],
    "IDN": ["Dewi Lestari", "Budi Santoso", "Rina Wijaya"],
    "LAO": ["Khamla Phommachanh", "Souk Vongsa"],
    "MYS": ["Nur Aisyah Hamid", "Arjun Pillai"],
    "MMR": ["Aung Ko Ko", "Thiri Win"],
    "PHL": ["Maria Santos", "Jose Reyes"],
    "SGP": ["Tan Wei Ling", "Rajesh Kumar"],
    "THA": ["Somchai Wongsakul", "Kanya Srisuk"],
    "TLS": ["Ana da Costa", "Jose Ximenes"],
    "VNM": ["Nguyen Thi Lan", "Tran Van Minh"],
}


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow; one hash (own salt) serves every demo account.
    return make_password(settings.DEMO_PASSWORD)


def _person(
    email: str, name: str, state: MemberState | None, *, zone: str | None = None, organisation: str = ""
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(
            email=email,
            display_name=name,
            member_state=state,
            time_zone=zone or (state.time_zone if state else settings.DEFAULT_USER_TIME_ZONE),
            organisation=organisation,
        )
        user.password = _demo_password_hash()
        save_with_reason(user, "Demo account")
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _member(person: User, body: Body, role: str, state: MemberState | None, start: dt.date) -> Membership:
    membership = Membership.objects.filter(person=person, body=body, role=role, end__isnull=True).first()
    if membership is None:
        membership = Membership(person=person, body=body, role=role, member_state=state, start=start)
        save_with_reason(membership, "Demo membership")
    return membership


def seed_network() -> Network:
    states = {s.code: s for s in MemberState.objects.all()}
    bodies: dict[str, Body] = {}
    for code, name, parent, description in BODIES:
        body = Body.objects.filter(code=code).first()
        if body is None:
            body = Body(code=code, name=name, parent=bodies.get(parent), description=description)
            save_with_reason(body, "Demo body")
        bodies[code] = body

    term = dt.date(timezone.localdate().year - 1, 1, 1)
    p: dict[str, User] = {}
    p["secretariat"] = _person(f"secretariat@{DOMAIN}", "Farah Ismail (Secretariat)", None, zone="Asia/Kuala_Lumpur")
    if not p["secretariat"].groups.filter(name="secretariat").exists():
        p["secretariat"].groups.add(secretariat_group())
    if not p["secretariat"].is_staff:
        p["secretariat"].is_staff = True
        save_with_reason(p["secretariat"], "Demo: staff access to the admin")
    p["chair_adgsom"] = _person(
        f"chair.adgsom@{DOMAIN}", "Dato' Ahmad Zaki (Chair, ADGSOM)", states["MYS"], zone="Asia/Kuala_Lumpur"
    )
    p["chair_wgai"] = _person(
        f"chair.wgai@{DOMAIN}", "Dr Siti Rahmah (Chair, WG-AI)", states["MYS"], zone="Asia/Kuala_Lumpur"
    )
    p["chair_adgmin"] = _person(f"chair.adgmin@{DOMAIN}", "Hon. Minister Lim (Chair, ADGMIN)", states["MYS"])
    p["delegate_sgp"] = _person(f"delegate.sgp@{DOMAIN}", "Tan Mei Hua", states["SGP"])
    p["delegate_mmr"] = _person(f"delegate.mmr@{DOMAIN}", "Khin Myat Noe", states["MMR"])
    p["observer"] = _person(
        f"observer@{DOMAIN}",
        "Dr Hiroshi Sato (Observer)",
        None,
        zone="Asia/Tokyo",
        organisation="Dialogue partner: Japan",
    )

    _member(p["chair_adgsom"], bodies["ADGSOM"], Role.CHAIR, states["MYS"], term)
    _member(p["chair_wgai"], bodies["WG-AI"], Role.CHAIR, states["MYS"], term)
    _member(p["chair_adgmin"], bodies["ADGMIN"], Role.CHAIR, states["MYS"], term)
    _member(p["delegate_sgp"], bodies["WG-AI"], Role.HEAD, states["SGP"], term)
    _member(p["delegate_sgp"], bodies["ADGSOM"], Role.HEAD, states["SGP"], term)
    _member(p["delegate_mmr"], bodies["WG-AI"], Role.DELEGATE, states["MMR"], term)
    _member(p["observer"], bodies["WG-AI"], Role.OBSERVER, None, term)

    # Synthetic delegations: a head for every state in every body (Singapore's
    # head in WG-AI and ADGSOM is delegate.sgp), and a delegate in WG-AI.
    for code, names in NAMES.items():
        state = states[code]
        for body_code, name in (("WG-AI", names[0]), ("ADGSOM", names[1]), ("ADGMIN", names[-1])):
            if code == "SGP" and body_code in ("WG-AI", "ADGSOM"):
                continue
            slug = body_code.lower().replace("-", "")
            head = _person(f"head.{code.lower()}.{slug}@{DOMAIN}", name, state)
            _member(head, bodies[body_code], Role.HEAD, state, term)
        if code not in ("MMR",):
            extra = _person(f"delegate.{code.lower()}.wgai@{DOMAIN}", f"{names[-1]} (WG-AI)", state)
            _member(extra, bodies["WG-AI"], Role.DELEGATE, state, term)
    return Network(states=states, bodies=bodies, people=p)


MAX_TASK_FORCES = 17


def seed_volume(network: Network, *, scale: int) -> None:
    """Synthetic volume for benchmarks: task forces with full delegations.

    Each multiple adds two task forces under WG-AI with a head of delegation
    for every member state, through the bulk path that writes history, up to
    MAX_TASK_FORCES (about twenty bodies in all, as issue 8 sizes the network).
    """
    term = dt.date(timezone.localdate().year - 1, 1, 1)
    existing = set(Body.objects.filter(code__startswith="TF-").values_list("code", flat=True))
    wanted = [f"TF-{n:03d}" for n in range(1, min(2 * (scale - 1), MAX_TASK_FORCES) + 1)]
    new_bodies = [
        Body(code=code, name=f"Task Force {code[3:]}", parent=network.bodies["WG-AI"])
        for code in wanted
        if code not in existing
    ]
    created = bulk_create_with_history(new_bodies, reason="Demo volume")
    if not created:
        return
    created = list(Body.objects.filter(code__in=[b.code for b in new_bodies]))
    heads = {
        m.member_state_id: m.person
        for m in Membership.objects.filter(body=network.bodies["WG-AI"], role=Role.HEAD).select_related("person")
    }
    memberships = [
        Membership(person=person, body=body, role=Role.HEAD, member_state_id=state_id, start=term)
        for body in created
        for state_id, person in heads.items()
    ]
    bulk_create_with_history(memberships, reason="Demo volume")
