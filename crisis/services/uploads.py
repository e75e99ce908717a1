"""Deliverable file uploads: size and type limits, and the check of a file's leading bytes."""

from __future__ import annotations

import mimetypes
import os

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from hrcore.errors import ValidationFailed

# Upload limits for deliverable files (overridable in settings).
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024


ALLOWED_UPLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
}


# Leading bytes of the binary types: a renamed executable is refused.
MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}


def _upload_max_bytes() -> int:
    return int(getattr(settings, "KEEL_CRISIS_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB"


def validate_upload(file: UploadedFile) -> tuple[str, str]:
    name = os.path.basename(file.name or "")
    ext = os.path.splitext(name)[1].lower()
    max_bytes = _upload_max_bytes()
    if ext not in ALLOWED_UPLOAD_TYPES:
        raise ValidationFailed(
            _("Files of type “%(ext)s” are not accepted. Use: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(ALLOWED_UPLOAD_TYPES))},
            errors={"file": _("File type not accepted.")},
        )
    if file.size is None or file.size > max_bytes:
        raise ValidationFailed(
            _("The file is larger than the limit of %(limit)s.") % {"limit": _size(max_bytes)},
            errors={"file": _("File too large.")},
        )
    if file.size == 0:
        raise ValidationFailed(_("The file is empty."), errors={"file": _("File is empty.")})
    head = file.read(8)
    file.seek(0)
    signatures = MAGIC.get(ext)
    if signatures and not any(head.startswith(sig) for sig in signatures):
        raise ValidationFailed(
            _("The file's content does not match its “%(ext)s” extension.") % {"ext": ext},
            errors={"file": _("Content does not match the file type.")},
        )
    return name, ALLOWED_UPLOAD_TYPES.get(ext) or mimetypes.guess_type(name)[0] or ""
