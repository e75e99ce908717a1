"""A stored file of the crisis engine (a deliverable, a statutory clock's proof) as a download:
an attachment under its original name, never sniffed into something the browser runs."""

from __future__ import annotations

import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


def attachment(file: FieldFile, *, name: str, content_type: str) -> FileResponse:
    name = name or file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
