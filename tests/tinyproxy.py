"""A real forwarding proxy on loopback for the proxy tests: Debian's tinyproxy.

tinyproxy (C, in production use as a small corporate and container proxy) forwards
plain HTTP, tunnels CONNECT for HTTPS, answers 407 when ``BasicAuth`` is set and 403
for a CONNECT to a port outside ``ConnectPort``. .ci/run installs it; the tests that
need it are skipped, saying so, on a machine without it. Each instance has its own
config, port and log in a temp dir and runs in the foreground (``-d``) as a child of
the test process, killed at the end.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TINYPROXY = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Tinyproxy:
    def __init__(
        self, workdir: Path, *, auth: tuple[str, str] | None, connect_ports: tuple[int, ...]
    ) -> None:
        self.port = free_port()
        self.log = workdir / "tinyproxy.log"
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Timeout 30",
            "MaxClients 20",
            "LogLevel Connect",
            f'LogFile "{self.log}"',
        ]
        if auth:
            lines.append(f"BasicAuth {auth[0]} {auth[1]}")
        lines += [f"ConnectPort {port}" for port in connect_ports]
        self.conf = workdir / "tinyproxy.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def start(self) -> Tinyproxy:
        self.proc = subprocess.Popen(
            [TINYPROXY, "-d", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"tinyproxy did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def requests(self) -> list[str]:
        """The request lines tinyproxy logged (``GET http://... HTTP/1.1``, ``CONNECT ...``)."""
        if not self.log.exists():
            return []
        return [
            line.split("]: Request (file descriptor", 1)[1].split("): ", 1)[1]
            for line in self.log.read_text().splitlines()
            if "]: Request (file descriptor" in line
        ]


@contextlib.contextmanager
def running_tinyproxy(
    workdir: Path, *, auth: tuple[str, str] | None = None, connect_ports: tuple[int, ...] = ()
) -> Iterator[Tinyproxy]:
    if not shutil.which("tinyproxy") and not Path(TINYPROXY).exists():
        pytest.skip("tinyproxy is not installed (apt-get install tinyproxy; .ci/run does)")
    proxy = Tinyproxy(workdir, auth=auth, connect_ports=connect_ports).start()
    try:
        yield proxy
    finally:
        proxy.stop()
