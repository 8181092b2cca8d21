"""Reading the record: history entries with field-by-field differences."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import F, Value, Window
from django.db.models.functions import JSONObject, Lag
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime

from .templatetags.secretariat_tags import in_zone

KIND_LABELS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclasses.dataclass
class Change:
    field: str
    old: str
    new: str


@dataclasses.dataclass
class Entry:
    when: dt.datetime
    who: Any
    kind: str
    reason: str
    label: str
    model: str
    changes: list[Change]


def _display(field: models.Field, value: Any, related: dict[tuple[type, Any], Any]) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return str(related.get((field.related_model, value), f"#{value}"))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(field, models.DateTimeField):
        # A model's value, or the ISO text of one read back as JSON: in the viewer's zone, named.
        moment = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
        if moment is not None:
            return in_zone(moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC))
    elif isinstance(field, models.DateField):
        day = value if isinstance(value, dt.date) else parse_date(str(value))
        if day is not None:
            return formats.date_format(day, "j M Y")
    return str(value)


def entries(records: Iterable[models.Model], *, limit: int = 200) -> list[Entry]:
    """Turn historical records (any mix of models) into entries, newest first.

    Each record is compared with the previous record of the same object among
    `records`; related objects are fetched in one query per related model, not one
    per row.
    """
    records = sorted(records, key=lambda r: r.history_date, reverse=True)[:limit]
    by_object: dict[tuple[type, Any], list] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        by_object[(type(record), record.id)].append(record)
    previous: dict[int, Any] = {}
    for chain in by_object.values():
        for older, newer in itertools.pairwise(chain):
            previous[id(newer)] = older
    return _entries(records, previous)


def _entries(records: list[models.Model], previous: dict[int, Any], *, users: bool = False) -> list[Entry]:
    """Entries for `records` (in their order), each diffed against `previous[id(record)]`.

    With `users`, who made each change is fetched with the users its fields name,
    in the same query (records not read through select_related("history_user")).
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    wanted: dict[type, set] = defaultdict(set)
    if users:
        wanted[user_model] = {r.history_user_id for r in records if r.history_user_id}
    diffs: dict[int, list] = {}
    for record in records:
        older = previous.get(id(record))
        if older is None or record.history_type != "~":
            diffs[id(record)] = []
            continue
        delta = record.diff_against(older)
        diffs[id(record)] = delta.changes
        for change in delta.changes:
            field = record.instance_type._meta.get_field(change.field)
            if field.is_relation:
                wanted[field.related_model].update(v for v in (change.old, change.new) if v is not None)
    related = {
        (model, pk): obj for model, pks in wanted.items() for pk, obj in model._default_manager.in_bulk(pks).items()
    }

    result = []
    for record in records:
        meta = record.instance_type._meta
        changes = []
        for change in diffs[id(record)]:
            field = meta.get_field(change.field)
            changes.append(
                Change(
                    str(field.verbose_name), _display(field, change.old, related), _display(field, change.new, related)
                )
            )
        result.append(
            Entry(
                when=record.history_date,
                who=related.get((user_model, record.history_user_id)) if users else record.history_user,
                kind=KIND_LABELS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                label=_label(record),
                model=str(meta.verbose_name),
                changes=changes,
            )
        )
    return result


def _label(record: models.Model) -> str:
    """A model may name its historical rows (`history_label`); select_related keeps it cheap."""
    labeler = getattr(record.instance_type, "history_label", None)
    if labeler is not None:
        return labeler(record)
    return f"{record.instance_type._meta.verbose_name} #{record.id}"


# --- The secretariat-wide log ------------------------------------------------------

AUDITED_APPS = ("secretariat", "meetings", "workgroups")
KINDS = {"created": "+", "changed": "~", "deleted": "-"}


def historical_models() -> dict[str, type[models.Model]]:
    """Every historical model of the three apps, by the label of the model it tracks."""
    from django.apps import apps

    found = {}
    for model in apps.get_models():
        tracked = getattr(model, "instance_type", None)
        if tracked is not None and model._meta.app_label in AUDITED_APPS:
            found[tracked._meta.label] = model
    return dict(sorted(found.items()))


