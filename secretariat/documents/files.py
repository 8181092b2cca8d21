"""Uploaded files: what is accepted, how it is checked, stored, named and stamped.

1. Only an allowlist of types is accepted, by extension, and the content's
   magic bytes must match that extension (an HTML page renamed .pdf is refused).
   The checks are ours and read no more than they must: OOXML and ODT files are
   ZIP archives whose manifest names the right kind of document.
2. Files are stored through Django's storage API under a server-generated name
   (`models.version_path`); the uploaded name is kept only as cleaned metadata.
   A stored file is never overwritten: every version gets a new name.
3. Downloads are attachments with a safe RFC 6266 filename: an ASCII fallback in
   `filename=` and the UTF-8 name in `filename*=`.
4. A confidential PDF is served stamped with the reader's name and the date on
   every page (a WeasyPrint overlay merged with pypdf), so a leaked copy names
   its source.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from secretariat.models import User

    from .models import DocumentVersion

log = logging.getLogger(__name__)

# Bytes of an archive member we are willing to read to identify an office file.
_MANIFEST_LIMIT = 1_000_000

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"


class FileRefused(ValidationError):
    """An upload that is not what it claims to be, or not allowed at all."""


def _is_pdf(head: bytes, handle: IO[bytes]) -> bool:
    if not head.startswith(b"%PDF-"):
        return False
    # A PDF we cannot open cannot be stamped when it becomes confidential.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        handle.seek(0)
        reader = PdfReader(handle)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileRefused(_("This PDF is protected by a password. Upload it without the password."))
        return len(reader.pages) > 0
    except FileRefused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return False


def _office(main_type: str) -> Callable[[bytes, IO[bytes]], bool]:
    """An OOXML file: a ZIP whose [Content_Types].xml declares the main part `main_type`."""

    def check(head: bytes, handle: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        manifest = _zip_member(handle, "[Content_Types].xml")
        return manifest is not None and main_type.encode() in manifest

    return check


def _is_odt(head: bytes, handle: IO[bytes]) -> bool:
    """An OpenDocument text: a ZIP whose first member is `mimetype`, stored, naming ODT."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    # The local header of the first member: its name starts at byte 30.
    name_length = int.from_bytes(head[26:28], "little")
    if head[30 : 30 + name_length] != b"mimetype":
        return False
    member = _zip_member(handle, "mimetype")
    return member is not None and member.strip() == ODT.encode()


def _zip_member(handle: IO[bytes], name: str) -> bytes | None:
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            info = archive.getinfo(name)
            if info.file_size > _MANIFEST_LIMIT:
                return None
            with archive.open(info) as member:
                return member.read(_MANIFEST_LIMIT)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None


def _is_text(head: bytes, handle: IO[bytes]) -> bool:
    handle.seek(0)
    data = handle.read()
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _signature(magic: bytes) -> Callable[[bytes, IO[bytes]], bool]:
    return lambda head, handle: head.startswith(magic)


@dataclasses.dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    check: Callable[[bytes, IO[bytes]], bool]


_text = FileType("Text", "text/plain; charset=utf-8", _is_text)
_markdown = FileType("Markdown", "text/markdown; charset=utf-8", _is_text)
_jpeg = FileType("JPEG image", "image/jpeg", _signature(b"\xff\xd8\xff"))

ALLOWED: dict[str, FileType] = {
    "pdf": FileType("PDF", PDF, _is_pdf),
    "docx": FileType("Word (DOCX)", DOCX, _office("wordprocessingml.document.main+xml")),
    "xlsx": FileType("Excel (XLSX)", XLSX, _office("spreadsheetml.sheet.main+xml")),
    "pptx": FileType("PowerPoint (PPTX)", PPTX, _office("presentationml.presentation.main+xml")),
    "odt": FileType("OpenDocument text (ODT)", ODT, _is_odt),
    "txt": _text,
    "md": _markdown,
    "markdown": _markdown,
    "png": FileType("PNG image", "image/png", _signature(b"\x89PNG\r\n\x1a\n")),
    "jpg": _jpeg,
    "jpeg": _jpeg,
}
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)


def allowed_summary() -> str:
    return "PDF, DOCX, XLSX, PPTX, ODT, TXT, Markdown, PNG, JPEG"


# --- Names ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_name(name: str) -> str:
    """The uploaded name without path parts, control characters or line breaks.

    `C:\\Users\\x\\..\\report "final".pdf` becomes `report "final".pdf`: kept for
    people to recognise, never used as a path. Quotes stay in the record; the
    download header escapes them (`content_disposition`).
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub(" ", name)
    name = " ".join(name.split()).strip(" .")
    return name[:200] or "document"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def download_name(version_name: str, extension: str) -> str:
    """The stored name, with the checked extension (whatever the name claimed)."""
    stem = version_name[: -(len(extension) + 1)] if extension_of(version_name) == extension else version_name
    return f"{stem}.{extension}"


_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._()\- ]+")


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 5987 UTF-8 name (RFC 6266 §4.3)."""
    filename = clean_name(filename)
    extension = extension_of(filename)
    stem = filename[: -(len(extension) + 1)] if extension else filename
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = _ASCII_UNSAFE.sub("_", ascii_stem).strip(" ._") or "document"
    ascii_name = f"{ascii_stem}.{_ASCII_UNSAFE.sub('', extension)}" if extension else ascii_stem
    quoted = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


