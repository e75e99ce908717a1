"""Every user-facing string is translated into Simplified Chinese."""

import io
import re
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "hrcore",
    "responsibilities",
    "customers",
    "crisis",
    "competency",
    "integrations",
    "templates",
]
PATTERNS = [
    re.compile(r"""(?<![\w.])(?:_|gettext|gettext_lazy|pgettext)\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]"""),
    re.compile(r"""{%\s*(?:translate|trans)\s+"([^"]+)"(?:\s+[^%]*)?%}"""),
]


def catalog_msgids() -> set[str]:
    ids: set[str] = set()
    for po_path in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        if ".venv" in po_path.parts:
            continue
        ids |= {e.msgid for e in polib.pofile(str(po_path)) if not e.obsolete}
    return ids


def source_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            if (
                path.suffix not in {".py", ".html", ".txt"}
                or "migrations" in path.parts
                or "sandbox" in path.parts
            ):
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in PATTERNS:
                for match in pattern.finditer(text):
                    found.setdefault(
                        match.group(1).replace('\\"', '"'), str(path.relative_to(ROOT))
                    )
    return found


def test_every_catalog_entry_is_translated():
    call_command("check_translations", stdout=io.StringIO())


def test_every_marked_string_is_in_a_catalog():
    known = catalog_msgids()
    missing = {s: where for s, where in source_strings().items() if s not in known}
    assert missing == {}, f"run makemessages for these apps and translate: {missing}"


@pytest.mark.parametrize("text", ["Organisation chart", "Crisis response", "Log out"])
def test_translations_are_active_in_chinese(text):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext(text) != text


def test_keel_catalogs_win_over_third_party_ones():
    """A msgid Keel shares with Django or a library ("Filter": admin says 过滤器, Keel 筛选)
    must show Keel's translation: our apps come first in INSTALLED_APPS. Also catches one
    msgid translated two ways in two of our catalogs."""
    from django.utils import translation

    expected: dict[str, set[str]] = {}
    for po_path in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        if ".venv" in po_path.parts:
            continue
        for e in polib.pofile(str(po_path)):
            if e.translated() and not e.obsolete and not e.msgctxt and not e.msgid_plural:
                expected.setdefault(e.msgid, set()).add(e.msgstr)
    assert "Filter" in expected
    with translation.override("zh-hans"):
        wrong = {
            msgid: (translation.gettext(msgid), sorted(msgstrs))
            for msgid, msgstrs in expected.items()
            if len(msgstrs) > 1 or translation.gettext(msgid) not in msgstrs
        }
    assert wrong == {}
