from django.urls import path

from doorstep.dispatch import plan_views, views

app_name = "dispatch"
urlpatterns = [
    path("", views.board, name="board"),
    path("sign/", views.sign, name="sign"),
    path("orders/<int:order_id>/suggestions/", views.suggestions, name="suggestions"),
    path("orders/<int:order_id>/assign/", views.assign, name="assign"),
    path("plan/", plan_views.plan, name="plan"),
    path("plans/<int:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/apply/", plan_views.plan_apply, name="plan_apply"),
]
