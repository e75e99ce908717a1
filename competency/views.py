"""Pages of the competency app: thin, calling services and selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def home(request):
    return HttpResponse("training")


@login_required
def recognition(request):
    return HttpResponse("recognition")


@login_required
def assignment_start(request, pk: int):
    return HttpResponse("start")
