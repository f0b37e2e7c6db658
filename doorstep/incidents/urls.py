from django.urls import path

from doorstep.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("open/", views.incident_open, name="open"),
    path("<int:incident_id>/", views.incident_detail, name="detail"),
    path("<int:incident_id>/actions/<str:action>/", views.incident_action, name="action"),
]
