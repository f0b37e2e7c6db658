from django.urls import path

from doorstep.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.behind, name="behind"),
    path("technicians/<str:username>/", views.technician, name="technician"),
]
