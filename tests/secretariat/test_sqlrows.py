"""Rows handed to PostgreSQL as one JSON parameter come back as they were sent."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from secretariat.sqlrows import json_rows

pytestmark = pytest.mark.django_db


def _read_back(rows, types):
    if connection.vendor != "postgresql":
        pytest.skip("json_array_elements is PostgreSQL's; elsewhere the callers send rows as placeholders")
    select, document = json_rows(rows, types)
    with connection.cursor() as cursor:
        cursor.execute(select, [document])
        return cursor.fetchall()


def test_text_numbers_moments_and_nulls_come_back_as_they_were_sent():
    yangon = zoneinfo.ZoneInfo("Asia/Yangon")
    rows = [
        ('O\'Brien "quoted" \\ back-slash, ผู้แทน, Đại biểu', 2**40, dt.datetime(2026, 12, 15, 9, 30, tzinfo=yangon)),
        ("", 0, None),
        (None, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ]
    back = _read_back(rows, ("varchar", "bigint", "timestamptz"))
    assert back == [
        (rows[0][0], 2**40, dt.datetime(2026, 12, 15, 3, 0, tzinfo=dt.UTC)),
        ("", 0, None),
        (None, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ]


def test_no_rows_give_no_rows():
    assert _read_back([], ("bigint",)) == []


def test_a_naive_moment_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="naive"):
        json_rows([(dt.datetime(2026, 12, 15, 9, 30),)], ("timestamptz",))
