"""API routes of the document register, under /api/v1/ (the root URLconf includes this module)."""

from rest_framework.routers import SimpleRouter

from .api import CirculationViewSet, DocumentViewSet

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")
router.register("circulations", CirculationViewSet, basename="circulation")

urlpatterns = router.urls
