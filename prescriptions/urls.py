from django.urls import path

from . import views

app_name = "prescriptions"

urlpatterns = [
    path("pt/", views.caseload, name="caseload"),
    path("pt/alerts/", views.alert_queue, name="alert_queue"),
    path("pt/alerts/<int:alert_id>/<slug:action>/", views.alert_action, name="alert_action"),
    path("pt/patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path("pt/patients/<uuid:public_id>/prescribe/", views.prescribe, name="prescribe"),
    path("pt/patients/<uuid:public_id>/status/", views.status_change, name="status_change"),
    path(
        "pt/patients/<uuid:public_id>/overrides/",
        views.threshold_override,
        name="threshold_override",
    ),
    path("me/", views.today, name="today"),
    path("r/pause/<str:token>/", views.reminders_pause, name="reminders_pause"),
    path("me/history/", views.history, name="history"),
    path("me/reminders/", views.reminder_settings, name="reminder_settings"),
    path("me/morning/", views.morning_check, name="morning_check"),
    path("me/log/", views.session_log, name="session_log"),
    path("me/decisions/<int:evaluation_id>/", views.decision, name="decision"),
]
