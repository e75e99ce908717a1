"""One descriptor for every ``<name>_zh``/``<name>_en`` pair (issue 9 §5)."""

from __future__ import annotations

from django.utils import translation

from competency.models import Competency
from hrcore.i18n import Bilingual
from hrcore.models import OrgUnit


def test_bilingual_reads_the_active_language_and_falls_back():
    unit = OrgUnit(name_zh="财务部", name_en="Finance")
    with translation.override("en"):
        assert unit.name == "Finance"
    with translation.override("zh-hans"):
        assert unit.name == "财务部"
    only_zh = Competency(name_zh="沟通", name_en="")
    with translation.override("en"):
        assert only_zh.name == "沟通"


def test_models_declare_the_descriptor_not_a_property():
    assert isinstance(OrgUnit.__dict__["name"], Bilingual)
    assert isinstance(Competency.__dict__["name"], Bilingual)
