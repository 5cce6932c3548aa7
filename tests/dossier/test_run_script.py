"""``make run`` (scripts/run.py) on private services: serves the login page as
the runtime role (migrations as the owner), stops on Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from scripts import services
from tests.dossier.conftest import remove_cluster

ROOT = Path(__file__).resolve().parents[2]


def read_lines(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def wait_for(lines: list[str], text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not any(text in line for line in lines):
        assert time.monotonic() < deadline, f"no {text!r} in:\n{''.join(lines)[-4000:]}"
        time.sleep(0.2)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_serves_the_login_page_to_demo_users_and_stops_everything_on_ctrl_c(tmp_path):
    port = services.free_port()
    run_dir = tmp_path / "run"
    env = {
        **os.environ,
        "DOSSIER_PRIVATE_SERVICES": "1",
        "DOSSIER_RUN_DIR": str(run_dir),
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lines, "Dossier is running at", 300)
        output = "".join(lines)
        children = [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", output)]
        assert len(children) == 3  # web, worker, beat

        login_page = requests.get(base + "/", timeout=10)
        assert login_page.status_code == 200
        assert login_page.url.startswith(base + "/accounts/login/")
        assert "Log in to Dossier" in login_page.text

        demo = (run_dir / "demo-users.txt").read_text()
        username, password = re.search(r"^administrator\s+(\S+)\s+(\S+)$", demo, re.M).groups()
        assert password in output  # printed at start
        session = requests.Session()
        session.get(base + "/accounts/login/", timeout=10)
        home = session.post(
            base + "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": base + "/accounts/login/"},
            timeout=10,
        )
        assert home.status_code == 200
        assert f"Welcome, {username}" in home.text

        # Every connection of web, worker and beat is the runtime role's, with
        # the password kept in the run directory (private servers ask for one).
        assert "migrated as dossier; web, worker and beat connect as dossier_runtime" in output
        port_of_postgres = (run_dir / "pg" / "port").read_text().strip()
        runtime_password = (run_dir / "runtime-db-password").read_text().strip()
        with psycopg.connect(
            host="127.0.0.1",
            port=port_of_postgres,
            dbname="dossier",
            user="dossier_runtime",
            password=runtime_password,
        ) as conn:
            users = conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'dossier'"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchall()
        assert users == [("dossier_runtime",)]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
            remove_cluster(run_dir / "pg")
    assert process.returncode == 0, "".join(lines)[-4000:]
    assert not any(pid_alive(pid) for pid in children)
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/healthz", timeout=5)
    assert "stopped private PostgreSQL" in "".join(lines)
    assert "stopped private Redis" in "".join(lines)
