"""Tamper evidence for the history tables: one keyed hash chain per object.

Every historical row gets a seal: HMAC-SHA256 over the row's content and the
previous seal of the same object. One chain per object means writers never queue
behind a global chain; the object's own row lock (taken by the save that writes
the history) orders the writers of one chain. The key (`AUDIT_CHAIN_KEY`) never
lives in the database, so someone with SQL access alone can neither edit a row
nor recompute its seals without `verify_audit` noticing.

Seals are written at write time: single saves through simple-history's
`post_create_historical_record` signal, bulk writes by the bulk helpers in
`secretariat.history` (simple-history's bulk path sends no signals).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef

GENESIS = "0" * 64


def _key() -> bytes:
    return hashlib.sha256(("audit-chain:" + settings.AUDIT_CHAIN_KEY).encode()).digest()


def _normal(field: models.Field, value: Any) -> Any:
    """A value as it reads back from any database, so the same row hashes the same."""
    if value is None:
        return None
    target = field.target_field if field.is_relation else field
    value = target.to_python(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if hasattr(value, "name") and isinstance(field, models.FileField):
        return value.name
    return value


def content(row: models.Model) -> bytes:
    """The canonical bytes of a historical row: every concrete field, sorted."""
    data = {f.attname: _normal(f, getattr(row, f.attname)) for f in row._meta.concrete_fields}
    return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()


def seal_of(row: models.Model, previous: str) -> str:
    return hmac.new(_key(), previous.encode() + b"\n" + content(row), hashlib.sha256).hexdigest()


def label_of(history_model: type[models.Model]) -> str:
    return history_model.instance_type._meta.label


def _chain_tips(label: str, object_ids: Iterable[Any]) -> dict[Any, str]:
    """The last seal of each object's chain, in one query (objects with none start at GENESIS).

    The newest seal per object is the one no later seal of the same object
    follows; index auditseal_chain_tip serves both sides of the NOT EXISTS.
    """
    from .models import AuditSeal

    object_ids = list(object_ids)
    if not object_ids:
        return {}
    if len(object_ids) == 1:  # a single save: the newest seal is one step down the index
        last = (
            AuditSeal.objects.filter(model=label, object_id=object_ids[0])
            .order_by("-history_id")
            .values_list("seal", flat=True)
            .first()
        )
        return {object_ids[0]: last} if last else {}
    newer = AuditSeal.objects.filter(
        model=label, object_id=OuterRef("object_id"), history_id__gt=OuterRef("history_id")
    )
    tips = (
        AuditSeal.objects.filter(model=label, object_id__in=object_ids)
        .filter(~Exists(newer))
        .values_list("object_id", "seal")
    )
    return dict(tips)


def seal_rows(rows: Iterable[models.Model]) -> int:
    """Seal historical rows (of one model) in history_id order, extending each object's chain.

    The chains' tips are read in one query for all the rows (not one per row):
    a bulk write of N new objects costs the same three queries as one.
    """
    from .models import AuditSeal

    rows = sorted(rows, key=lambda r: r.history_id)
    if not rows:
        return 0
    label = label_of(type(rows[0]))
    # AuditSeal.object_id is text (any model's key): the tips are keyed by str(pk).
    tips = _chain_tips(label, {str(row.id) for row in rows})
    seals = []
    for row in rows:
        previous = tips.get(str(row.id), GENESIS)
        seal = seal_of(row, previous)
        tips[str(row.id)] = seal
        seals.append(AuditSeal(model=label, history_id=row.history_id, object_id=row.id, previous=previous, seal=seal))
    AuditSeal.objects.bulk_create(seals)
    return len(seals)


def seal_unsealed(history_model: type[models.Model], object_ids: Iterable[Any] | None = None) -> int:
    """Seal the rows of a history table that have no seal yet (after a bulk write)."""
    from .models import AuditSeal

    label = label_of(history_model)
    rows = history_model.objects.all()
    sealed = AuditSeal.objects.filter(model=label)
    if object_ids is not None:
        object_ids = list(object_ids)
        rows = rows.filter(id__in=object_ids)
        # Only these objects' seals: the whole table's would make each bulk write cost O(table).
        sealed = sealed.filter(object_id__in=[str(pk) for pk in object_ids])
    return seal_rows(rows.exclude(history_id__in=sealed.values("history_id")).order_by("history_id"))


@dataclasses.dataclass
class Break:
    model: str
    object_id: Any
    history_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.model} object {self.object_id}, history row {self.history_id}: {self.problem}"


def verify(history_models: Iterable[type[models.Model]], *, chunk: int = 5000) -> Iterator[Break]:
    """Walk every chain; yield each broken link (edited, deleted, inserted or unsealed row)."""
    from .models import AuditSeal

    for history_model in history_models:
        label = label_of(history_model)
        seals = {
            s.history_id: s
            for s in AuditSeal.objects.filter(model=label).only("history_id", "object_id", "previous", "seal")
        }
        tips: dict[Any, str] = {}
        seen: set[int] = set()
        for row in history_model.objects.order_by("id", "history_id").iterator(chunk_size=chunk):
            seen.add(row.history_id)
            seal = seals.get(row.history_id)
            expected_previous = tips.get(row.id, GENESIS)
            if seal is None:
                yield Break(label, row.id, row.history_id, "the row has no seal (written behind the app's back)")
                tips[row.id] = "unsealed"
                continue
            if seal.previous != expected_previous:
                yield Break(label, row.id, row.history_id, "the chain is broken before this row (a row was deleted)")
            elif seal.seal != seal_of(row, seal.previous):
                yield Break(label, row.id, row.history_id, "the row's content does not match its seal (edited)")
            tips[row.id] = seal.seal
        for history_id in sorted(set(seals) - seen):
            yield Break(label, seals[history_id].object_id, history_id, "a sealed row is missing (deleted)")
