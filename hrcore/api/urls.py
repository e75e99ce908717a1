from django.urls import path
from rest_framework.routers import SimpleRouter

from .performance import PerformanceEventList
from .selfservice import QuestionViewSet
from .views import (
    CurrentTokenView,
    EmployeeViewSet,
    NotificationViewSet,
    OrgUnitViewSet,
    PositionViewSet,
)

router = SimpleRouter()
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("positions", PositionViewSet, basename="position")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("questions", QuestionViewSet, basename="question")
urlpatterns = [
    path("token/", CurrentTokenView.as_view(), name="api-token"),
    path(
        "employees/<int:pk>/performance-events/",
        PerformanceEventList.as_view(),
        name="employee-performance-events",
    ),
    *router.urls,
]
