from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    """The exercise catalog and the staged progression protocols built from it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exercises"
