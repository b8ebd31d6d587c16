from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """Clinics, their clinicians, their patients and each patient's intake assessment."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "patients"

    def ready(self) -> None:
        from .audit import audit_register

        audit_register()
