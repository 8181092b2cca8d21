"""API routes of meetings, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import MeetingViewSet

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = router.urls
