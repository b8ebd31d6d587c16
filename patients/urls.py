from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("pt/patients/new/", views.patient_new, name="patient_new"),
    path("pt/patients/<uuid:public_id>/intake/", views.intake, name="intake"),
    path("pt/patients/<uuid:public_id>/invite/", views.invite, name="invite"),
]
