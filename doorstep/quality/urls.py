from django.urls import path

from doorstep.quality import views

app_name = "quality"
urlpatterns = [
    path("callbacks/", views.callback_desk, name="callbacks"),
    path("callbacks/next/", views.callback_next, name="callback_next"),
    path("callbacks/<int:order_id>/record/", views.callback_record, name="callback_record"),
    path("callbacks/<int:order_id>/release/", views.callback_release, name="callback_release"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path("flags/", views.flag_list, name="flags"),
    path("flags/<int:flag_id>/", views.flag_detail, name="flag"),
]
