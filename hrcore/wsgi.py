import contextlib
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrcore.settings.local")
application = get_wsgi_application()


def _warm_up() -> None:
    """Do at worker boot what the first request would otherwise pay for (issue 12: the first
    page after `make run` in under a second): import every URLconf and view, load both
    languages' catalogs and compile the base templates."""
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports every urls.py and its views
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Crises")
    for name in ("base.html", "account/login.html"):
        with contextlib.suppress(Exception):  # a warm-up never stops a worker booting
            get_template(name)


if os.environ.get("KEEL_WSGI_WARM_UP", "1") == "1":
    _warm_up()