# --- Checking an upload ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload: IO[bytes], name: str, size: int | None = None) -> CheckedFile:
    """Refuse what is empty, too large, not allowed or not what its extension says.

    Returns the cleaned name, the checked extension and content type, the size
    and the SHA-256 of the content. The handle is left at its start.
    """
    cleaned = clean_name(name)
    extension = extension_of(cleaned)
    kind = ALLOWED.get(extension)
    if kind is None:
        raise FileRefused(
            _("Files of type “.%(ext)s” cannot be uploaded. Allowed: %(allowed)s.")
            % {"ext": extension or _("(none)"), "allowed": allowed_summary()},
            code="file_type",
        )
    limit = settings.DOCUMENT_MAX_UPLOAD_BYTES
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size == 0:
        raise FileRefused(_("The file is empty. Choose the file again."), code="file_empty")
    if size > limit:
        raise FileRefused(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )
    upload.seek(0)
    head = upload.read(1024)
    try:
        matches = kind.check(head, upload)
    finally:
        upload.seek(0)
    if not matches:
        raise FileRefused(
            _("The content of “%(name)s” does not match its type, %(label)s, whatever its name says. Check the file.")
            % {"name": cleaned, "label": kind.label},
            code="file_mismatch",
        )
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        name=cleaned, extension=extension, content_type=kind.content_type, size=size, sha256=digest.hexdigest()
    )


# --- Stamping --------------------------------------------------------------------


_OVERLAY = """<!doctype html><html><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Public Sans"; src: url("{font}"); }}
@page {{ size: {width}pt {height}pt; margin: 0; }}
html, body {{ margin: 0; }}
p {{ position: absolute; left: 24pt; right: 24pt; margin: 0; text-align: center;
     font: 600 7.5pt "Public Sans", "DejaVu Sans", sans-serif; color: #9b1c1c; }}
.head {{ top: 8pt; }} .foot {{ bottom: 8pt; }}
</style></head><body><p class="head">{line}</p><p class="foot">{line}</p></body></html>"""


def _overlay(width: int, height: int, line: str) -> bytes:
    """A one-page PDF of the given size carrying `line` at the head and the foot.

    The HTML is ours but for `line`, which is escaped; the only resource it names
    is the app's own font file.
    """
    from django.contrib.staticfiles import finders

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML

    font = finders.find("fonts/public-sans-latin-600-normal.woff2")
    html = _OVERLAY.format(font=f"file://{font}" if font else "", width=width, height=height, line=escape(line))
    return HTML(string=html).write_pdf()


def stamp_pdf(source: IO[bytes], line: str) -> bytes:
    """Merge a stamp naming the reader onto every page of the PDF."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(source)
    if reader.is_encrypted:
        reader.decrypt("")
    writer = PdfWriter(clone_from=reader)
    overlays: dict[tuple[int, int], object] = {}
    for page in writer.pages:
        page.transfer_rotation_to_content()
        box = page.mediabox
        size = (round(float(box.width)), round(float(box.height)))
        if size not in overlays:
            overlays[size] = PdfReader(io.BytesIO(_overlay(*size, line))).pages[0]
        stamp = overlays[size]
        # The overlay's origin is (0, 0); a page whose box starts elsewhere is shifted.
        if float(box.left) or float(box.bottom):
            from pypdf import Transformation

            page.merge_transformed_page(stamp, Transformation().translate(float(box.left), float(box.bottom)))
        else:
            page.merge_page(stamp)
    writer.add_metadata({"/Subject": line})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# --- Serving -------------------------------------------------------------------------


def stamp_line(version: DocumentVersion, user: User) -> str:
    """Who this copy was issued to, and when, in the reader's own zone."""
    from django.utils import formats, timezone

    from secretariat.zones import zone_label

    now = timezone.now()
    local = timezone.localtime(now, user.zone)
    when = f"{formats.date_format(local, 'j M Y, H:i')} ({zone_label(user.zone_name, now)})"
    return _("CONFIDENTIAL — %(symbol)s — issued to %(name)s <%(email)s> on %(when)s") % {
        "symbol": version.full_symbol,
        "name": user.display_name,
        "email": user.email,
        "when": when,
    }


def needs_stamp(version: DocumentVersion) -> bool:
    return version.document.is_confidential and version.extension == "pdf"


def served_bytes(version: DocumentVersion, user: User) -> bytes:
    """The content a reader receives: stamped when it is a confidential PDF."""
    with version.file.open("rb") as handle:
        if needs_stamp(version):
            return stamp_pdf(handle, stamp_line(version, user))
        return handle.read()


def file_response(version: DocumentVersion, user: User) -> HttpResponse:
    """An attachment with a safe name, never sniffed, never cached by a shared cache."""
    name = download_name(version.original_name, version.extension)
    if needs_stamp(version):
        response: HttpResponse = HttpResponse(served_bytes(version, user), content_type=version.content_type)
    else:
        response = FileResponse(version.file.open("rb"), content_type=version.content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def pack_name(version: DocumentVersion) -> str:
    return f"{version.document.symbol.replace('/', '_')}_{version.label}.{version.extension}"
