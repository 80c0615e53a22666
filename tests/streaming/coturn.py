"""A real coturn (Debian's ``turnserver``) on free loopback ports, configured the way
docs/operations.md configures the expo's own TURN server (``use-auth-secret`` with a shared
secret), for the tests and bench/rooms.py."""

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

TURNSERVER = Path("/usr/bin/turnserver")


def _free_udp_tcp_port() -> int:
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class Coturn:
    """``with Coturn(directory, secret) as turn:`` → ``turn.urls`` for EXPO_TURN_URLS."""

    def __init__(self, directory: Path, secret: str, realm: str = "expo.test") -> None:
        self.directory = directory
        self.secret = secret
        self.realm = realm
        self.port = _free_udp_tcp_port()
        self.log_path = directory / "turnserver.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> list[str]:
        return [f"turn:127.0.0.1:{self.port}?transport=udp", f"turn:127.0.0.1:{self.port}?transport=tcp"]

    def start(self) -> "Coturn":
        if not TURNSERVER.exists():
            raise RuntimeError("/usr/bin/turnserver is missing: `make coturn` installs Debian's coturn")
        relay_low = 20000 + (self.port % 20000)
        command = [
            str(TURNSERVER),
            "-n",  # no configuration file: everything is on this line
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={self.port}",
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            f"--realm={self.realm}",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",  # the test's peers are on 127.0.0.1
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 200}",
            f"--userdb={self.directory / 'turndb'}",
            f"--pidfile={self.directory / 'turnserver.pid'}",
            f"--log-file={self.log_path}",
            "--simple-log",
            "--no-stdout-log",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited: {self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"turnserver did not start: {self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Coturn":
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
