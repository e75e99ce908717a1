from django.urls import path
from rest_framework.routers import SimpleRouter

from .drills import DrillReportView, DrillStopView
from .obligations import CrisisObligationsView, ObligationFileView
from .review import CrisisActionItemsView, CrisisReviewView
from .views import CrisisViewSet, TaskViewSet

router = SimpleRouter()
router.register("crises", CrisisViewSet, basename="crisis")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = router.urls

urlpatterns += [
    # Statutory clocks (issue 15 §3).
    path(
        "crises/<int:pk>/obligations/", CrisisObligationsView.as_view(), name="crisis-obligations"
    ),
    path("obligations/<int:pk>/file/", ObligationFileView.as_view(), name="obligation-file"),
    # Post-incident review (issue 15 §5).
    path("crises/<int:crisis_id>/review/", CrisisReviewView.as_view(), name="crisis-review"),
    path(
        "crises/<int:crisis_id>/action-items/",
        CrisisActionItemsView.as_view(),
        name="crisis-action-items",
    ),
]

# Drills (issue 16 §1–2).
urlpatterns += [
    path("crises/<int:pk>/stop-drill/", DrillStopView.as_view(), name="crisis-stop-drill"),
    path("drills/<int:crisis_id>/report/", DrillReportView.as_view(), name="drill-report"),
]
