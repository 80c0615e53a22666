"""The outbox sends its mails through a real SMTP conversation when SMTP is configured."""

import asyncio
import re
import threading
import time
from pathlib import Path

from starlette.testclient import TestClient

from expo.app import create_app
from tests.conftest import make_settings
from tests.helpers import DEMO_USERS, csrf_from, seed_demo


class SmtpSink:
    """The smallest SMTP server that accepts mail: enough to check what a client sends."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ready\r\n")
        data: list[bytes] | None = None
        while line := await reader.readline():
            if data is not None:
                if line == b".\r\n":
                    self.messages.append(b"".join(data).decode())
                    data = None
                    writer.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250 sink\r\n")
            elif verb == b"DATA":
                data = []
                writer.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


def resets(sink: "SmtpSink") -> list[str]:
    return [m for m in sink.messages if "/reset/" in m]


def test_reset_mail_is_sent_by_smtp_when_configured(database_url: str, tmp_path: Path) -> None:
    sink = SmtpSink()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(sink.handle, "127.0.0.1", 0))
    sink.port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        seed_demo(database_url)
        settings = make_settings(
            database_url,
            tmp_path / "var",
            EXPO_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
            EXPO_MAIL_FROM="expo@office.example",
        )
        with TestClient(create_app(settings)) as client:
            token = csrf_from(client, "/forgot")
            assert (
                client.post("/forgot", data={"email": DEMO_USERS["investor"], "csrf_token": token}).status_code == 200
            )
            deadline = time.monotonic() + 15
            while not resets(sink) and time.monotonic() < deadline:  # the demo's own notices go out too
                time.sleep(0.2)
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(server.wait_closed())
        loop.close()
    assert len(resets(sink)) == 1
    message = resets(sink)[0]
    assert "To: investor@expo.example" in message and "From: expo@office.example" in message
    assert re.search(r"/reset/[A-Za-z0-9_-]{20,}", message)


def test_outbox_page_is_for_organizers_in_dev_only(database_url: str, tmp_path: Path) -> None:
    from tests.helpers import login

    seed_demo(database_url)
    production = make_settings(database_url, tmp_path / "var", EXPO_ENV="production")
    with TestClient(create_app(production)) as client:
        login(client, DEMO_USERS["organizer"])
        assert client.get("/organizer/outbox").status_code == 404
