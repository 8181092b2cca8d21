"""Shared by the Django-side helpers of bench/run.py: set Django up, and the SQL shape.

Import it first: it puts the project on sys.path and calls `django.setup()` with the
settings read from the environment that bench/run.py prepared.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.settings")

import django

django.setup()

_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


def shape(sql: str) -> str:
    """The query with its literals blanked: the same shape repeated is an N+1."""
    return _LITERALS.sub("?", sql)[:300]
