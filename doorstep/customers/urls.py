from django.urls import path

from doorstep.customers import views

app_name = "customers"

urlpatterns = [
    # Short paths: the link goes out in an SMS, the badge's URL into a QR code.
    path("c/<str:token>", views.link_page, name="link"),
    path("b/<str:slug>", views.badge_page, name="badge"),
    path("b/<str:slug>/photo", views.badge_photo, name="badge-photo"),
    path("customers/badges/", views.badge_list, name="badge-list"),
    path("customers/badges/<str:username>/", views.badge_card, name="badge-card"),
    path("customers/requests/", views.request_list, name="requests"),
]
