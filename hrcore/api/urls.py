from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CurrentTokenView, EmployeeViewSet, OrgUnitViewSet, PositionViewSet

router = SimpleRouter()
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("positions", PositionViewSet, basename="position")
router.register("employees", EmployeeViewSet, basename="employee")
urlpatterns = [path("token/", CurrentTokenView.as_view(), name="api-token"), *router.urls]
