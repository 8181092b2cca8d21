"""Reactions to the base layer's announcements: open work passes on when a person leaves.

The signals are sent on commit, so each hand-over runs in a transaction of its own,
attributed to whoever ended the term or deactivated the person.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from secretariat.models import Membership, User
from secretariat.signals import membership_ended, person_deactivated

from . import services


@receiver(membership_ended, dispatch_uid="workgroups_handover_on_membership_end")
def hand_over_on_leaving(sender: type, membership: Membership, by: User, **kwargs: Any) -> None:
    services.handover_open_items(
        membership.person,
        by=by,
        body=membership.body,
        reason=f"{membership.person} left {membership.body.code}",
    )


@receiver(person_deactivated, dispatch_uid="workgroups_handover_on_deactivation")
def hand_over_on_deactivation(sender: type, person: User, by: User, **kwargs: Any) -> None:
    services.handover_open_items(person, by=by, reason=f"{person} was deactivated")
