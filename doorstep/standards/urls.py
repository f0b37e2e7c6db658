from django.urls import path

from doorstep.standards import views

app_name = "standards"
urlpatterns = [
    path("breaches/", views.breaches, name="breaches"),
    path("penalties/", views.penalties, name="penalties"),
    path("report-backs/", views.report_backs, name="report_backs"),
    path("policies/", views.policies_page, name="policies"),
    path("calendars/", views.calendars, name="calendars"),
]
