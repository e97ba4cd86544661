"""A prepared :class:`LocalInstance` served over HTTP, in this process or a child.

Command line (what :class:`ServedInstance` runs)::

    python -m edupush_token.devtools.served serve --directory DIR --port N
"""

import argparse
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .local_instance import ADMIN_PASSWORD_FILE, LocalInstance

THIS_MODULE = "edupush_token.devtools.served"
LISTENING_PREFIX = "eduMFA listening on "


class ServedInstance:
    """Serve a directory's eduMFA over HTTP from a separate ``serve`` process.

    ``with ServedInstance(directory) as url:`` gives the base URL once the server
    answers.  The child picks a free port itself (``--port 0``) and reports it, so
    there is no race for the port.  Its output goes to ``serve-stdout.log`` and
    ``serve-stderr.log`` in the directory (a pipe nobody reads would eventually
    block the server); stderr is quoted if the server fails to come up.
    """

    def __init__(self, directory, *, host="127.0.0.1", port=0, startup_timeout=60.0, tls=None):
        self.directory = Path(directory).resolve()
        self.host = host
        self.port = port
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.url = None
        self.process = None

    def __enter__(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._stdout_path = self.directory / "serve-stdout.log"
        self._stderr_path = self.directory / "serve-stderr.log"
        command = [
            sys.executable,
            "-m",
            THIS_MODULE,
            "serve",
            "--directory",
            str(self.directory),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        if self.tls is not None:
            certificate, key = self.tls
            command += ["--tls-certificate", str(certificate), "--tls-key", str(key)]
        with open(self._stdout_path, "wb") as stdout, open(self._stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        try:
            self.url = self._wait_until_answering()
        except BaseException:
            self._stop()
            raise
        return self.url

    def __exit__(self, *exc_info):
        self._stop()

    def _wait_until_answering(self) -> str:
        deadline = time.monotonic() + self.startup_timeout
        url = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"eduMFA server exited with code {self.process.returncode} before answering:\n"
                    + self._stderr_tail()
                )
            if url is None:
                url = self._reported_url()
            if url is not None and _answers_http(url):
                return url
            time.sleep(0.05)
        raise TimeoutError(f"eduMFA server did not answer within {self.startup_timeout}s:\n" + self._stderr_tail())

    def _reported_url(self):
        for line in self._stdout_path.read_text(errors="replace").splitlines():
            if line.startswith(LISTENING_PREFIX):
                return line[len(LISTENING_PREFIX) :].strip()
        return None

    def _stderr_tail(self, limit=4000) -> str:
        return self._stderr_path.read_text(errors="replace")[-limit:]

    def _stop(self):
        stop_child(self.process, timeout=10)


def stop_child(process, timeout: float) -> None:
    """Terminate a child server if it still runs; kill it if it does not stop in ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers_http(url) -> bool:
    # Our own child on loopback: its certificate may well be self-signed.
    unverified = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url + "/", timeout=2, context=unverified):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def serve(directory, host="127.0.0.1", port=0, tls=None):
    """Prepare ``directory`` if needed and serve it until SIGTERM or Ctrl-C."""
    instance = LocalInstance(directory).prepare()
    server = make_server(instance, host, port, tls)
    print(f"{LISTENING_PREFIX}{server.url}", flush=True)
    print(f"admin password: see {instance.directory / ADMIN_PASSWORD_FILE}", flush=True)
    serve_until_stopped(server)


def make_server(instance: LocalInstance, host: str, port: int, tls=None):
    """Werkzeug's threaded server for the instance, bound (so its port is known), with ``.url``.

    ``tls`` is a (certificate file, key file) pair for HTTPS.
    """
    from werkzeug.serving import make_server as werkzeug_server

    from ..hosts.edumfa import worker

    app = instance.create_app()
    worker.start(app)
    server = werkzeug_server(host, port, app, threaded=True, ssl_context=tls)
    server.url = f"{'https' if tls else 'http'}://{_url_host(host)}:{server.server_port}"  # type: ignore[attr-defined]
    return server


def serve_until_stopped(server) -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m " + THIS_MODULE)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="serve an eduMFA directory over HTTP")
    serve_parser.add_argument("--directory", required=True, help="instance directory (prepared if needed)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    serve_parser.add_argument("--tls-certificate", help="PEM certificate file: serve HTTPS")
    serve_parser.add_argument("--tls-key", help="PEM key file of --tls-certificate")
    args = parser.parse_args(argv)
    if (args.tls_certificate is None) != (args.tls_key is None):
        parser.error("--tls-certificate and --tls-key go together")
    tls = (args.tls_certificate, args.tls_key) if args.tls_certificate else None
    if args.command == "serve":
        serve(args.directory, host=args.host, port=args.port, tls=tls)


if __name__ == "__main__":
    main()
