from django.urls import path

from doorstep.care import views

app_name = "care"
urlpatterns = [
    path("claims/", views.claim_list, name="claims"),
    path("claims/new/<int:order_id>/", views.claim_new, name="claim_new"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim"),
    path("questions/", views.question_list, name="questions"),
    path("questions/<int:question_id>/<str:what>/", views.question_act, name="question_act"),
    path("sites/", views.site_list, name="sites"),
    path("sites/<int:report_id>/handled/", views.site_handled, name="site_handled"),
    path("route/", views.route_preview, name="route"),
]
