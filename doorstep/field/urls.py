from django.urls import path

from doorstep.field import views

app_name = "field"
urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("orders/<int:order_id>/", views.order_page, name="order"),
    path("phrases/check/", views.phrase_check, name="phrase_check"),
    path("sw.js", views.service_worker, name="service_worker"),
]
