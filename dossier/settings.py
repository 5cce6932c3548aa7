"""Dossier settings, read from the environment (see ``core.env``).

Production is ``DEBUG`` off, the default: required variables must then be
given. ``make run`` and ``make test`` set development values themselves.
Every problem found is noted, and start-up stops at the end of this module
with one error naming them all.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url

from core.env import (
    DEBUG,
    collect_problems,
    env_base64_bytes,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_optional,
    env_str,
    problem,
    raise_problems,
)
from people.roles import ALL_ROLES

collect_problems()

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str(
    "SECRET_KEY", dev_default="dossier-development-only-secret-key-not-for-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", dev_default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL, used in links Dossier sends elsewhere (enforcement calls).
SITE_URL = env_str("SITE_URL", dev_default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "people.admin_apps.DossierAdminConfig",
    # Before django.contrib.auth, so that people's createsuperuser, which
    # records the new superuser on the audit trail, replaces Django's.
    "people",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "dossier",
    "audit",
    "cases",
    "ingestion",
    "enforcement",
    "notifications",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RefuseNulCharactersMiddleware",
    # Before anything that reads the body (the CSRF check reads a form's).
    "core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "people.sessions.SessionLifetimeMiddleware",
    "people.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dossier.urls"
WSGI_APPLICATION = "dossier.wsgi.application"
ASGI_APPLICATION = "dossier.asgi.application"

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
                "people.context_processors.navigation",
                "notifications.context_processors.inbox",
                "cases.context_processors.escalations",
            ],
        },
    },
]

# Inputs, selects and text areas written in Python, to the HTML of Django's
# templates; every other widget and form template is Django's (core.form_renderer).
FORM_RENDERER = "core.form_renderer.FormRenderer"


# What kind of process this is decides how long one SQL statement may run
# (README, Configuration): a web request that runs past the web timeout is cut
# off in PostgreSQL and answered with the "took too long" page (core.errors),
# so a runaway query cannot hold a web thread and a connection for minutes.
# Workers, beat and manage.py commands (imports, enforcement, exports,
# migrations) take the longer timeout. gunicorn.conf.py sets ``web`` and
# manage.py sets ``worker`` unless the environment says otherwise; Celery is
# started with DOSSIER_PROCESS=worker (scripts/run.py, docker/compose.yaml).
DOSSIER_PROCESS = env_choice("DOSSIER_PROCESS", ("web", "worker"), default="web")
WEB_STATEMENT_TIMEOUT = env_float("WEB_STATEMENT_TIMEOUT", 30.0, minimum=0.0)
WORKER_STATEMENT_TIMEOUT = env_float("WORKER_STATEMENT_TIMEOUT", 600.0, minimum=0.0)
STATEMENT_TIMEOUT = WEB_STATEMENT_TIMEOUT if DOSSIER_PROCESS == "web" else WORKER_STATEMENT_TIMEOUT


def _database() -> dict:
    url = env_str("DATABASE_URL", dev_default="postgres://postgres@127.0.0.1:5432/dossier")
    conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60)
    config: dict = {"ENGINE": "django.db.backends.postgresql"}
    if url:  # a missing one is already noted
        try:
            config = dj_database_url.parse(url, conn_max_age=conn_max_age)
        except Exception as exc:  # dj-database-url raises several types for bad URLs
            problem(f"DATABASE_URL is not a valid database URL: {exc}", None)
        else:
            if config.get("ENGINE") != "django.db.backends.postgresql":
                problem("DATABASE_URL must point to PostgreSQL (postgres://...)", None)
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    options["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    # Set when the connection starts, so every statement on it is bounded
    # (0: unbounded, PostgreSQL's own meaning).
    timeout = f"-c statement_timeout={round(STATEMENT_TIMEOUT * 1000)}"
    options["options"] = f"{options['options']} {timeout}" if options.get("options") else timeout
    test_name = env_optional("TEST_DATABASE_NAME")
    if test_name:
        config["TEST"] = {"NAME": test_name}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Session lifetimes (people/sessions.py): a session ends after this many
# minutes without a request, and this many seconds after signing in however
# busy it is.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
# Two-factor sign-in with an authenticator app (people/second_factor.py):
# people holding one of these roles must set one up before using Dossier.
REQUIRE_TOTP_FOR_ROLES = env_list("REQUIRE_TOTP_FOR_ROLES", default=[])
for _role in REQUIRE_TOTP_FOR_ROLES:
    if _role not in ALL_ROLES:
        problem(
            f"REQUIRE_TOTP_FOR_ROLES names {_role!r}, which is not a role "
            f"(roles: {', '.join(ALL_ROLES)})",
            None,
        )
OTP_TOTP_ISSUER = "Dossier"
# After each wrong code, codes are refused for this many seconds, doubled per
# further wrong code (django-otp's throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
# The admin never shows an authenticator app's secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Personal API tokens (people/tokens.py) expire: after this many days unless
# the person chooses otherwise, and never later than the maximum.
PERSONAL_TOKEN_MAX_DAYS = env_int("PERSONAL_TOKEN_MAX_DAYS", 180, minimum=1)
PERSONAL_TOKEN_DEFAULT_DAYS = env_int("PERSONAL_TOKEN_DEFAULT_DAYS", 90, minimum=1)
if PERSONAL_TOKEN_DEFAULT_DAYS > PERSONAL_TOKEN_MAX_DAYS:
    problem(
        f"PERSONAL_TOKEN_DEFAULT_DAYS ({PERSONAL_TOKEN_DEFAULT_DAYS}) must not exceed "
        f"PERSONAL_TOKEN_MAX_DAYS ({PERSONAL_TOKEN_MAX_DAYS})",
        None,
    )

# Sign-in lockout (django-axes; people/lockout.py). Failures are counted per
# username *and* source address, so guessing from one address locks that
# pairing only: an attacker elsewhere cannot lock a person out everywhere.
# Axes refuses every attempt checked before the password while locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_address"
# Attempts during a lockout are neither counted nor extend it, so the lockout
# page can name the minute it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in clears the failures counted for its username and address.
AXES_RESET_ON_SUCCESS = True
# The audit trail records sign-ins; axes keeps only the counts of failures.
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "people.lockout.lockout_response"
# Axes' admin pages would let a superuser unlock without a trace on the trail;
# ``manage.py signin unlock`` does it audited.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Bad API tokens per source address (people/bad_tokens.py): past the limit in
# one window, that address's bad tokens get 429 instead of 401 until the
# window ends; valid tokens always pass. 0 removes the limit.
BAD_TOKEN_LIMIT = env_int("BAD_TOKEN_LIMIT", 20, minimum=0)
BAD_TOKEN_WINDOW_SECONDS = env_int("BAD_TOKEN_WINDOW_SECONDS", 300, minimum=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".run" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end packages installed from npm at build time (see package.json).
if (BASE_DIR / "node_modules").is_dir():
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))

# Uploaded evidence lives outside the web root and is served only through views.
EVIDENCE_ROOT = Path(env_str("EVIDENCE_ROOT", dev_default=str(BASE_DIR / ".run" / "evidence")))
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 50 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1)

# Request bodies larger than their route takes are refused with 413 before
# they are read (core.middleware.RequestBodyLimitMiddleware). The routes named
# here take another setting's size (read at each request) plus the room its
# wrapping needs: an uploaded file's form carries boundaries, a title, a
# reason and the CSRF token besides the file. Every other route takes
# REQUEST_MAX_BODY_BYTES: the largest form or JSON body Dossier reads there
# (a long note, a proposal listing thousands of targets) is well under it.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=64 * 1024)
_EVIDENCE_UPLOAD = {
    "setting": "EVIDENCE_MAX_BYTES",
    "overhead": 64 * 1024,
    "what": "An evidence file",
}
REQUEST_BODY_LIMITS = {
    "cases:add-evidence": _EVIDENCE_UPLOAD,
    "cases-api:case-evidence": _EVIDENCE_UPLOAD,
    # The alerts API measures a gzip body again once decompressed (ingestion.body).
    "ingestion-api:alerts": {"setting": "ALERTS_MAX_BODY_BYTES"},
}

# Security headers. Production defaults are strict; development relaxes TLS only.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
# Dossier is served over HTTPS only: plain HTTP is redirected and browsers are
# told (HSTS) never to try it again. The health check stays on plain HTTP for
# the load balancer's probe. Behind a TLS-terminating proxy set
# BEHIND_TLS_PROXY, or every request is redirected again.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The preload directive only consents; the domain's owner still submits it to the lists.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# Cache (rate limits) and Celery share Redis by default.
REDIS_URL = env_str("REDIS_URL", dev_default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery closes Django's database connections around every task unless this
# is set, and a new PostgreSQL backend per batch costs the import a fork and
# cold catalog caches. Workers keep their connection instead, under Django's
# own rules (dossier.celery: DATABASE_CONN_MAX_AGE, health checks).
CELERY_DB_REUSE_MAX = 1_000_000
# Publishing must fail fast when the broker is down: data is already safe in
# PostgreSQL and the sweeper re-enqueues it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE: dict = {
    "worker-heartbeat": {"task": "dossier.tasks.heartbeat", "schedule": 30.0},
}
# A worker counts as alive when its heartbeat is younger than this.
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 120, minimum=10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Detector tokens authenticate everywhere so that other endpoints answer 403.
        "ingestion.auth.BearerAuthentication",
    ],
    # An endpoint that declares no ``allowed_roles`` admits nobody: roles are
    # never granted by omission.
    "DEFAULT_PERMISSION_CLASSES": [
        "people.permissions.HasRole",
        "ingestion.auth.NotDetector",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dossier API",
    "DESCRIPTION": "Case management for abuse investigations at AI model providers.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs describe what people may do: for people signed in
    # (by session or with a personal token, as the API itself).
    "SERVE_AUTHENTICATION": [
        "people.api_auth.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated",
        "ingestion.auth.NotDetector",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.CaseStatus",
        "EscalationLevelEnum": "cases.models.EscalationLevel",
        "IndicatorTypeEnum": "cases.models.IndicatorType",
        "StrongIndicatorTypeEnum": "cases.models.STRONG_INDICATOR_CHOICES",
        "BatchStatusEnum": "ingestion.models.BatchStatus",
        "AlertStatusEnum": "ingestion.models.AlertStatus",
        "ActionKindEnum": "enforcement.models.ActionKind",
    },
    # Every operation's error answers, in the one shape of core.api.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_error_responses",
    ],
}

# Alerts API (docs/alerts-api.md).
ALERTS_MAX_BODY_BYTES = env_int("ALERTS_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DETECTOR_DEFAULT_RATE = env_int("DETECTOR_DEFAULT_RATE", 600, minimum=0)

# Import of alerts into cases (ingestion/importing/). Seconds unless named otherwise.
# A batch claimed longer ago than this is presumed abandoned by a dead worker.
IMPORT_CLAIM_TIMEOUT = env_int("IMPORT_CLAIM_TIMEOUT", 600, minimum=1)
# The sweeper re-enqueues batches still pending after this long.
IMPORT_PENDING_AFTER = env_int("IMPORT_PENDING_AFTER", 300, minimum=1)
IMPORT_SWEEP_INTERVAL = env_int("IMPORT_SWEEP_INTERVAL", 60, minimum=1)
# Attempts (claims) before a batch is marked failed.
IMPORT_MAX_ATTEMPTS = env_int("IMPORT_MAX_ATTEMPTS", 5, minimum=1)
# An alert's indicators are linked to each of its accounts up to this many pairs.
IMPORT_MAX_LINKS_PER_ALERT = env_int("IMPORT_MAX_LINKS_PER_ALERT", 500, minimum=0)
# A value seen across more accounts than this is too common to join cases.
INDICATOR_COMMON_CAP = env_int("INDICATOR_COMMON_CAP", 50, minimum=1)
# Hours from opening to the SLA due time, per severity.
CASE_SLA_HOURS = {
    "critical": env_int("CASE_SLA_HOURS_CRITICAL", 4, minimum=1),
    "high": env_int("CASE_SLA_HOURS_HIGH", 24, minimum=1),
    "medium": env_int("CASE_SLA_HOURS_MEDIUM", 72, minimum=1),
    "low": env_int("CASE_SLA_HOURS_LOW", 168, minimum=1),
}
# How often beat marks the cases whose SLA passed (each once: cases.tasks.mark_sla_breaches).
CELERY_BEAT_SCHEDULE["sla-breaches"] = {
    "task": "cases.tasks.mark_sla_breaches",
    "schedule": env_float("SLA_BREACH_INTERVAL", 60.0, minimum=1.0),
}
CELERY_BEAT_SCHEDULE["import-sweep"] = {
    "task": "ingestion.tasks.sweep_imports",
    "schedule": float(IMPORT_SWEEP_INTERVAL),
}

# Enforcement (docs/enforcement-webhook.md).
# Production names its backend: a silent ``log`` would record approved actions
# as executed while nothing reaches the platform.
ENFORCEMENT_BACKEND = env_choice("ENFORCEMENT_BACKEND", ("log", "webhook"), dev_default="log")
ENFORCEMENT_URL = env_optional("ENFORCEMENT_URL")
ENFORCEMENT_SECRETS = [s for s in (env_optional("ENFORCEMENT_SECRET") or "").split(",") if s]
if ENFORCEMENT_BACKEND == "webhook":
    if not ENFORCEMENT_SECRETS:
        problem("ENFORCEMENT_SECRET is required when ENFORCEMENT_BACKEND is webhook", None)
    if not ENFORCEMENT_URL:
        problem("ENFORCEMENT_URL is required when ENFORCEMENT_BACKEND is webhook", None)
ENFORCEMENT_TIMEOUT = env_float("ENFORCEMENT_TIMEOUT", 10.0, minimum=0.1)
ENFORCEMENT_MAX_ATTEMPTS = env_int("ENFORCEMENT_MAX_ATTEMPTS", 8, minimum=1)
ENFORCEMENT_DEADLINE = env_float("ENFORCEMENT_DEADLINE", 24.0, minimum=0.01)
ENFORCEMENT_CONCURRENCY = env_int("ENFORCEMENT_CONCURRENCY", 8, minimum=1)
# Retry backoff: base * 2^(attempt-1) seconds with jitter, capped.
ENFORCEMENT_BACKOFF_BASE = env_float("ENFORCEMENT_BACKOFF_BASE", 5.0, minimum=0.0)
ENFORCEMENT_BACKOFF_MAX = env_float("ENFORCEMENT_BACKOFF_MAX", 900.0, minimum=0.0)
# Kinds that need a second lead's approval (two-person rule plus one).
ACTIONS_TWO_APPROVAL_KINDS = env_list(
    "ACTIONS_TWO_APPROVAL_KINDS", default=["terminate_accounts", "notify_partner"]
)
# Partners a notify_partner action may name.
ENFORCEMENT_PARTNERS = env_list("ENFORCEMENT_PARTNERS", default=[])
# The sweeper expires actions and re-enqueues actions with due work no worker holds.
ENFORCEMENT_SWEEP_INTERVAL = env_float("ENFORCEMENT_SWEEP_INTERVAL", 30.0, minimum=0.5)
CELERY_BEAT_SCHEDULE["enforcement-sweep"] = {
    "task": "enforcement.tasks.sweep",
    "schedule": ENFORCEMENT_SWEEP_INTERVAL,
}

# Outgoing event webhooks (docs/webhooks.md): seconds to wait for an endpoint's
# answer, the first retry's wait (doubled after each failure), and the attempts
# before a delivery is recorded failing.
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 5.0, minimum=0.1)
WEBHOOK_RETRY_BASE = env_float("WEBHOOK_RETRY_BASE", 30.0, minimum=0.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
# The sweep re-queues due retries whose message was lost (a broker restart).
CELERY_BEAT_SCHEDULE["webhook-retries"] = {
    "task": "webhooks.tasks.retry_due",
    "schedule": env_float("WEBHOOK_SWEEP_INTERVAL", 60.0, minimum=1.0),
}
# How often beat queues again the notifications and webhooks of the last day's
# events whose on-commit message was lost (the broker down at commit: audit.followers).
EVENT_SWEEP_INTERVAL = env_float("EVENT_SWEEP_INTERVAL", 300.0, minimum=1.0)
CELERY_BEAT_SCHEDULE["notification-sweep"] = {
    "task": "notifications.tasks.sweep_undelivered",
    "schedule": EVENT_SWEEP_INTERVAL,
}
CELERY_BEAT_SCHEDULE["webhook-dispatch-sweep"] = {
    "task": "webhooks.tasks.sweep_undispatched",
    "schedule": EVENT_SWEEP_INTERVAL,
}

# Audit checkpoints signed before Ed25519 ones: the HMAC keys they verify
# with, kept outside the database (the first signed; older ones still verify).
AUDIT_CHECKPOINT_KEYS = env_list(
    "AUDIT_CHECKPOINT_KEYS", dev_default=["dossier-development-only-audit-key"]
)
# Audit exports: the Ed25519 private key that signs each export's manifest,
# given as base64 of its 32 raw bytes (docs/audit-exports.md). Required in
# production; its public half is served at /api/v1/audit/public-key. The
# development key is derived from a fixed phrase, so it is the same on every
# machine and never a secret.
AUDIT_SIGNING_KEY = env_base64_bytes(
    "AUDIT_SIGNING_KEY",
    32,
    dev_default=hashlib.sha256(b"dossier-development-only-audit-signing-key").digest(),
)
# Exports selecting more events than AUDIT_EXPORT_SYNC_MAX_ROWS run as a job
# on a worker (docs/audit-exports.md): their files go under EXPORT_ROOT, which
# production must name (a folder outside the web root, on storage the web
# processes and workers share), and are removed EXPORT_RETENTION_HOURS after
# they are ready.
AUDIT_EXPORT_SYNC_MAX_ROWS = env_int("AUDIT_EXPORT_SYNC_MAX_ROWS", 100_000, minimum=1)
AUDIT_EXPORT_PAGE_SIZE = env_int("AUDIT_EXPORT_PAGE_SIZE", 2000, minimum=1)
EXPORT_ROOT = Path(env_str("EXPORT_ROOT", dev_default=str(BASE_DIR / ".run" / "exports")))
EXPORT_RETENTION_HOURS = env_float("EXPORT_RETENTION_HOURS", 24.0, minimum=0.0)
CELERY_BEAT_SCHEDULE["audit-export-cleanup"] = {
    "task": "audit.tasks.remove_expired_exports",
    "schedule": env_float("EXPORT_CLEANUP_INTERVAL", 300.0, minimum=1.0),
}
# The chain's head is anchored every AUDIT_ANCHOR_INTERVAL seconds: signed with
# AUDIT_SIGNING_KEY and appended to AUDIT_ANCHOR_PATH, a file outside the
# database that production must name (append-only storage the database's
# administrators cannot rewrite; docs/audit-trail.md). The interval is the
# window in which a cut of the newest events goes unseen.
AUDIT_ANCHOR_PATH = Path(
    env_str("AUDIT_ANCHOR_PATH", dev_default=str(BASE_DIR / ".run" / "audit-anchors.jsonl"))
)
AUDIT_ANCHOR_INTERVAL = env_float("AUDIT_ANCHOR_INTERVAL", 5.0, minimum=1.0)
CELERY_BEAT_SCHEDULE["audit-anchor"] = {
    "task": "audit.tasks.anchor",
    "schedule": AUDIT_ANCHOR_INTERVAL,
}

# Evidence files no row refers to (an upload whose transaction rolled back).
CELERY_BEAT_SCHEDULE["evidence-orphans"] = {
    "task": "cases.tasks.remove_orphaned_evidence",
    "schedule": 3600.0,
}

# Email (docs/notifications.md): the console backend under DEBUG, SMTP in
# production (by default to a relay on localhost) unless EMAIL_BACKEND names
# another Django mail backend.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0, minimum=0.1)
# The file backend's folder (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".run" / "email"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="dossier@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}

raise_problems()

__all__ = ["DEBUG"]
