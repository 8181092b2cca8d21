"""Many rows handed to PostgreSQL as one parameter, for the sweep's bulk statements.

A catch-up writes thousands of rows in one statement. Passed as one array per column
(`UNNEST(%s::bigint[], ...)`), psycopg converts every value in Python: 36-60 ms for
2,000 notifications of seven columns, more than PostgreSQL takes to insert them.
Passed as one JSON document (`json.dumps`, in C) and read back by
`json_array_elements`, the same rows cost 6-8 ms (measured on bench/sweep.py's
database).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence


def _encode(value: object) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("A naive datetime cannot be stored unambiguously.")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a row value")


def json_rows(rows: Iterable[Sequence[object]], types: Iterable[str]) -> tuple[str, str]:
    """A SELECT of `rows` (tuples of one value per type) from one JSON parameter, and that
    parameter: `select` reads column n as `(value->>n)::` the n-th type, each NULL kept.

    `types` are SQL type names written by the caller (never input), such as "bigint" or
    "timestamptz".
    """
    columns = ", ".join(f"(row.value->>{n})::{sql_type}" for n, sql_type in enumerate(types))
    select = f"SELECT {columns} FROM json_array_elements(%s::json) AS row"  # noqa: S608 -- types are ours
    return select, json.dumps([list(row) for row in rows], default=_encode)
