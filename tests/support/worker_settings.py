"""Settings for a Celery worker process started by a test.

The test settings, but tasks really go through the broker (no eager mode) and mail goes through
Django's SMTP backend to the test's SMTP sink (``EMAIL_HOST``/``EMAIL_PORT``), with a short
``EMAIL_TIMEOUT`` so a hanging server is noticed quickly.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import env

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=5)
