"""Guards every request passes before a view runs, and JSON errors for the API under any
settings.

* ``RequestGuardMiddleware`` refuses a body larger than ``KEEL_REQUEST_MAX_BYTES`` from its
  ``Content-Length`` header, before a byte of it is read (413), and a NUL character in the path
  or query string (400: PostgreSQL refuses NUL in text, so every view that filters on a query
  parameter would answer 500).
* ``wants_json`` is the one place that decides between a JSON error and an HTML page.
* ``ApiJsonErrorsMiddleware`` makes every 4xx/5xx under ``/api/`` (or asked for as JSON) the
  JSON error shape
  ``{"status", "code", "detail", "errors"}``: with ``DEBUG=True`` (``make run``) Django answers an
  unknown URL or an unhandled exception with its HTML debug pages, which partners cannot parse.
* ``ProductErrorPagesMiddleware`` answers browsers with the product's own error pages even
  with ``DEBUG=True`` (Django's debug pages list URL patterns and settings).
"""

from __future__ import annotations

import html
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger("django.request")

DEFAULT_REQUEST_MAX_BYTES = 16 * 1024 * 1024


def request_max_bytes() -> int:
    return int(getattr(settings, "KEEL_REQUEST_MAX_BYTES", DEFAULT_REQUEST_MAX_BYTES))


def wants_json(request) -> bool:
    """The one rule for the shape of an error: JSON for the API and for clients that ask for
    JSON, the product's HTML pages for everyone else."""
    return request.path_info.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _error_body(status: int, code: str, detail: str) -> dict:
    from hrcore.api.errors import error_body  # the one shape of every API error

    return error_body(status, code, detail)


def _too_large_message(limit: int) -> str:
    return _("The request is too large: at most %(size)s MB may be sent at once.") % {
        "size": limit // (1024 * 1024)
    }


def _nul_message() -> str:
    return _("The address contains a NUL character (%00); it cannot be processed.")


def _bilingual_page(status: int, message) -> HttpResponse:
    """A minimal page in both languages (no template: no user, session or context processors
    are needed, so it works before authentication ran)."""
    parts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            parts.append(f'<p lang="{language}">{html.escape(message())}</p>')
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head>"
        f"<body><h1>{status}</h1>{''.join(parts)}</body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = request_max_bytes()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return self._refuse(request, 413, "too_large", lambda: _too_large_message(limit))
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return self._refuse(request, 400, "nul_character", _nul_message)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, status: int, code: str, message) -> HttpResponse:
        if wants_json(request):
            response = JsonResponse(_error_body(status, code, message()), status=status)
        else:
            response = _bilingual_page(status, message)
        if status == 413:
            # The body was not read: the connection cannot be reused for another request.
            response["Connection"] = "close"
        return response


_GENERIC = {
    400: ("bad_request", gettext_lazy("Bad request.")),
    401: ("not_authenticated", gettext_lazy("Authentication credentials were not provided.")),
    403: ("permission_denied", gettext_lazy("You do not have permission to do this.")),
    404: ("not_found", gettext_lazy("Not found, or not visible to you.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side. It has been logged.")),
}


def _generic(status: int) -> tuple[str, str]:
    if status in _GENERIC:
        code, detail = _GENERIC[status]
        return code, str(detail)
    code = "error" if status < 500 else "server_error"
    return code, _("The request could not be processed.")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            wants_json(request)
            and response.status_code >= 400
            and not getattr(response, "streaming", False)
            and "json" not in response.get("Content-Type", "")
        ):
            code, detail = _generic(response.status_code)
            converted = JsonResponse(
                _error_body(response.status_code, code, detail), status=response.status_code
            )
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response

    def process_exception(self, request, exception):
        if not wants_json(request):
            return None
        if isinstance(exception, Http404):
            status = 404
        elif isinstance(exception, PermissionDenied):
            status = 403
        else:
            status = 500
            logger.error(
                "Internal Server Error: %s",
                request.path,
                exc_info=exception,
                extra={"status_code": 500, "request": request},
            )
            # What Django's own handler sends (error reporters and the test client listen).
            got_request_exception.send(sender=None, request=request)
        code, detail = _generic(status)
        return JsonResponse(_error_body(status, code, detail), status=status)


class ProductErrorPagesMiddleware:
    """The product's own 404, 403 and 500 pages for browser paths even when DEBUG is on (the
    embedded ``make run`` default): Django's debug pages list every URL pattern and settings to
    whoever mistypes an address. The API keeps its JSON errors (the same handlers answer JSON
    under /api/, DRF views answer their own errors before this sees them). With DEBUG off Django already calls these handlers; this adds nothing then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info)
            except Resolver404:
                from .api import errors

                return errors.handler404(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not settings.DEBUG:
            return None
        from .api import errors

        if isinstance(exception, Http404):
            return errors.handler404(request, exception)
        if isinstance(exception, PermissionDenied):
            return errors.handler403(request, exception)
        logger.exception("Internal Server Error: %s", request.path, exc_info=exception)
        return errors.handler500(request)
