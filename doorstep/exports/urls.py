from django.urls import path

from doorstep.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<int:export_id>/download", views.download, name="download"),
]
