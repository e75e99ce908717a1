from django.urls import path
from rest_framework.routers import SimpleRouter

from .obligations import CrisisObligationsView, ObligationFileView
from .views import CrisisViewSet, TaskViewSet

router = SimpleRouter()
router.register("crises", CrisisViewSet, basename="crisis")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = router.urls

# Statutory clocks (issue 15 §3).
urlpatterns += [
    path(
        "crises/<int:pk>/obligations/", CrisisObligationsView.as_view(), name="crisis-obligations"
    ),
    path("obligations/<int:pk>/file/", ObligationFileView.as_view(), name="obligation-file"),
]
