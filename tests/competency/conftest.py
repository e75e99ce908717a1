import pytest


@pytest.fixture
def competency_demo(demo_org):
    """The competency frameworks, profiles and simulations of the demo (part of the session's
    demo world, tests/conftest.py)."""
    from competency import demo

    return demo
