"""Audit plumbing shared by every app: who acts, and writes that keep history.

simple-history records the acting user through its request middleware. Services,
tasks and commands name their actor explicitly with `acting_as(user)`, which wins
over the request, so a change made by a task is attributed to the system user and
not to whoever happened to trigger it.

Queryset `update()` and bulk writes skip simple-history's signals, so on tracked
models they are refused (`TrackedQuerySet`) unless they go through the helpers
below, which write the historical rows as well.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history as _bulk_create
from simple_history.utils import bulk_update_with_history as _bulk_update

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("history_actor", default=None)
_bulk_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_allowed", default=False)

# Sent (sender=the model, using=, and created= the new objects when they were created)
# after the bulk helpers below wrote rows, in their transaction: they send no post_save,
# and the sweep's sources that watch the model must still wake (secretariat.delivery.wake)
# and new rows get what save() would have given them (workgroups.receivers).
bulk_written = Signal()


class UntrackedWriteError(RuntimeError):
    """A write that would bypass history on a tracked model."""


def get_history_user(instance: models.Model | None = None, request: Any = None, **kwargs: Any) -> Any:
    """The user a historical row is attributed to: explicit actor, else the request's."""
    actor = _actor.get()
    if actor is not None:
        return actor
    if request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        return request.user
    return None


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute every historical row written inside the block to `user`."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Any:
    return _actor.get()


def history(**kwargs: Any) -> HistoricalRecords:
    """`HistoricalRecords` configured the same way for every tracked model."""
    kwargs.setdefault("get_user", get_history_user)
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**kwargs)


@contextlib.contextmanager
def _bulk_writes() -> Iterator[None]:
    token = _bulk_allowed.set(True)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


class TrackedQuerySet(models.QuerySet):
    """A queryset that refuses writes which would leave no history."""

    def _refuse(self, what: str) -> None:
        if not _bulk_allowed.get():
            raise UntrackedWriteError(
                f"{what} on {self.model._meta.label} writes no history; use "
                "secretariat.history.update_with_history / bulk_create_with_history."
            )

    def update(self, **kwargs: Any) -> int:
        self._refuse("QuerySet.update()")
        return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        self._refuse("bulk_create()")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[models.Model], fields: Sequence[str], *args: Any, **kwargs: Any) -> int:
        self._refuse("bulk_update()")
        return super().bulk_update(objs, fields, *args, **kwargs)


TrackedManager = models.Manager.from_queryset(TrackedQuerySet)


def bulk_create_with_history(
    objs: Sequence[models.Model], *, reason: str = "", batch_size: int = 500
) -> list[models.Model]:
    """Create many rows and their historical rows, attributed to the current actor."""
    if not objs:
        return []
    model = type(objs[0])
    with transaction.atomic(), _bulk_writes():
        created = _bulk_create(
            objs,
            model,
            batch_size=batch_size,
            default_user=current_actor(),
            default_change_reason=reason or None,
        )
        # simple-history's bulk path sends no signals: seal its rows here.
        _seal(model, [obj.pk for obj in created])
        bulk_written.send(sender=model, using=transaction.get_connection().alias, created=created)
    return created


def bulk_update_with_history(
    objs: Sequence[models.Model], fields: Sequence[str], *, reason: str = "", batch_size: int = 500
) -> int:
    """Update many rows and write one historical row each."""
    if not objs:
        return 0
    model = type(objs[0])
    with transaction.atomic(), _bulk_writes():
        updated = _bulk_update(
            objs,
            model,
            list(fields),
            batch_size=batch_size,
            default_user=current_actor(),
            default_change_reason=reason or None,
        )
        _seal(model, [obj.pk for obj in objs])
        bulk_written.send(sender=model, using=transaction.get_connection().alias)
    return updated


@dataclasses.dataclass
class Step:
    """A state a row was in, from `when`: the fields that differed from its present values."""

    when: dt.datetime
    reason: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    by: Any = None  # who made the change (default: the current actor)


def bulk_create_with_past(
    objs: Sequence[models.Model],
    steps: Callable[[models.Model], Sequence[Step]],
    *,
    batch_size: int = 1000,
) -> list[models.Model]:
    """Create rows as they are now, with the history of how they got there (seeding).

    `steps(obj)` lists the states a row went through, oldest first: its creation
    (a "+" row), then each change (a "~" row), each at its own date, for its own
    reason, by its own actor; the last step is usually the present (no values).
    The historical rows are written in that order, so each object's chain runs
    oldest to newest, and sealed as written (no read-back).
    """
    from .audit_chain import seal_rows

    if not objs:
        return []
    model = type(objs[0])
    history_model = model.history.model
    columns = [f.attname for f in history_model._meta.concrete_fields]
    tracked = [f.attname for f in history_model.tracked_fields]
    actor = current_actor()
    with transaction.atomic(), _bulk_writes():
        created = model._default_manager.bulk_create(objs, batch_size=batch_size)
        plans = [(obj, steps(obj)) for obj in created]
        rows = []
        for n in range(max(len(plan) for _, plan in plans)):
            kind = "~" if n else "+"
            stage = []
            for obj, plan in plans:
                if n < len(plan):
                    step = plan[n]
                    row = {name: getattr(obj, name) for name in tracked}
                    row.update(_attnames(model, step.values))
                    row.update(
                        history_id=None,
                        history_date=step.when,
                        history_change_reason=step.reason,
                        history_type=kind,
                        history_user_id=getattr(step.by or actor, "pk", None),
                    )
                    stage.append(history_model(*[row.get(name) for name in columns]))
            # One stage after the other: an object's rows get ascending history ids.
            rows += history_model.objects.bulk_create(stage, batch_size=batch_size)
        seal_rows(rows)
        bulk_written.send(sender=model, using=transaction.get_connection().alias, created=created)
    return created


def _attnames(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        found[field.attname] = value.pk if isinstance(value, models.Model) else value
    return found


def _seal(model: type[models.Model], pks: list[Any]) -> None:
    from .audit_chain import seal_unsealed

    if None in pks:  # a backend that returns no primary keys from bulk inserts
        pks = None
    seal_unsealed(model.history.model, pks)


def update_with_history(queryset: models.QuerySet, *, reason: str = "", **values: Any) -> int:
    """`queryset.update(**values)` that keeps history: loads, sets, bulk-updates."""
    objs = list(queryset)
    for obj in objs:
        for field, value in values.items():
            setattr(obj, field, value)
    return bulk_update_with_history(objs, list(values), reason=reason)


def save_with_reason(obj: models.Model, reason: str, **kwargs: Any) -> None:
    """Save `obj` with a change reason on its historical row."""
    obj._change_reason = reason  # read by simple-history on post_save
    obj.save(**kwargs)


def service(fn: Any) -> Any:
    """Decorate a service function: one transaction, history attributed to `by=`.

    Every workflow change goes through such a function; it takes the actor as a
    keyword-only `by=` and checks transition and permission before writing.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, by: Any, **kwargs: Any) -> Any:
        with transaction.atomic(), acting_as(by):
            return fn(*args, by=by, **kwargs)

    return wrapper
