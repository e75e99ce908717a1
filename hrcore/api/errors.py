"""JSON error bodies for every 4xx/5xx: ``{"status", "code", "detail", "errors"}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from hrcore.errors import KeelError
from hrcore.request_guards import wants_json


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def _first_error(data, path: str = "") -> tuple[str, str]:
    """The first error of a (nested) DRF error structure and where it is, as a key like
    ``duties[0].deadline_minutes`` (list positions in brackets)."""
    if isinstance(data, list) and data:
        return _first_error(data[0], path)
    if isinstance(data, dict) and data:
        key, value = next(iter(data.items()))
        if isinstance(key, int) or str(key).isdigit():
            where = f"{path}[{key}]"
        else:
            where = f"{path}.{key}" if path else str(key)
        return _first_error(value, where)
    return path, str(data)


def _first_message(data) -> str:
    from hrcore.field_names import message_for

    return message_for(*_first_error(data))


def exception_handler(exc, context):
    if isinstance(exc, KeelError):
        return Response(
            error_body(exc.status, exc.code, exc.message, exc.errors), status=exc.status
        )
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found, or not visible to you."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = _("The request is not valid: %(problem)s") % {
            "problem": _first_message(exc.detail)
        }
        response.data = error_body(
            400,
            "invalid",
            detail,
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail},
        )
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(response.status_code, code, str(detail))
    return response


TITLES = {
    400: _lazy("The request could not be understood"),
    403: _lazy("Not allowed"),
    404: _lazy("Page not found"),
    500: _lazy("Something went wrong"),
}


def _page_or_json(request, status_code: int, code: str, detail: str, template: str):
    if wants_json(request):
        return JsonResponse(error_body(status_code, code, detail), status=status_code)
    return render(
        request,
        template,
        {"status": status_code, "title": TITLES.get(status_code, ""), "detail": detail},
        status=status_code,
    )


def _reason(exception) -> str:
    """The specific reason a view gave when it refused (e.g. the dashboard's "for executives")."""
    message = str(exception) if exception is not None else ""
    return "" if message in ("", "None") else message


def handler400(request, exception=None):
    return _page_or_json(
        request, status.HTTP_400_BAD_REQUEST, "bad_request", _("Bad request."), "errors/error.html"
    )


def handler403(request, exception=None):
    return _page_or_json(
        request,
        403,
        "permission_denied",
        _reason(exception) or _("You do not have permission to do this."),
        "errors/error.html",
    )


def forbidden(request, reason) -> HttpResponse:
    """A refused action's 403 (a page, or JSON to a client that wants it) with the refusal's
    reason — a ``KeelError`` such as ``PermissionDenied``, or the words themselves — the same
    answer ``handler403`` gives for a raised refusal."""
    return handler403(request, reason)


def handler404(request, exception=None):
    return _page_or_json(
        request, 404, "not_found", _("Not found, or not visible to you."), "errors/error.html"
    )


def handler500(request):
    return _page_or_json(
        request,
        500,
        "server_error",
        _("Something went wrong on our side. It has been logged."),
        "errors/error.html",
    )
