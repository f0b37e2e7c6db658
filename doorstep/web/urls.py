from django.contrib.auth import views as auth_views
from django.urls import path

from doorstep.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.Login.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("intake/", views.intake, name="intake"),
    path("intake/lookup/", views.intake_lookup, name="intake_lookup"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/act/<str:action>/", views.order_act, name="order_act"),
    path(
        "orders/<int:order_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("healthz", views.healthz, name="healthz"),
]
