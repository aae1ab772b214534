"""Misbehaving OpenAI-compatible servers for the endpoint client's tests and fuzzer: real HTTP servers on a
free port of 127.0.0.1 (a thread of the test process), each answering in one hostile way.

`serve(mode)` starts one and yields its base URL. Modes (MODES) and what each does:

- good: a well-behaved stream (the baseline: the client must measure it);
- silent: accepts the connection and never answers a byte;
- models-only: answers /v1/models, then never a byte to a completion;
- endless-tokens: streams tokens for ever, never [DONE];
- endless-empty: streams events without text for ever;
- endless-comments: streams SSE comment lines for ever;
- done-first: sends [DONE] before any token;
- long-line: one `data:` line that never ends;
- drip: a byte every 0.2 s, never a whole line;
- slow-tokens: a token every 0.3 s for ever (lively, but never done);
- list-events: events that are JSON lists;
- bad-json: events that are not JSON;
- huge-usage: tokens, then usage claiming 1e300 tokens;
- too-many-tokens: more tokens than asked for, then [DONE];
- endless-models: a /v1/models body that never ends;
- error-endless: HTTP 500 with a body that never ends;
- html: an HTML page instead of events;
- stall-headers: the status line, then nothing.

Modes that stream well but answer `GET /metrics` (the server's Prometheus page) in a hostile way
(METRICS_MODES): metrics-huge (a page that never ends), metrics-drip (a byte every 0.2 s), metrics-garbage
(binary noise and lines that only look like gauges), metrics-then-huge (a good vLLM page first, then pages
that never end).

A `Script` (the fuzzer's) gives the stream's lines and pauses explicitly instead of a mode.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "tiny"
MODES = (
    "good",
    "silent",
    "models-only",
    "endless-tokens",
    "endless-empty",
    "endless-comments",
    "done-first",
    "long-line",
    "drip",
    "slow-tokens",
    "list-events",
    "bad-json",
    "huge-usage",
    "too-many-tokens",
    "endless-models",
    "error-endless",
    "html",
    "stall-headers",
)
METRICS_MODES = ("metrics-huge", "metrics-drip", "metrics-garbage", "metrics-then-huge")
GOOD_METRICS = (
    b"# TYPE vllm:num_requests_running gauge\n"
    b'vllm:num_requests_running{engine="0",model_name="tiny"} 1.0\n'
    b"# TYPE vllm:num_requests_waiting gauge\n"
    b'vllm:num_requests_waiting{engine="0",model_name="tiny"} 0.0\n'
)
GARBAGE_METRICS = (
    b"\x00\xff\xfe garbage {{{ \n"
    b'vllm:num_requests_running{engine="0" 1e309\n'
    b"vllm:num_requests_waiting NaN\n"
    b"vllm:num_requests_running{} -3\n"
    b"vllm:kv_cache_usage_perc 7.5\n"
    b'vllm:num_requests_waiting{a="}"} not-a-number\n'
)


@dataclass
class Script:
    """A completion stream written out: raw chunks of bytes to send, with pauses (s) between them."""

    chunks: list[bytes] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)
    status: int = 200
    models: bytes | None = None  # the /v1/models body (None: a proper one)


def event(body: Any) -> bytes:
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def token(text: str = "a") -> bytes:
    return event({"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": text}]})


def good_stream(max_tokens: int) -> list[bytes]:
    usage = {"prompt_tokens": 5, "completion_tokens": max_tokens, "total_tokens": 5 + max_tokens}
    return [token(f" t{i}") for i in range(max_tokens)] + [
        event({"id": "x", "choices": [], "usage": usage}),
        b"data: [DONE]\n\n",
    ]


class _Stop(Exception):
    pass


def make_handler(mode: str, script: Script | None, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    scrapes = [0]  # /metrics requests answered so far

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, data: bytes, pause: float = 0.0) -> None:
            if stop.is_set():
                raise _Stop
            self.wfile.write(data)
            self.wfile.flush()
            if pause:
                stop.wait(pause)

        def _hang(self) -> None:
            stop.wait(3600)
            raise _Stop

        def _head(
            self, status: int = 200, kind: str = "text/event-stream", length: int | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if length is None:
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if length is None:
                self.close_connection = True

        def do_GET(self) -> None:
            try:
                if self.path == "/metrics" and mode in METRICS_MODES:
                    self._metrics()
                    return
                if mode == "endless-models":
                    self._head(200, "application/json")
                    self._send(b'{"object": "list", "data": [')
                    while True:
                        self._send(b'{"id": "m", "object": "model"}, ' * 100)
                body = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()
                if script is not None and script.models is not None:
                    body = script.models
                self._head(200, "application/json", len(body))
                self._send(body)
            except (_Stop, OSError):
                self.close_connection = True

        def _metrics(self) -> None:
            scrapes[0] += 1
            if mode == "metrics-garbage":
                self._head(200, "text/plain", len(GARBAGE_METRICS))
                self._send(GARBAGE_METRICS)
            elif mode == "metrics-then-huge" and scrapes[0] == 1:
                self._head(200, "text/plain", len(GOOD_METRICS))
                self._send(GOOD_METRICS)
            elif mode == "metrics-drip":
                self._head(200, "text/plain")
                while True:
                    self._send(b"v", 0.2)
            else:  # a page that never ends
                self._head(200, "text/plain")
                while True:
                    self._send(GOOD_METRICS * 1000)

        def do_POST(self) -> None:
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                n = int(req.get("max_tokens") or 16)
                if script is not None:
                    self._head(script.status)
                    for chunk, pause in zip(
                        script.chunks, script.pauses + [0.0] * len(script.chunks), strict=False
                    ):
                        self._send(chunk, pause)
                    return
                self._post(mode, n)
            except (_Stop, OSError):
                self.close_connection = True

        def _post(self, mode: str, n: int) -> None:
            if mode in METRICS_MODES:
                mode = "good"
            if mode == "models-only":
                self._hang()
            if mode == "stall-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self.wfile.flush()
                self._hang()
            if mode == "error-endless":
                self._head(500, "text/plain")
                while True:
                    self._send(b"error " * 1000)
            if mode == "html":
                page = b"<html><body>Welcome to nginx!</body></html>\n"
                self._head(200, "text/html", len(page))
                self._send(page)
                return
            self._head()
            if mode == "good":
                for chunk in good_stream(n):
                    self._send(chunk)
            elif mode == "endless-tokens":
                while True:
                    self._send(token(), 0.001)
            elif mode == "endless-empty":
                while True:
                    self._send(event({"id": "x", "choices": [{"index": 0, "text": ""}]}), 0.001)
            elif mode == "endless-comments":
                while True:
                    self._send(b": keep-alive\n\n", 0.001)
            elif mode == "done-first":
                self._send(b"data: [DONE]\n\n")
            elif mode == "long-line":
                self._send(b"data: ")
                while True:
                    self._send(b"x" * 65536)
            elif mode == "drip":
                self._send(token("a"))
                while True:
                    self._send(b"d", 0.2)
            elif mode == "slow-tokens":
                while True:
                    self._send(token(), 0.3)
            elif mode == "list-events":
                self._send(b"data: [1, 2, 3]\n\n")
            elif mode == "bad-json":
                self._send(b"data: {not json\n\n")
            elif mode == "huge-usage":
                self._send(token())
                self._send(b'data: {"choices": [], "usage": {"completion_tokens": 1e300}}\n\n')
                self._send(b"data: [DONE]\n\n")
            elif mode == "too-many-tokens":
                for _ in range(n + 5):
                    self._send(token())
                self._send(b"data: [DONE]\n\n")

    return Handler


@contextmanager
def serve(mode: str = "good", script: Script | None = None) -> Iterator[str]:
    """A server misbehaving as `mode` (or as `script`), on a free port; yields its base URL."""
    stop = threading.Event()
    if mode == "silent":
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            held: list[socket.socket] = []

            def accept() -> None:
                listener.settimeout(0.2)
                while not stop.is_set():
                    try:
                        held.append(listener.accept()[0])  # accepted, never read, never answered
                    except OSError:
                        continue

            t = threading.Thread(target=accept, daemon=True)
            t.start()
            try:
                yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
            finally:
                stop.set()
                t.join(timeout=5)
                for s in held:
                    s.close()
        return
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(mode, script, stop))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
