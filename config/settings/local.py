"""Development settings: ``make run`` on a laptop, nothing but Python needed."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="django-insecure-local-development-key-not-for-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# The embedded defaults keep their files under var/; make sure the folders exist.
for _folder in (
    "",
    "mail",
    "broker/queue",
    "broker/processed",
    "broker/control",
    "media",
    "staticfiles",
):
    (BASE_DIR / "var" / _folder).mkdir(parents=True, exist_ok=True)

# Serve static files straight from static/ while developing (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
