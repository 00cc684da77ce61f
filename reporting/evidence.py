"""What an evidence file is, read from its first bytes: a name can say anything.

A report's evidence is opened by reviewers on their own machines, so only the kinds an office
sends as evidence are kept: PDF, PNG, JPEG, Office Open XML and OpenDocument files (zip archives
that say so inside), and plain text or CSV. Anything else (HTML, scripts, programs, archives of
other things) is refused with a message that names the file.
"""

import codecs
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

SAMPLE = 8192
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]
ZIP = b"PK\x03\x04"
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# Text that starts as markup is a page a browser would run, whatever it is called.
MARKUP = ("<", "\ufeff<")


def evidence_type(upload: UploadedFile) -> str:
    """The file's content type, from its content; refuses a file too large or of another kind."""
    name = upload.name or _("the file")
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; evidence files may be at most %(limit)s."),
            code="too_large",
            params={
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            },
        )
    upload.seek(0)
    head = upload.read(SAMPLE)
    upload.seek(0)
    kind = _signature(head) or _office(upload, head) or _text(head)
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF, a PNG or JPEG image, an Office or OpenDocument file, or "
                "plain text or CSV, whatever its name says; it was not added."
            ),
            code="kind",
            params={"name": name},
        )
    return kind


def _signature(head: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def _office(upload: UploadedFile, head: bytes) -> str | None:
    """An Office Open XML file names its parts in ``[Content_Types].xml``; an OpenDocument file
    starts with its ``mimetype`` entry."""
    if not head.startswith(ZIP):
        return None
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return mimetype
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML.items():
                    if any(entry.startswith(prefix) for entry in names):
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    return None


def _text(head: bytes) -> str | None:
    """Plain text or CSV in UTF-8 or Shift_JIS (as Excel saves it in Japan), without markup."""
    if not head or b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "cp932"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=len(head) < SAMPLE)
        except UnicodeDecodeError:
            continue
        if any(ord(char) < 32 and char not in "\t\r\n\f" for char in text):
            return None
        if text.lstrip().startswith(MARKUP):
            return None
        return "text/plain"
    return None
