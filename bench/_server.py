"""Run gunicorn on loopback for the duration of a bench, and always stop it."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, headers=None, timeout=30.0):
    """One GET on loopback without following redirects: (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


class Gunicorn:
    def __init__(self, root: Path, env: dict, *, workers: int = 2, log_path: Path, ready_path: str = "/bench/bare/"):
        self.root = root
        self.env = env
        self.workers = workers
        self.log_path = log_path
        self.ready_path = ready_path
        self.port = None
        self.proc = None
        self._log = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0):
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), "shop.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--worker-class", "sync", "--timeout", "60",
               "--graceful-timeout", "5", "--backlog", "2048", "--log-level", "warning"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _, body = http_get(self.port, self.ready_path, timeout=5)
                if status == 200:
                    return self
                last = f"{status} {body[:200]!r}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {self.ready_path} within {timeout:.0f}s (last: {last}):\n"
                           f"{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """Stop the master we started (by its pid); its workers go with it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Only our own session (start_new_session=True above): master and its workers.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
