"""The host served the way it is deployed: gunicorn workers and several nodes on PostgreSQL.

GunicornServer  one host directory (eduMFA or privacyIDEA) served by gunicorn, through the host's own app factory
gunicorn        GunicornServer as a fixture, for tests that choose workers and worker class
gunicorn_instance  a PostgreSQL LocalInstance with push_wait slots for gthread workers
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping, Optional

import pytest
import requests

from edupush_token.devtools.local_instance import LocalInstance
from edupush_token.devtools.served import stop_child

LISTENING = re.compile(r"Listening at: (http://\S+)")
HOOKS = Path(__file__).with_name("gunicorn_hooks.py")
WORKERS = 4
THREADS = 4


class GunicornServer:
    """``with GunicornServer(directory) as url:`` serves the directory's host from gunicorn on a free port.

    The app comes from the host's factory (``edumfa.app:create_app``,
    ``privacyidea.app:create_app``) with the directory's config file (and the hooks of ``gunicorn_hooks.py``);
    gunicorn binds port 0 and logs the port it got.
    The URL is handed out once every worker has booted and the server answers.
    """

    def __init__(
        self,
        directory,
        workers: int = WORKERS,
        threads: int = THREADS,
        worker_class: str = "gthread",
        startup_timeout: float = 120.0,
        environment: Optional[Mapping[str, str]] = None,
    ):
        self.directory = Path(directory).resolve()
        self.workers = workers
        self.threads = threads
        self.worker_class = worker_class
        self.startup_timeout = startup_timeout
        self.environment = {**os.environ, **(environment or {})}
        self.log_path = self.directory / "gunicorn.log"
        self.process = None

    def __enter__(self) -> str:
        instance = LocalInstance(self.directory)
        factory = f"create_app(config_name='production', config_file={str(instance.config_file)!r}, silent=True)"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--log-level",
            "info",
            "--config",
            str(HOOKS),
            "--chdir",
            str(self.directory),
            f"{instance.host.package}.app:{factory}",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.environment
            )
        try:
            return self._wait_until_serving()
        except BaseException:
            self._stop()
            raise

    def __exit__(self, *exc_info):
        self._stop()

    def _wait_until_serving(self) -> str:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}:\n{self._log_tail()}")
            log = self.log_path.read_text(errors="replace")
            url = LISTENING.search(log)
            if url and log.count("Booting worker") >= self.workers and _answers(url.group(1)):
                return url.group(1)
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn did not serve within {self.startup_timeout}s:\n{self._log_tail()}")

    def _log_tail(self, limit: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-limit:]

    def _stop(self):
        stop_child(self.process, timeout=15)


def _answers(url: str) -> bool:
    try:
        requests.get(url + "/", timeout=5)
        return True
    except requests.RequestException:
        return False


@pytest.fixture
def gunicorn():
    """``with gunicorn(directory, workers=2, worker_class="sync") as url:`` for other gunicorn set-ups."""
    return GunicornServer


@pytest.fixture
def gunicorn_instance(make_postgres_instance):
    """gthread workers hide their thread count from the app, so the push_wait slots are configured."""
    return make_postgres_instance(EDUPUSH_PUSH_WAIT_SLOTS=THREADS - 1)


@pytest.fixture
def gunicorn_served(gunicorn_instance):
    with GunicornServer(gunicorn_instance.directory) as url:
        yield url
