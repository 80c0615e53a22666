"""How a chat frame reaches one socket (``booths.chat_socket.Connection.push``): written
inline when the socket takes it at once, finished by a task when the write must wait, in
order, and a cancelled sender task ends the waiting write too.

The socket here is a stand-in for Starlette's WebSocket whose ``send_text`` waits on an
event while "its buffer is full", as uvicorn's send waits for the transport to drain (a
real socket's kernel buffer cannot be filled within the chat's rate limits in a test)."""

import asyncio
from types import SimpleNamespace

from booths.chat_socket import Connection


class Socket:
    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.sent: list[str] = []
        self.cancelled = 0
        self.state = SimpleNamespace(user=None, db=None, bus=None)

    async def send_text(self, text: str) -> None:
        try:
            await self.writable.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.sent.append(text)


def _connection(socket: Socket) -> Connection:
    return Connection(socket, SimpleNamespace(id=1), staff=False, thread=None)  # type: ignore[arg-type]


def test_a_socket_that_takes_the_frame_gets_it_without_a_task() -> None:
    async def scenario() -> None:
        socket = Socket()
        conn = _connection(socket)
        conn.push("a")
        conn.push("b")
        assert socket.sent == ["a", "b"]  # written before push returned
        assert conn.sending is None

    asyncio.run(scenario())


def test_a_full_socket_gets_its_frames_later_in_order() -> None:
    async def scenario() -> None:
        socket = Socket()
        conn = _connection(socket)
        socket.writable.clear()  # the client reads slowly
        for text in ("1", "2", "3"):
            conn.push(text)
        await asyncio.sleep(0.01)
        assert socket.sent == []
        assert conn.sending is not None and not conn.sending.done()
        socket.writable.set()
        await asyncio.wait_for(conn.sending, 1)
        assert socket.sent == ["1", "2", "3"]
        conn.push("4")  # writable again: inline
        assert socket.sent == ["1", "2", "3", "4"]

    asyncio.run(scenario())


def test_cancelling_the_sender_ends_the_waiting_write() -> None:
    async def scenario() -> None:
        socket = Socket()
        conn = _connection(socket)
        socket.writable.clear()
        conn.push("stuck")
        await asyncio.sleep(0.01)
        task = conn.sending
        assert task is not None
        task.cancel()
        try:
            await asyncio.wait_for(task, 1)
        except asyncio.CancelledError:
            pass
        assert task.cancelled()
        assert socket.cancelled == 1  # the write itself saw the cancellation
        assert socket.sent == []

    asyncio.run(scenario())
