"""The one-tap acknowledgement page behind the signed, short-lived link in IM cards and SMS.

No log-in for the acknowledgement itself (the signed token is the credential, for one message
and one person); anything more (the crisis page) opens the log-in. GET shows the message and
one button; the POST acknowledges — so link previews that fetch the URL acknowledge nothing.
A used, expired or forged link shows a clear page and changes nothing.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import reach
from .i18n import pick


def _page(request, state: str, anchor=None, status: int = 200, token: str = ""):
    notification = anchor.notification if anchor is not None else None
    return render(
        request,
        "hrcore/reach_ack.html",
        {
            "state": state,
            "token": token,
            "subject": pick(notification, "subject") if notification else "",
            "body": pick(notification, "body") if notification else "",
            "link": notification.link if notification else "",
            "acknowledged_at": anchor.acknowledged_at if anchor is not None else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def acknowledge(request, token: str):
    try:
        anchor = reach.anchor_from_token(token)
    except reach.AckLinkInvalid as exc:
        return _page(request, exc.code, status=410 if exc.code == "expired" else 400)
    if anchor.acknowledged_at is not None:
        return _page(request, "used", anchor, status=409 if request.method == "POST" else 200)
    if request.method == "GET":
        return _page(request, "confirm", anchor, token=token)
    if not reach.acknowledgement_record(anchor=anchor, via="link"):
        anchor.refresh_from_db()
        return _page(request, "used", anchor, status=409)
    anchor.refresh_from_db()
    return _page(request, "done", anchor)
