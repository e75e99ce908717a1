import pytest


@pytest.fixture
def competency_demo(demo_org):
    """The competency frameworks, profiles and simulations of the demo."""
    from competency import demo

    return demo.seed()
