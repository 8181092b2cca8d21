"""Seams for the apps above: the base layer announces, they react.

Sent on commit by the services, so a receiver sees committed rows.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender=Membership, membership=..., by=...: a person left a body.
membership_ended = Signal()
# sender=User, person=..., by=...: a person was deactivated.
person_deactivated = Signal()
