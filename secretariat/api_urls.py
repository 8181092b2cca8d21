"""API routes of the base layer, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import BodyViewSet

router = SimpleRouter()
router.register("bodies", BodyViewSet, basename="body")

urlpatterns = router.urls