@dataclasses.dataclass
class LogFilter:
    user: int | None = None
    model: str = ""
    object_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    kind: str = ""


def log_queryset(flt: LogFilter) -> models.QuerySet:
    """One UNION ALL over the historical tables, newest first, as plain values.

    Each branch filters on its own table (history_date and history_user are
    indexed by simple-history), so PostgreSQL merges index scans for a page.
    """
    branches = []
    for label, history_model in historical_models().items():
        if flt.model and flt.model != label:
            continue
        qs = history_model.objects.all()
        if flt.user:
            qs = qs.filter(history_user_id=flt.user)
        if flt.object_id:
            qs = qs.filter(id=flt.object_id)
        if flt.since:
            qs = qs.filter(history_date__gte=flt.since)
        if flt.until:
            qs = qs.filter(history_date__lt=flt.until)
        if flt.kind == "transition":
            qs = (
                qs.filter(history_type="~")
                .exclude(history_change_reason__isnull=True)
                .exclude(history_change_reason="")
            )
        elif flt.kind in KINDS:
            qs = qs.filter(history_type=KINDS[flt.kind])
        branches.append(qs)
    if not branches:
        return historical_models()["secretariat.Body"].objects.none().values_list("history_date")
    return union(branches)


COLUMNS = (
    "history_date",
    "model_label",
    "id",
    "history_id",
    "history_type",
    "history_change_reason",
    "history_user_id",
)


def union(branches: list[models.QuerySet], *, records: bool = False) -> models.QuerySet:
    """Querysets of historical rows (any tables) as one UNION ALL of COLUMNS, newest first.

    With `records`, each row also carries the whole historical row and the previous
    row of the same object among its branch's rows (a window over the branch), as
    JSON: `record_entries` turns a page of them into entries with their changes, in
    one query however many tables the page draws on.
    """
    values = []
    for qs in branches:
        qs = qs.order_by().annotate(
            model_label=Value(qs.model.instance_type._meta.label, output_field=models.CharField())
        )
        columns = COLUMNS
        if records:
            # The whole row as JSON, keyed by column (JSONObject: json_build_object on
            # PostgreSQL, json_object on SQLite).
            row = JSONObject(**{f.column: F(f.attname) for f in qs.model._meta.concrete_fields})
            earlier = Window(Lag(row), partition_by=[F("id")], order_by=[F("history_date"), F("history_id")])
            qs = qs.annotate(record_row=row, previous_row=earlier)
            columns = (*COLUMNS, "record_row", "previous_row")
        values.append(qs.values_list(*columns))
    combined = values[0].union(*values[1:], all=True) if len(values) > 1 else values[0]
    return combined.order_by("-history_date")


def record_entries(values: Iterable[tuple]) -> list[Entry]:
    """Entries for rows of `union(..., records=True)`, in their order."""
    by_label = historical_models()
    records, previous = [], {}
    for v in values:
        history_model = by_label[v[1]]
        record = _from_row(history_model, v[7])
        records.append(record)
        if v[8] is not None:
            previous[id(record)] = _from_row(history_model, v[8])
    return _entries(records, previous, users=True)


def _from_row(history_model: type[models.Model], row: dict) -> models.Model:
    """A historical record (unsaved) from its row as `union(records=True)` gave it (SQLite's
    JSON has its moments in UTC without an offset)."""
    values = {}
    for f in history_model._meta.concrete_fields:
        value = f.to_python(row[f.column])
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        values[f.attname] = value
    return history_model(**values)


@dataclasses.dataclass
class LogRow:
    when: dt.datetime
    model: str
    object_id: int
    history_id: int
    kind: str
    reason: str
    user: Any


def log_rows(values: Iterable[tuple]) -> list[LogRow]:
    """Turn union rows into LogRows, fetching their users in one query."""
    from django.contrib.auth import get_user_model

    values = list(values)
    users = get_user_model().objects.in_bulk({v[6] for v in values if v[6]})
    return [
        LogRow(
            when=v[0],
            model=v[1],
            object_id=v[2],
            history_id=v[3],
            kind=KIND_LABELS.get(v[4], v[4]),
            reason=v[5] or "",
            user=users.get(v[6]),
        )
        for v in values
    ]
