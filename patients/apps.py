from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """Clinics, their clinicians, their patients and each patient's intake assessment."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "patients"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .audit import audit_register
        from .middleware import session_start

        audit_register()
        # Every sign-in starts the session clocks afresh (idle timeout, absolute lifetime).
        user_logged_in.connect(session_start, dispatch_uid="stagewise-session-start")
