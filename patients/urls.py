from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("clinic/staff/", views.staff, name="staff"),
    path(
        "clinic/staff/<int:clinician_id>/deactivate/",
        views.staff_deactivate,
        name="staff_deactivate",
    ),
    path("clinic/rules/", views.rule_defaults, name="rule_defaults"),
    path("clinic/access-logs/", views.access_logs, name="access_logs"),
    path("pt/patients/new/", views.patient_new, name="patient_new"),
    path("pt/patients/<uuid:public_id>/intake/", views.intake, name="intake"),
    path("pt/patients/<uuid:public_id>/invite/", views.invite, name="invite"),
    path("pt/patients/<uuid:public_id>/access-log/", views.access_log, name="access_log"),
]
