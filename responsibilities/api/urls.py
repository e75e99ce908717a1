from rest_framework.routers import SimpleRouter

from .views import ResponsibilityMapViewSet, ScenarioViewSet

router = SimpleRouter()
router.register("scenarios", ScenarioViewSet, basename="scenario")
router.register("responsibility-maps", ResponsibilityMapViewSet, basename="responsibility-map")
urlpatterns = router.urls
