from django.urls import path

from . import views

app_name = "prescriptions"

urlpatterns = [
    path("pt/", views.caseload, name="caseload"),
    path("pt/patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path("me/", views.today, name="today"),
]
