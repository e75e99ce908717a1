from rest_framework.routers import SimpleRouter

from .views import CrisisViewSet, TaskViewSet

router = SimpleRouter()
router.register("crises", CrisisViewSet, basename="crisis")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = router.urls
