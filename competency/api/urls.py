from rest_framework.routers import SimpleRouter

from .views import (
    AssignmentViewSet,
    EvidenceViewSet,
    FrameworkViewSet,
    ProfileViewSet,
    ResultViewSet,
    SimulationViewSet,
)

router = SimpleRouter()
router.register("competency-frameworks", FrameworkViewSet, basename="competency-framework")
router.register("position-profiles", ProfileViewSet, basename="position-profile")
router.register("simulations", SimulationViewSet, basename="simulation")
router.register("training-assignments", AssignmentViewSet, basename="training-assignment")
router.register("simulation-results", ResultViewSet, basename="simulation-result")
router.register("competency-evidence", EvidenceViewSet, basename="competency-evidence")
urlpatterns = router.urls
