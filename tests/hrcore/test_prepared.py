"""``hrcore.prepared.prepared_rows``: a read compiled once per connection answers exactly what
the ORM answers, for every later value and list length, with its related objects loaded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hrcore.models import Employee, OrgUnit
from hrcore.prepared import prepared_rows

pytestmark = pytest.mark.django_db


def _people(ids):
    return Employee.objects.select_related("unit", "user").filter(pk__in=ids).order_by("pk")


def test_the_same_rows_and_related_objects_as_the_orm_for_each_value(demo_org):
    every = list(Employee.objects.order_by("pk").values_list("pk", flat=True))
    assert len(every) >= 6
    for ids in (every[:2], every[2:4], every[:3], every[3:6], every[1:2]):
        got = prepared_rows("test.people", _people, ids)
        want = list(_people(ids))
        assert [e.pk for e in got] == [e.pk for e in want] == sorted(ids)
        for g, w in zip(got, want, strict=True):
            assert (g.name, g.unit_id, g.user_id) == (w.name, w.unit_id, w.user_id)
            with CaptureQueriesContext(connection) as ctx:
                assert g.unit.code == w.unit.code  # loaded with the row, no query
                assert g.user.username == w.user.username
            assert ctx.captured_queries == []
            assert not g._state.adding and g._state.db == "default"


def test_strings_slices_and_no_row(demo_org):
    def by_code(code):
        return OrgUnit.objects.filter(code=code).order_by("pk")[:1]

    for unit in OrgUnit.objects.all():
        assert [u.pk for u in prepared_rows("test.unit", by_code, unit.code)] == [unit.pk]
    assert prepared_rows("test.unit", by_code, "no-such-unit") == []


def test_a_value_folded_into_the_sql_is_not_kept_but_still_answers(demo_org):
    unit = OrgUnit.objects.order_by("pk").first()

    # ``pk__in=[]`` would be folded away; here a value used twice cannot be swapped reliably.
    def twice(pk):
        return OrgUnit.objects.filter(pk=pk, id__gte=pk)

    assert [u.pk for u in prepared_rows("test.twice", twice, unit.pk)] == [unit.pk]
    other = OrgUnit.objects.exclude(pk=unit.pk).order_by("pk").first()
    assert [u.pk for u in prepared_rows("test.twice", twice, other.pk)] == [other.pk]
    with pytest.raises(TypeError):
        prepared_rows("test.bad", twice, 1.5)
