"""The DynamoDB backends the integration tests run against.

- ``moto``: moto's in-process mock (botocore's HTTP layer is intercepted);
- ``moto_server``: a moto server process on 127.0.0.1;
- ``dynalite``: dynalite (node), installed with npm into ``.cache/node`` on first
  use and started on 127.0.0.1.

Servers listen on a free loopback port, are given a time limit, and are stopped by
the test run itself (by PID).  ``BLOOP_REQUIRE_BACKENDS`` (comma-separated) names
backends that must run: one that cannot start fails the run instead of skipping.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
ALL_BACKENDS = ("moto", "moto_server", "dynalite")
#: no server outlives this many seconds, whatever happens to the test run
SERVER_LIFETIME = 1800


def required() -> set:
    return {b.strip() for b in os.environ.get("BLOOP_REQUIRE_BACKENDS", "").split(",") if b.strip()}


def selected() -> tuple:
    """Backends to run: ``BLOOP_TEST_BACKENDS`` or all of them."""
    names = os.environ.get("BLOOP_TEST_BACKENDS")
    if not names:
        return ALL_BACKENDS
    return tuple(b.strip() for b in names.split(",") if b.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


class Server:
    """A server process on 127.0.0.1, stopped by :meth:`stop` (by PID)."""

    def __init__(self, name: str, argv: list, port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(log, "wb")
        # `timeout` bounds the server's life even if this test run is killed.
        self.process = subprocess.Popen(
            ["timeout", str(SERVER_LIFETIME)] + argv, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_for_port(port, self.process)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def start_moto_server() -> Server:
    CACHE.mkdir(exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Server("moto_server", argv, port, CACHE / "moto_server.log")


def dynalite_cli() -> Path:
    """dynalite's cli.js, installed with npm into .cache/node if missing."""
    prefix = CACHE / "node"
    cli = prefix / "node_modules" / "dynalite" / "cli.js"
    if cli.exists():
        return cli
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("node and npm are needed for the dynalite backend")
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                    "--loglevel=error", "dynalite@4"], check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    if not cli.exists():
        raise RuntimeError("npm did not install dynalite")
    return cli


def start_dynalite() -> Server:
    cli = dynalite_cli()
    port = free_port()
    # dynalite's default keeps a new table CREATING for 500 ms, like the real service
    # keeps it for a while: engine.bind must wait for ACTIVE.
    argv = [shutil.which("node"), str(cli), "--port", str(port), "--host", "127.0.0.1"]
    return Server("dynalite", argv, port, CACHE / "dynalite.log")


STARTERS = {"moto_server": start_moto_server, "dynalite": start_dynalite}
