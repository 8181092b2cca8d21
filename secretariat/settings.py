"""One settings module, read from the environment (12-factor).

Safe local defaults: with no environment at all the app runs on SQLite in the
project folder with mail to the console (the embedded default of `make run`).
`DEBUG` is off unless set, and off means production settings.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Demo mode (set by `make run`): demo accounts sign in without a second factor.
DEMO = env.bool("DEMO", default=False)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo12345")

# Commands that neither serve a request nor sign anything: they may run without a
# key (a fresh checkout's `manage.py makemigrations --check`, a build's collectstatic).
_KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "collectstatic", "help", "version"}
_COMMAND = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""
# A development key is only acceptable while DEBUG is on (or for those commands);
# production must set one.
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ASEAN"
    if DEBUG or _COMMAND in _KEYLESS_COMMANDS
    else "",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "simple_history",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "secretariat",
    "meetings",
    "workgroups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "secretariat.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "secretariat.middleware.SecurityHeadersMiddleware",
    "secretariat.middleware.UserTimezoneMiddleware",
    "secretariat.middleware.RequireSecondFactorMiddleware",
]

ROOT_URLCONF = "secretariat.urls"
WSGI_APPLICATION = "secretariat.wsgi.application"

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
                "secretariat.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Embedded default: SQLite in the project folder. Production: DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the reminder loop both write: WAL lets readers go on
    # during a write, IMMEDIATE takes the write lock at BEGIN (no deadlocked
    # upgrades), and the timeout makes a writer wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env.bool("DATABASE_POOL", default=True):
    # psycopg 3's pool through Django: connections are reused across requests.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 8}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Lets parallel test runs on one server use databases of their own.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits need a cache shared by every process) -----
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://django_cache")}
if env.str("TEST_DATABASE_NAME", default=""):
    # Parallel test runs share one Redis: each keeps to its own keys.
    CACHES["default"]["KEY_PREFIX"] = env.str("TEST_DATABASE_NAME")
# Sessions are read from the cache (no query per request) and written through to
# the database, which stays the record: the list of one's sessions and ending them
# (allauth.usersessions) keep working, and a flushed cache signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The main pages keep their rendered parts in the cache per session until any row
# is written, for this many seconds at most; 0 turns it off (secretariat.pagecache).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)

# --- Auth and accounts ----------------------------------------------------
AUTH_USER_MODEL = "secretariat.User"
# Django's and allauth's backends, except that the session's user comes with its
# member state and secretariat flag in one query (secretariat/auth_backends.py).
AUTHENTICATION_BACKENDS = [
    "secretariat.auth_backends.ModelBackend",
    "secretariat.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "secretariat.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
# Brute force: 5 wrong passwords in 5 minutes lock the account key, whatever the IP.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,5/5m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ASEAN AI Safe] "
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ASEAN AI Safe"
# Sessions are recorded at sign-in (the list of one's sessions, ending them);
# tracking every request's activity would cost a write per page.
USERSESSIONS_TRACK_ACTIVITY = False
# Invitation links stay valid this long; each is single use.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)

# --- Internationalisation and time ----------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
USE_I18N = True
USE_TZ = True
# Storage is UTC; pages render in the viewer's zone (UserTimezoneMiddleware).
TIME_ZONE = "UTC"
# The secretariat's seat: the zone of people who have not chosen one.
DEFAULT_USER_TIME_ZONE = "Asia/Kuala_Lumpur"
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files live outside any public URL; a permission-checked view serves them.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "files")
# Largest document file accepted: a long scanned report fits, a video does not.
DOCUMENT_MAX_UPLOAD_BYTES = env.int("DOCUMENT_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
# One-click answer links in circulation e-mails expire after this many days (and once used).
CIRCULATION_LINK_VALID_DAYS = env.int("CIRCULATION_LINK_VALID_DAYS", default=30)

# --- Mail -------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ASEAN AI Safe <no-reply@asean-ai-safe.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A dead SMTP server must not hang a sender for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Delivery engine --------------------------------------------------------
# A claimed message whose sender died is retried once its lease expires.
# It must outlast a whole batch (DELIVERY_BATCH_SIZE × EMAIL_TIMEOUT) or a slow batch
# could be claimed twice.
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=900)
# Attempts before a message is marked failed; retries back off exponentially.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)
DELIVERY_BACKOFF_SECONDS = env.int("DELIVERY_BACKOFF_SECONDS", default=60)
# Messages sent per batch (one SMTP connection per batch).
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=40)
# Reminders reach people inside these local hours on their working days; urgent
# kinds (cancellations, silence broken) go at once.
DELIVERY_WORKDAY_START = env.int("DELIVERY_WORKDAY_START", default=9)
DELIVERY_WORKDAY_END = env.int("DELIVERY_WORKDAY_END", default=18)
# The calendar of people without a member state: the secretariat's seat.
DELIVERY_DEFAULT_COUNTRY = "MY"

# --- Reminder policies -------------------------------------------------------
# When the sweep reminds, kind by kind. The sources derive their reminders from the
# database with this table at every sweep. A deployment may change any entry; a
# malformed table stops start-up (the secretariat.E010 check). Each moment is measured
# from the date the reminder is about; the send time then moves into each recipient's
# working hours (DELIVERY_WORKDAY_*). Kinds not listed (agenda adopted, outcomes,
# assignments) go once, when the event happens. An action item already planned keeps
# its next look (`workgroups.ReminderPlan`) when the table changes; the new leads apply from it.
REMINDERS = {
    # Before the meeting starts, to the delegates invited (attending or not yet answered).
    "meeting_upcoming": {"before": [timedelta(days=7), timedelta(days=1)]},
    # Before the meeting starts, to the heads of delegation that have not answered.
    "rsvp_pending": {"before": [timedelta(days=10)]},
    # Before the due date, in whole days (0: on the day), to the item's owners.
    "action_item_due": {"before": [timedelta(days=3), timedelta(days=0)]},
    # The day after the due date, then every week, to the owners. After `escalate_after`
    # reminders, also to the head of delegation and the secretariat. None later than
    # `until` after the due date: the body's next meeting takes the item up.
    "action_item_overdue": {"every": timedelta(days=7), "escalate_after": 2, "until": timedelta(days=60)},
    # Before the deadline, to the member states that have not answered.
    "circulation_deadline": {"before": [timedelta(hours=48), timedelta(hours=24)]},
    # After the minutes are submitted, then every week until the chair decides.
    "minutes_awaiting_chair": {"after": timedelta(days=3), "every": timedelta(days=7)},
    # Before the comment deadline, to the invited delegations.
    "comment_window_closing": {"before": [timedelta(days=1)]},
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
# Late acknowledgement: a task whose worker dies is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker outage must fail fast, never hang a caller.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 5, "socket_connect_timeout": 3}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "delivery-sweep": {"task": "secretariat.tasks.sweep", "schedule": 60.0},
}

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ASEAN AI Safe secretariat API",
    "DESCRIPTION": "The record of the ASEAN AI Safety Network: bodies, meetings, documents, action items.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets ship with the app (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "AgendaStatusEnum": "meetings.models.AgendaStatus",
        "MinutesStatusEnum": "meetings.models.MinutesStatus",
        "TaskStatusEnum": "workgroups.models.TaskStatus",
        "ActionItemStatusEnum": "workgroups.models.ActionItemStatus",
        "CirculationStatusEnum": "secretariat.documents.models.CirculationStatus",
    },
    # The schema and its viewer are public: they describe, they hold no record.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# --- Audit ------------------------------------------------------------------
# Operational tables without history, each with the reason. Nothing else may be.
AUDIT_EXEMPT_MODELS = {
    "secretariat.Notification": "delivery queue: one row per thing to tell; its state is operational",
    "secretariat.Message": "delivery queue: one e-mail and its attempts; rebuilt from notifications",
    "secretariat.AuditSeal": "the hash chain over the history tables; a history of it would be circular",
    "secretariat.SourceCursor": "the sweep's schedule of its derived sources; rewritten every run, derived from other rows",
    "secretariat.SourceWake": "a flag that a watched row changed, deleted by the next sweep; the change has its own history",
    "workgroups.ReminderPlan": "when the sweep next looks at an action item; derived from the item, which has its history",
}
# The key of the audit hash chain. It never lives in the database, so SQL access
# alone cannot re-seal an edited history row. Keep it when SECRET_KEY rotates.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default=SECRET_KEY)
# The named user that background tasks and commands act as in history.
SYSTEM_USER_EMAIL = "system@asean-ai-safe.invalid"

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
