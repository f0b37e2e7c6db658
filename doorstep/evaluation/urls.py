from django.urls import path

from doorstep.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("c/<str:token>/evaluation", views.link_form, name="link"),
    path("m/orders/<int:order_id>/evaluation/", views.handover_form, name="handover"),
]
