"""HTTP with every wait and every size bounded, for talking to servers we do not control (`tco measure
--endpoint`): a URL checked before use, a connect timeout, a deadline for the answer's first byte and for
each line after it, a cap on a line's length and on a body's size.

http.client's own socket timeout bounds each read, not a server that drips a byte every few seconds, so a
watchdog thread shuts the socket of any connection whose deadline passed: the blocked read returns at once
and the caller reports which deadline it was (`Watch.reason`).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tco.errors import InputError

MAX_URL = 2000  # characters of a base URL


@dataclass(frozen=True)
class BaseUrl:
    """A checked http(s) base URL, split into what http.client needs."""

    text: str
    scheme: str
    host: str
    port: int
    path: str


def parse_base_url(text: str, *, field: str) -> BaseUrl:
    """`text` as an http(s) base URL such as http://127.0.0.1:8000/v1; anything else is one InputError line
    (a malformed host such as `http://[::1`, a port out of range, spaces or control characters, a query)."""
    example = "expected an http(s) URL such as http://127.0.0.1:8000/v1"
    if len(text) > MAX_URL:
        raise InputError(f"a URL of {len(text):,} characters, {example}", field=field)
    if not text.isprintable() or any(c.isspace() for c in text):
        raise InputError(f"got {text!r}: spaces or control characters, {example}", field=field)
    try:
        parts = urlsplit(text.rstrip("/"))
        port = parts.port
        host = parts.hostname
    except ValueError as e:  # "Invalid IPv6 URL", "Port out of range 0-65535"
        raise InputError(f"got {text!r} ({e}), {example}", field=field) from e
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(f"got {text!r}, {example}", field=field)
    if parts.query or parts.fragment:
        raise InputError(f"got {text!r}: a query or fragment, {example}", field=field)
    default = 443 if parts.scheme == "https" else 80
    return BaseUrl(text, parts.scheme, host, port or default, parts.path or "")


@dataclass(frozen=True)
class Timeouts:
    """How long a server may keep us waiting, in s.

    - connect_s: to open the connection;
    - first_byte_s: from sending a request to its answer's status line and headers;
    - idle_s: between two lines of a streamed answer (for a stream of events: between two events);
    - request_s: the whole of one request, however lively the server (a stream that never ends).
    """

    connect_s: float = 10.0
    first_byte_s: float = 20.0
    idle_s: float = 20.0
    request_s: float = 600.0

    @classmethod
    def from_request_timeout(cls, seconds: float) -> Timeouts:
        """`--request-timeout`: the longest silence accepted (first byte and between events); connecting
        gets at most 10 s of it and a whole request at most 30 times it."""
        return cls(min(10.0, seconds), seconds, seconds, 30.0 * seconds)


class Watch:
    """One connection's deadlines, enforced by a Watchdog; `reason` says which one passed (None: none)."""

    def __init__(self, dog: Watchdog, conn: http.client.HTTPConnection, end: float, limit_s: float) -> None:
        self._dog = dog
        self.limit_s = limit_s  # the whole request's bound, s
        self.conn = conn
        self.sock: socket.socket | None = None  # kept: http.client lets go of it once an answer will close
        self.end = end  # the whole request's deadline (monotonic s)
        self.deadline = end
        self.why = ""
        self.reason: str | None = None

    def expect(self, seconds: float, what: str) -> None:
        """The next `what` must arrive within `seconds` (the reason given otherwise: "no {what}")."""
        with self._dog.lock:
            now = self._dog.clock()
            self.deadline = min(now + seconds, self.end)
            if now + seconds <= self.end:
                self.why = f"no {what}"
            else:
                self.why = f"no end of the request within its limit of {self.limit_s:g} s"
            self._dog.lock.notify()

    def connect(self) -> None:
        """Open the connection (bounded by its socket timeout) and keep its socket, to shut it if need be."""
        self.conn.connect()
        self.sock = self.conn.sock
        if self.sock is not None:  # reads are bounded by the deadlines from now on; the timeout is a backstop
            self.sock.settimeout(max(0.0, self.end - self._dog.clock()) + 1.0)
        if self.reason is not None:  # fired while connecting
            self.fire(self.reason)

    def fire(self, reason: str) -> None:
        """Give up on the connection now: a read blocked on it returns."""
        if self.reason is None:
            self.reason = reason
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._dog.forget(self)


class Watchdog:
    """A daemon thread that fires every watched connection whose deadline passed (see the module doc)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.lock = threading.Condition()
        self._watches: set[Watch] = set()
        self._thread: threading.Thread | None = None

    def watch(self, conn: http.client.HTTPConnection, request_s: float) -> Watch:
        with self.lock:
            w = Watch(self, conn, self.clock() + request_s, request_s)
            self._watches.add(w)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
                self._thread.start()
            self.lock.notify()
            return w

    def forget(self, w: Watch) -> None:
        with self.lock:
            self._watches.discard(w)

    def fire_all(self, reason: str) -> None:
        """Give up on every watched connection (another request found the server broken)."""
        with self.lock:
            watches = list(self._watches)
        for w in watches:
            w.fire(reason)

    def _run(self) -> None:
        while True:
            with self.lock:
                now = self.clock()
                due = [w for w in self._watches if w.reason is None and w.deadline <= now]
                waits = [w.deadline - now for w in self._watches if w.reason is None and w.deadline > now]
                if not due:
                    self.lock.wait(timeout=min(waits, default=1.0))
                    continue
            for w in due:
                w.fire(w.why)


class TooLong(Exception):
    """A line or a body over its cap."""


def read_line(resp: http.client.HTTPResponse, max_line: int) -> bytes:
    """One line of `resp` (b"" at its end); TooLong if it runs past `max_line` bytes without a newline."""
    line = resp.readline(max_line + 1)
    if len(line) > max_line:
        raise TooLong(f"a line longer than {max_line:,} bytes")
    return line


def read_body(resp: http.client.HTTPResponse, max_bytes: int) -> bytes:
    """The whole body of `resp`, at most `max_bytes` (TooLong beyond)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = resp.read(min(65536, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise TooLong(f"a body longer than {max_bytes:,} bytes")
