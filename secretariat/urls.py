"""The root URLconf: it names every app, which is its job."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The admin signs in through allauth (rate limits, second factor), never its own form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "ASEAN AI Safe — administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("secretariat.api_urls")),
    path("api/v1/", include("meetings.api_urls")),
    path("api/v1/", include("secretariat.documents.api_urls")),
    path("api/v1/", include("workgroups.api_urls")),
    path("", include("secretariat.routes")),
    path("", include("secretariat.documents.urls")),
    path("", include("meetings.urls")),
    path("", include("workgroups.urls")),
]
