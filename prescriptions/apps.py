from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    """Prescribed programmes, the patient's logs, the rule decisions and what follows them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "prescriptions"
