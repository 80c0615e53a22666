"""A real Janus (Debian's ``janus`` 1.1.2) started from the configuration files the project
ships (``streaming/janus_config/``), on a free HTTP port and free UDP port ranges, for the SFU
tests and bench/pitch_fanout.py. ``make janus`` installs it."""

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

JANUS = Path("/usr/bin/janus")
SHIPPED = Path(__file__).resolve().parents[2] / "streaming" / "janus_config"


def _free_tcp_port() -> int:
    with socket.socket() as tcp:
        tcp.bind(("127.0.0.1", 0))
        return int(tcp.getsockname()[1])


class JanusServer:
    """``with JanusServer(directory) as janus:`` → ``janus.url`` for EXPO_SFU_URLS."""

    def __init__(self, directory: Path, admin_key: str = "test-admin-key") -> None:
        self.directory = directory
        self.admin_key = admin_key
        self.port = _free_tcp_port()
        base = 41000 + (self.port % 40) * 500  # two ranges of 250 ports, unlikely to collide
        self.media_range = f"{base}-{base + 249}"
        self.rtp_range = f"{base + 250}-{base + 499}"
        self.log_path = directory / "janus.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    def _configure(self) -> Path:
        folder = self.directory / "janus-config"
        folder.mkdir(parents=True, exist_ok=True)
        for path in SHIPPED.glob("*.jcfg"):
            shutil.copy(path, folder / path.name)
        jcfg = folder / "janus.jcfg"
        jcfg.write_text(re.sub(r'rtp_port_range = "[^"]*"', f'rtp_port_range = "{self.media_range}"', jcfg.read_text()))
        http = folder / "janus.transport.http.jcfg"
        http.write_text(re.sub(r"\bport = \d+", f"port = {self.port}", http.read_text()))
        streaming = folder / "janus.plugin.streaming.jcfg"
        text = re.sub(r'admin_key = "[^"]*"', f'admin_key = "{self.admin_key}"', streaming.read_text())
        streaming.write_text(re.sub(r'rtp_port_range = "[^"]*"', f'rtp_port_range = "{self.rtp_range}"', text))
        return folder

    def start(self) -> "JanusServer":
        if not JANUS.exists():
            raise RuntimeError("/usr/bin/janus is missing: `make janus` installs Debian's janus")
        folder = self._configure()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(JANUS), "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited: {self.log()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/info", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"janus did not start: {self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the instance dies the way a crashed machine does (no goodbye)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "JanusServer":
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
