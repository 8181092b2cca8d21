"""Reactions to the base layer's announcements: open work passes on when a person leaves.

The signals are sent on commit, so each hand-over runs in a transaction of its own,
attributed to whoever ended the term or deactivated the person. A term ended with a
date still ahead hands over when that date comes: the reminder sweep calls
`hand_over_when_terms_end` every minute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, Min, OuterRef
from django.dispatch import receiver
from django.utils import timezone

from secretariat import delivery
from secretariat.history import bulk_written
from secretariat.models import Membership, User
from secretariat.services import system_user
from secretariat.signals import membership_ended, person_deactivated

from . import services
from .models import OPEN_STATUSES, ActionItem, Assignment, ReminderPlan, start_of

# How far back the sweep looks for terms that ended: a week covers a sweeper
# stopped over a long weekend; older ends were handed over when they came.
TERM_END_LOOKBACK = dt.timedelta(days=7)


@receiver(bulk_written, dispatch_uid="workgroups_plan_bulk_created_items")
def plan_bulk_created_items(sender: type, created: list | None = None, **kwargs: Any) -> None:
    """Action items created by the bulk helpers get the reminder plan `ActionItem.save` gives one."""
    if sender is ActionItem and created:
        ReminderPlan.first_for(created)


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


def hand_over_when_terms_end(now: dt.datetime) -> delivery.Planning:
    """Hand over the open items of people whose term ended since the last sweeps.

    Ending a term with a date still ahead keeps the person on its items until that
    date; the first sweep on or after it passes them on. The source sleeps until
    the next term's end date, or until a membership or an assignment changes (its
    cursor, see delivery.plan); when it runs, one query names the terms that ended
    in the last week whose person still holds an open item of the body, and a
    second finds the next end date. A hand-over removes the assignment, so the next
    run finds nothing. A person who keeps another term in the body keeps its items
    (`handover_open_items` skips them).
    """
    today = timezone.localdate(now)
    still_assigned = Assignment.objects.filter(
        person_id=OuterRef("person_id"),
        action_item__body_id=OuterRef("body_id"),
        action_item__status__in=OPEN_STATUSES,
    )
    ended = (
        Membership.objects.filter(end__lte=today, end__gt=today - TERM_END_LOOKBACK)
        .filter(Exists(still_assigned))
        .select_related("person", "body")
        .order_by("end", "pk")
    )
    actor = None
    for membership in ended:
        actor = actor or system_user()
        services.handover_open_items(
            membership.person,
            by=actor,
            body=membership.body,
            reason=f"{membership.person}'s term in {membership.body.code} ended on {membership.end:%-d %b %Y}",
        )
    next_end = Membership.objects.filter(end__gt=today).aggregate(day=Min("end"))["day"]
    # The new owners hear of it through notify(), which counts for itself.
    return delivery.Planning(0, start_of(next_end) if next_end else None)


delivery.register_source(hand_over_when_terms_end, watch=(Membership, Assignment))
