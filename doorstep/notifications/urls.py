from django.urls import path

from doorstep.notifications import views

app_name = "notifications"

urlpatterns = [path("deliveries/", views.deliveries, name="deliveries")]
