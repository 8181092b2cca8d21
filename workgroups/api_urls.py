"""API routes of the work plan, under /api/v1/ (the root URLconf includes this module)."""

from rest_framework.routers import SimpleRouter

from .api import ActionItemViewSet, TaskViewSet

router = SimpleRouter()
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = router.urls
