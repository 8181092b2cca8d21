"""The root URLconf: it names every app, which is its job."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin signs in through allauth (rate limits, second factor), never its own form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "ASEAN AI Safe — administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("secretariat.routes")),
    path("", include("workgroups.urls")),
]
