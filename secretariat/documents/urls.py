"""Pages of the document register, under /documents/ (files live under their document's path)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("documents/", views.document_list, name="list"),
    path("documents/new/", views.document_create, name="create"),
    path("documents/answer/<str:action>/<str:token>/", views.one_click, name="link"),
    path("documents/<int:pk>/", views.document_detail, name="detail"),
    path("documents/<int:pk>/edit/", views.document_edit, name="edit"),
    path("documents/<int:pk>/history/", views.document_history, name="history"),
    path("documents/<int:pk>/versions/new/", views.version_add, name="version_add"),
    path("documents/<int:pk>/versions/<int:version_pk>/download/", views.download, name="download"),
    path("documents/<int:pk>/circulate/", views.circulate, name="circulate"),
    path("documents/<int:pk>/circulations/<int:circulation_pk>/", views.circulation_detail, name="circulation"),
    path("documents/<int:pk>/circulations/<int:circulation_pk>/answer/", views.answer, name="answer"),
    path("documents/<int:pk>/circulations/<int:circulation_pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("documents/<int:pk>/circulations/<int:circulation_pk>/withdraw/", views.withdraw, name="withdraw"),
]
