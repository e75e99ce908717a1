"""hrcore.selectors lookups shared by the apps."""

from hrcore.choices import UnitKind
from hrcore.selectors import group_unit, unit_by_code


def test_unit_by_code(demo_org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert unit_by_code("sh").code == "sh"
    assert unit_by_code("nowhere") is None
    with django_assert_num_queries(0):
        assert unit_by_code("") is None


def test_group_unit_is_the_root_of_the_org_chart(demo_org):
    group = group_unit()
    assert (group.code, group.kind, group.parent_id) == ("demo-group", UnitKind.GROUP, None)
