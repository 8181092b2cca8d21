"""Minutes are written in Markdown and rendered inert.

Markdown passes raw HTML through, so its output is cleaned with nh3 (an
allow-list: no script, no style, no event handler, no image from elsewhere,
links to http, https and mailto only). Paragraphs are numbered so that
delegations can comment on "paragraph 12"; headings carry no number.
"""

from __future__ import annotations

import dataclasses
import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "sub", "sup", "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "a", "abbr",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def clean(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"})


_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def render(text: str, *, shift: int = 0) -> SafeString:
    """The whole text as sanitised HTML; `shift` lowers headings (h1 → h2) under a page's own h1."""
    html = clean(markdown.markdown(text, extensions=EXTENSIONS))
    if shift:
        html = _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + shift)}>", html)
    return mark_safe(html)  # noqa: S308 (cleaned by nh3, and the substitution only renames tags)


def blocks(text: str) -> list[str]:
    """Split Markdown into top-level blocks at blank lines (not inside fenced code)."""
    result: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                result.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        result.append("\n".join(current))
    return result


@dataclasses.dataclass
class Paragraph:
    number: int | None
    html: SafeString
    source: str


def paragraphs(text: str, *, shift: int = 0) -> list[Paragraph]:
    """Blocks rendered one by one; every block but a heading gets the next number."""
    result = []
    number = 0
    for block in blocks(text):
        heading = bool(_HEADING.match(block))
        if not heading:
            number += 1
        result.append(Paragraph(None if heading else number, render(block, shift=shift), block))
    return result


def paragraph_count(text: str) -> int:
    return sum(1 for block in blocks(text) if not _HEADING.match(block))
