"""Each kind of process gets its own statement timeout: short for web requests,
long for workers and manage.py commands."""

import pytest

from tests.dossier.production_env import run_in_production

SHOW_OPTIONS = (
    "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
)


def options_of(*args: str, **variables: str | None) -> str:
    result = run_in_production(*args, **variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def settings_options(**variables: str | None) -> str:
    return options_of("-c", f"import django; django.setup(); {SHOW_OPTIONS}", **variables)


def test_a_process_that_says_nothing_is_a_web_process_with_the_30_second_timeout():
    assert settings_options() == "-c statement_timeout=30000"


def test_a_worker_gets_the_10_minute_timeout():
    assert settings_options(DOSSIER_PROCESS="worker") == "-c statement_timeout=600000"


def test_both_timeouts_are_settable_in_seconds():
    assert settings_options(WEB_STATEMENT_TIMEOUT="2.5") == "-c statement_timeout=2500"
    assert (
        settings_options(DOSSIER_PROCESS="worker", WORKER_STATEMENT_TIMEOUT="0")
        == "-c statement_timeout=0"
    )


def test_manage_py_commands_get_the_workers_timeout():
    assert options_of("manage.py", "shell", "-c", SHOW_OPTIONS) == "-c statement_timeout=600000"


def test_gunicorn_serves_with_the_web_timeout_whatever_the_environment_says():
    program = (
        f"exec(open('gunicorn.conf.py').read()); import django; django.setup(); {SHOW_OPTIONS}"
    )
    assert options_of("-c", program, DOSSIER_PROCESS="worker") == "-c statement_timeout=30000"


@pytest.mark.parametrize("variables", [{"DOSSIER_PROCESS": "beat"}, {"WEB_STATEMENT_TIMEOUT": "x"}])
def test_a_malformed_process_setting_stops_start_up_naming_it(variables):
    result = run_in_production("-c", "import django; django.setup()", **variables)
    assert result.returncode != 0
    assert next(iter(variables)) in result.stderr.strip().splitlines()[-1]
