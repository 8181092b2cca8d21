from django.urls import path

from . import action_views, plan_views, search_views, views

app_name = "workgroups"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search_page, name="search"),
    path("workgroups/", views.body_list, name="bodies"),
    path("workgroups/new/", views.body_create, name="body_create"),
    path("workgroups/<int:pk>/", views.body_detail, name="body"),
    path("workgroups/<int:pk>/edit/", views.body_edit, name="body_edit"),
    path("workgroups/<int:pk>/history/", views.body_history, name="body_history"),
    path("workgroups/<int:pk>/members/add/", views.membership_add, name="membership_add"),
    path("workgroups/<int:pk>/invite/", views.invite, name="invite"),
    path("workgroups/<int:pk>/tasks/new/", plan_views.task_create, name="task_create"),
    path("workgroups/memberships/<int:pk>/edit/", views.membership_edit, name="membership_edit"),
    path("workgroups/memberships/<int:pk>/end/", views.membership_end, name="membership_end"),
    path("workgroups/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("workgroups/tasks/<int:pk>/", plan_views.task_detail, name="task"),
    path("workgroups/tasks/<int:pk>/edit/", plan_views.task_edit, name="task_edit"),
    path("workgroups/tasks/<int:pk>/refer/", plan_views.task_refer, name="task_refer"),
    path("workgroups/referrals/<int:pk>/outcome/", plan_views.referral_outcome, name="referral_outcome"),
    path("action-items/", action_views.action_item_list, name="action_items"),
    path("action-items/export.csv", action_views.action_item_csv, name="action_items_csv"),
    path("action-items/new/", action_views.action_item_create, name="action_item_create"),
    path("action-items/<int:pk>/", action_views.action_item_detail, name="action_item"),
    path("action-items/<int:pk>/edit/", action_views.action_item_edit, name="action_item_edit"),
    path("action-items/<int:pk>/start/", action_views.action_item_start, name="action_item_start"),
    path("action-items/<int:pk>/complete/", action_views.action_item_complete, name="action_item_complete"),
    path("action-items/<int:pk>/drop/", action_views.action_item_drop, name="action_item_drop"),
    path("action-items/<int:pk>/reassign/", action_views.action_item_reassign, name="action_item_reassign"),
    path("action-items/<int:pk>/updates/", action_views.action_item_post_update, name="action_item_post_update"),
    path("action-items/<int:pk>/refer/", action_views.action_item_refer, name="action_item_refer"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
]
