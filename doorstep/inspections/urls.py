from django.urls import path

from doorstep.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.plan_list, name="plan"),
    path("new/", views.record_form, name="record"),
    path("<int:inspection_id>/", views.detail, name="detail"),
    path("technicians/<str:username>/", views.technician, name="technician"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
]
