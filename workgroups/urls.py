from django.urls import path

from . import views

app_name = "workgroups"

urlpatterns = [
    path("", views.home, name="home"),
    path("workgroups/", views.body_list, name="bodies"),
    path("workgroups/new/", views.body_create, name="body_create"),
    path("workgroups/<int:pk>/", views.body_detail, name="body"),
    path("workgroups/<int:pk>/edit/", views.body_edit, name="body_edit"),
    path("workgroups/<int:pk>/history/", views.body_history, name="body_history"),
    path("workgroups/<int:pk>/members/add/", views.membership_add, name="membership_add"),
    path("workgroups/<int:pk>/invite/", views.invite, name="invite"),
    path("workgroups/memberships/<int:pk>/edit/", views.membership_edit, name="membership_edit"),
    path("workgroups/memberships/<int:pk>/end/", views.membership_end, name="membership_end"),
    path("workgroups/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
]
