"""Settings shared by every environment; each value that differs per deployment comes from the
environment through one ``environ.Env``.

The embedded defaults (SQLite, a file-system Celery broker, e-mail written to files) make
``make run`` work on a machine with no PostgreSQL, Redis or SMTP server; production and CI set
``DATABASE_URL``, ``CELERY_BROKER_URL`` and ``EMAIL_URL``.
"""

import datetime as dt
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-gb"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'stagewise.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "patients",
    "exercises",
    "prescriptions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "patients.middleware.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "patients.middleware.SessionPolicyMiddleware",
    "patients.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.NoStoreForSignedInMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp), the same in every environment so tests see it ------
# Scripts and styles come only from our own static files: no inline script or style, no eval.
# Images may also be data: URIs (Bootstrap's form icons) and blob: URLs (the preview of a picture
# chosen on the exercise form). No page may be framed, and forms post only back to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: a locked-out sign-in is refused before ModelBackend computes a password hash.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Audit (django-auditlog; see docs/audit.md) ---------------------------------------------
# The correlation id of each entry is the request id set by patients.middleware.
AUDITLOG_CID_GETTER = "patients.audit.request_id_current"
AUDITLOG_STORE_JSON_CHANGES = True

# --- Static and uploaded files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail: files under var/mail/ unless EMAIL_URL names an SMTP server ---------------------
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stagewise <noreply@localhost>")
# A mail server that stops answering must not hold a worker past the task's time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Text messages: django-sms backends; the console one prints them (development) ----------
# A real provider is plugged in by naming its backend, e.g. sms.backends.twilio.SmsBackend.
SMS_BACKEND = env.str("SMS_BACKEND", default="sms.backends.console.SmsBackend")
DEFAULT_FROM_SMS = env.str("DEFAULT_FROM_SMS", default="Stagewise")

# --- Celery (the CELERY_ namespace is read by config.celery_app) ----------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's file-system transport: a broker that needs no server (development only).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# At-least-once delivery: a task is acknowledged only after it ran, and re-queued when its
# worker dies. Every task is therefore idempotent (see prescriptions/tasks.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Well under Redis' default visibility timeout (one hour), so a slow task is killed before the
# broker hands it to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# A web request that queues a task while the broker is down gives up within about a second;
# the row it wrote (outbox message, reminder) is picked up by a sweep once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Every 30 s: send outbox messages left pending (for instance while the broker was down), so
    # an urgent notice goes out within a minute of the broker's return even with a reconnect.
    "outbox-sweep": {"task": "prescriptions.tasks.outbox_sweep_task", "schedule": 30.0},
    # Every minute: create the reminders now due in each patient's local time and queue them.
    "reminders-dispatch": {"task": "prescriptions.tasks.reminders_dispatch_task", "schedule": 60.0},
    # Every five minutes: free reminders stuck in "sending" and re-queue pending ones.
    "reminders-sweep": {"task": "prescriptions.tasks.reminders_sweep_task", "schedule": 300.0},
    # Every quarter hour: write the day's digest for each therapist whose clinic has reached
    # the digest time (one per therapist and day; the outbox relays it).
    "pt-digests": {"task": "prescriptions.tasks.pt_digests_task", "schedule": 900.0},
}

# --- Logging: structure only, never patient details -----------------------------------------
# LOG_FILE: also append every line to this file (for a host without a journal; tests read it).
LOG_FILE = env.str("LOG_FILE", default="")
_log_file_handler = (
    {"file": {"class": "logging.FileHandler", "filename": LOG_FILE, "formatter": "plain"}}
    if LOG_FILE
    else {}
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        **_log_file_handler,
    },
    "root": {
        "handlers": ["console", *_log_file_handler],
        "level": env.str("LOG_LEVEL", default="INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Stagewise ------------------------------------------------------------------------------
STAGEWISE_SITE_URL = env.str("STAGEWISE_SITE_URL", default="http://127.0.0.1:8000")
# The evening follow-up a therapist's plan starts with (patient's local time); blank: none.
STAGEWISE_NUDGE_TIME = env.str("STAGEWISE_NUDGE_TIME", default="19:30")
# When each therapist's daily digest is written, in the clinic's local time.
STAGEWISE_DIGEST_TIME = env.str("STAGEWISE_DIGEST_TIME", default="07:30")

# --- Sign-in and sessions (docs/sign-in.md; patients/middleware.py, patients/sign_in.py) ------
# One cache per process unless CACHE_URL names a shared one (redis://...): the sign-in rate
# limit counts in it, so deployments with several processes point it at Redis.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://stagewise")}
# Staff (therapists, clinic admins, superusers) and patients are signed out after a while
# without a request, and after a fixed time whatever they do (patients/middleware.py).
STAGEWISE_STAFF_IDLE_MINUTES = 15
STAGEWISE_STAFF_SESSION_HOURS = 10
STAGEWISE_PATIENT_IDLE_MINUTES = 30
STAGEWISE_PATIENT_SESSION_HOURS = 24
# The cookie never outlives the longest session the server would accept.
SESSION_COOKIE_AGE = STAGEWISE_PATIENT_SESSION_HOURS * 60 * 60
# Sign-in attempts per IP address before the login form answers 429 without checking the
# password (so a flood never reaches the password hasher).
STAGEWISE_SIGN_IN_RATE = env.str("STAGEWISE_SIGN_IN_RATE", default="10/m")
# How many proxies of ours stand in front of the app and append to X-Forwarded-For (1 behind a
# TLS-terminating proxy). 0: the client's address is REMOTE_ADDR and the header is ignored.
STAGEWISE_TRUSTED_PROXIES = env.int("STAGEWISE_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "patients.addresses.client_address"
# django-axes: five wrong passwords for one username from one address lock that pair out for
# a quarter of an hour; never for good, so nobody can lock a therapist out of the clinic.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lock lifts a quarter hour after it began: attempts during it do not prolong it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "patients.sign_in.locked_out"
AXES_VERBOSE = False
# django-otp: the issuer shown in the authenticator app next to the account.
OTP_TOTP_ISSUER = "Stagewise"
