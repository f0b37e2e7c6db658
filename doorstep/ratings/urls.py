from django.urls import path

from doorstep.ratings import views

app_name = "ratings"

urlpatterns = [
    path("", views.technician, name="mine"),
    path("<str:username>/", views.technician, name="technician"),
    path("<str:username>/recompute", views.ask, name="ask"),
]
