from rest_framework.routers import SimpleRouter

from .views import CrisisViewSet, TaskViewSet

router = SimpleRouter()
router.register("crises", CrisisViewSet, basename="crisis")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = router.urls

# Post-incident review (issue 15 §5).
from django.urls import path  # noqa: E402

from .review import CrisisActionItemsView, CrisisReviewView  # noqa: E402

urlpatterns += [
    path("crises/<int:crisis_id>/review/", CrisisReviewView.as_view(), name="crisis-review"),
    path(
        "crises/<int:crisis_id>/action-items/",
        CrisisActionItemsView.as_view(),
        name="crisis-action-items",
    ),
]
