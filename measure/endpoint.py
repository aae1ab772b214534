"""Measure a served model through its OpenAI-compatible streaming API (vLLM, SGLang, TGI, llama.cpp...).

The way the ML.ENERGY benchmark measures: for each concurrency level C, C clients send requests back to
back (a closed loop) with `stream: true`; the meter runs for the whole level with its power timeline
recorded; afterwards the *steady-state window* is cut out of the run, from the moment the first C requests
all have their first token (ramp-up over, every slot busy) to the moment the first client finds no more
work (drain begins). Within that window:

- energy per output token = energy in the window / output tokens that arrived in the window;
- energy per request = energy per output token x mean output tokens per request;
- throughput = output tokens per second in the window / mean output tokens per request.

Per request: time to first token (TTFT), inter-token latency (gaps between streamed chunks, ITL),
time per output token after the first (TPOT), end-to-end latency, and input/output token counts from the
server's `usage` (falling back to one token per streamed chunk). Requests of the ramp-up are left out of
the latency percentiles. HTTP runs on the standard library (`http.client`), one connection per request.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from measure import stats
from measure.bounded_http import Timeouts, TooLong, Watchdog, parse_base_url, read_body, read_line
from measure.meters.base import Meter
from measure.server_metrics import MetricsScraper, ServerMetrics, point_fields, summarize
from measure.tasks import Prompt, Task
from measure.timeline import Recorder, Timeline
from tco.errors import InputError, TcoError, one_line
from tco.scenario.repository import validation_error
from tco.scenario.yamlio import decode_text, parse_json_text

log = logging.getLogger(__name__)

Api = Literal["completions", "chat"]


class EndpointError(TcoError, RuntimeError):
    """The served endpoint cannot be reached, or answered something that is not an OpenAI stream."""


MAX_LINE = 64 * 1024  # bytes of one line of a stream (an event of one token is a few hundred)
MAX_MODELS_BODY = 1024 * 1024  # bytes of the /models answer
EXTRA_EVENTS = 16  # events a stream may send beyond one per token asked for (role, finish, usage)
MAX_IDS = 10_000  # models a server may list


@dataclass
class RequestRecord:
    """One streamed request. Times in s on the runner's clock."""

    start_s: float
    end_s: float = 0.0
    chunk_times_s: list[float] = field(default_factory=list)  # arrival of each chunk with text
    output_tokens: int = 0
    input_tokens: int | None = None
    error: str | None = None
    fatal: bool = False  # the server broke the protocol or went silent: the measurement stops

    @property
    def ttft_s(self) -> float | None:
        return self.chunk_times_s[0] - self.start_s if self.chunk_times_s else None

    @property
    def latency_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def tpot_s(self) -> float | None:
        """Time per output token after the first, s (None for fewer than two tokens)."""
        if len(self.chunk_times_s) < 2 or self.output_tokens < 2:
            return None
        return (self.chunk_times_s[-1] - self.chunk_times_s[0]) / (self.output_tokens - 1)

    def itls_s(self) -> list[float]:
        """Gaps between successive streamed chunks, s."""
        return [b - a for a, b in zip(self.chunk_times_s, self.chunk_times_s[1:], strict=False)]

    def tokens_between(self, t0: float, t1: float) -> float:
        """Output tokens that arrived in [t0, t1]: the request's tokens spread evenly over its chunks."""
        if not self.chunk_times_s:
            return 0.0
        per_chunk = self.output_tokens / len(self.chunk_times_s)
        return per_chunk * sum(1 for t in self.chunk_times_s if t0 <= t <= t1)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # servers add fields of their own


class _Delta(_Lenient):
    content: str | None = Field(default=None, max_length=MAX_LINE)


class _Choice(_Lenient):
    text: str | None = Field(default=None, max_length=MAX_LINE)
    delta: _Delta | None = None


class _Usage(_Lenient):
    model_config = ConfigDict(extra="allow", frozen=True, strict=True)  # a count is an integer, not 1e300
    completion_tokens: int | None = Field(default=None, ge=0, le=10**9)
    prompt_tokens: int | None = Field(default=None, ge=0, le=10**9)


class Chunk(_Lenient):
    """One event of an OpenAI completion stream (`text_completion` or `chat.completion.chunk`)."""

    choices: list[_Choice] | None = Field(default=None, max_length=64)
    usage: _Usage | None = None

    def text(self) -> str:
        """The text this event adds (of its first choice: one is asked for)."""
        for c in self.choices or []:
            piece = c.text if c.text is not None else (c.delta.content if c.delta is not None else None)
            if piece:
                return piece
        return ""


class _Protocol(Exception):
    """The server broke the stream's protocol: the measurement cannot go on."""


class OpenAIClient:
    """Streams completions from `base_url` (e.g. http://127.0.0.1:8000/v1) for `model`.

    Every wait and size is bounded (`timeouts`, MAX_LINE, MAX_MODELS_BODY; a stream is cut once it runs
    past the tokens asked for, or sends more events than they need): a server that goes silent or breaks
    the protocol is reported, never waited for."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api: Api = "completions",
        timeouts: Timeouts | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        url = parse_base_url(base_url, field="--endpoint")
        self.scheme = url.scheme
        self.host = url.host
        self.port = url.port
        path = url.path.rstrip("/")
        self.prefix = path if path.endswith("/v1") else path + "/v1"
        self.base_url = base_url
        self.model = model
        self.api = api
        self.timeouts = timeouts or Timeouts()
        self.clock = clock
        self._watchdog = Watchdog()

    def _conn(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        # the socket timeout bounds connecting and each read; the watchdog bounds the waits between lines
        return cls(self.host, self.port, timeout=self.timeouts.connect_s)

    def abort(self, reason: str) -> None:
        """Give up on every request in flight (one found the server broken)."""
        self._watchdog.fire_all(reason)

    def models(self) -> list[str]:
        """Model ids the server serves (GET /v1/models); EndpointError if it cannot be reached, is silent
        or does not answer an OpenAI model list."""
        where = f"{self.base_url}/models"
        t = self.timeouts
        conn = self._conn()
        watch = self._watchdog.watch(conn, t.request_s)
        try:
            watch.expect(t.connect_s + t.first_byte_s, f"answer within {t.first_byte_s:g} s")
            watch.connect()
            watch.expect(t.first_byte_s, f"answer within {t.first_byte_s:g} s")  # counted once connected
            conn.request("GET", f"{self.prefix}/models")
            resp = conn.getresponse()
            watch.expect(t.idle_s, f"byte for {t.idle_s:g} s")
            if resp.status != 200:
                raise EndpointError(f"{where} answered HTTP {resp.status}")
            body = read_body(resp, MAX_MODELS_BODY)
            if watch.reason is not None:
                raise OSError("cut")
        except TooLong as e:
            raise EndpointError(f"{where} answered {e}, expected an OpenAI model list") from None
        except (OSError, http.client.HTTPException) as e:
            if watch.reason is not None:
                raise EndpointError(f"{where}: {watch.reason} (--request-timeout)") from None
            if isinstance(e, TimeoutError):
                raise EndpointError(
                    f"cannot reach {self.base_url}: no connection within {t.connect_s:g} s"
                ) from e
            raise EndpointError(f"cannot reach {self.base_url}: {e}") from e
        finally:
            watch.close()
            conn.close()
        try:
            text = decode_text(body, file=where, what="a JSON model list")
            data = parse_json_text(text, file=where, max_depth=8)
            ids = [m["id"] for m in data["data"]]
        except (InputError, KeyError, TypeError) as e:
            raise EndpointError(f"{where} did not answer an OpenAI model list") from e
        if len(ids) > MAX_IDS or not all(isinstance(i, str) and 0 < len(i) <= 300 for i in ids):
            raise EndpointError(
                f"{where} did not answer an OpenAI model list (ids of at most 300 characters)"
            )
        return ids

    def body(self, text: str, max_tokens: int, *, fixed_length: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if fixed_length:
            out["ignore_eos"] = True  # vLLM's and SGLang's extension; other servers ignore it
        if self.api == "chat":
            out["messages"] = [{"role": "user", "content": text}]
        else:
            out["prompt"] = text
        return out

    def stream(self, text: str, max_tokens: int, *, fixed_length: bool = False) -> RequestRecord:
        """Send one streaming request; the record holds its timings, and `error` if it failed (`fatal`: the
        server went silent or broke the protocol, so no measurement of it can be trusted)."""
        rec = RequestRecord(start_s=self.clock())
        path = f"{self.prefix}/{'chat/completions' if self.api == 'chat' else 'completions'}"
        payload = json.dumps(self.body(text, max_tokens, fixed_length=fixed_length)).encode()
        t = self.timeouts
        conn = self._conn()
        watch = self._watchdog.watch(conn, t.request_s)
        usage_tokens: int | None = None
        events = 0
        try:
            watch.expect(t.connect_s + t.first_byte_s, f"answer within {t.first_byte_s:g} s")
            watch.connect()
            watch.expect(t.first_byte_s, f"answer within {t.first_byte_s:g} s")  # counted once connected
            conn.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                watch.expect(t.idle_s, f"error body for {t.idle_s:g} s")
                detail = resp.read(200).decode("utf-8", errors="replace")
                rec.error = f"HTTP {resp.status}: {one_line(' '.join(detail.split()))[:80]}"
                return rec
            watch.expect(t.idle_s, f"event for {t.idle_s:g} s")
            while True:
                raw = read_line(resp, MAX_LINE)
                if not raw:
                    break  # the server closed the stream (without [DONE]: accepted)
                line = raw.decode("utf-8", errors="replace").strip()
                if not line.startswith("data:"):
                    continue  # blank lines between events, comments, event:/id:/retry: fields
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                events += 1
                if events > max_tokens + EXTRA_EVENTS:
                    raise _Protocol(
                        f"the stream sent more than {max_tokens + EXTRA_EVENTS} events for {max_tokens} tokens "
                        "asked for, expected it to end"
                    )
                chunk = _chunk(data)
                watch.expect(t.idle_s, f"event for {t.idle_s:g} s")
                now = self.clock()
                if chunk.usage is not None and chunk.usage.completion_tokens is not None:
                    usage_tokens = chunk.usage.completion_tokens
                if chunk.usage is not None and chunk.usage.prompt_tokens is not None:
                    rec.input_tokens = chunk.usage.prompt_tokens
                if chunk.text():
                    rec.chunk_times_s.append(now)
                    if len(rec.chunk_times_s) > max_tokens:
                        raise _Protocol(f"the stream ran past the {max_tokens} tokens asked for")
            if watch.reason is not None:  # the watchdog shut the stream: it did not end, it was cut
                raise _Protocol(f"{watch.reason} (--request-timeout)")
            if usage_tokens is not None and usage_tokens > max_tokens:
                raise _Protocol(
                    f"the server counted {usage_tokens:,} tokens, over the {max_tokens} asked for"
                )
            rec.output_tokens = usage_tokens if usage_tokens else len(rec.chunk_times_s)
            if not rec.chunk_times_s:
                rec.error = "the stream ended without any token"
        except (_Protocol, TooLong) as e:
            rec.error, rec.fatal = f"{e}", True
        except TimeoutError:  # connecting took longer than its bound
            rec.error, rec.fatal = f"no connection within {t.connect_s:g} s (--request-timeout)", True
        except (OSError, ValueError, http.client.HTTPException) as e:
            rec.error = f"{type(e).__name__}: {e}"
            if watch.reason is not None:
                rec.error, rec.fatal = f"{watch.reason} (--request-timeout)", True
        finally:
            rec.end_s = self.clock()
            watch.close()
            conn.close()
        return rec


def _chunk(data: str) -> Chunk:
    """One event's JSON as a Chunk; _Protocol if it is not one (a list, a number, broken JSON)."""
    expected = "an event that is not an OpenAI completion chunk (a JSON object with choices)"
    try:
        value = parse_json_text(data, file="event", max_depth=16)
    except InputError as e:
        raise _Protocol(f"{expected}: {e.detail}") from e
    if not isinstance(value, dict):
        raise _Protocol(f"{expected}: a JSON {type(value).__name__}")
    try:
        return Chunk.model_validate(value)
    except ValidationError as e:
        err = validation_error(e, file="", private=True)
        raise _Protocol(f"{expected}: {err.field}: {err.detail}") from e


@dataclass(frozen=True)
class EndpointConfig:
    """How to load the endpoint. Durations in s."""

    concurrency: tuple[int, ...]
    window_s: float = 30.0  # steady-state window to reach, at least
    min_requests: int = 32  # completed requests per level, at least
    max_new_tokens: int = 256
    fixed_output_length: bool = False
    timeline_interval_s: float = 0.2
    cooldown_s: float = 2.0
    max_level_s: float = 1800.0  # give up on a level after this long
    input_tokens: tuple[
        int, ...
    ] = ()  # nominal prompt lengths to sweep (measure/lengths.py); () = the task's
    # open-loop levels instead of concurrency ones: Poisson arrivals at each rate, requests/s
    request_rates: tuple[float, ...] = ()
    max_in_flight: int = 256  # an open-loop level stops as queue-bound when an arrival finds this many


@dataclass
class LevelResult:
    """One concurrency level: its requests, the steady-state window and its energy."""

    concurrency: int
    requests: list[RequestRecord]
    window: tuple[float, float]  # s on the runner's clock
    window_energy_j: float
    window_tokens: float
    timeline: Timeline
    status: Literal["ok", "error"] = "ok"
    note: str | None = None
    host_energy_j: float | None = None  # host CPU/DRAM (RAPL) in the same window, not in window_energy_j
    input_tokens_nominal: int | None = None  # the prompt length asked for (--input-tokens), if any
    request_rate: float | None = None  # an open-loop level: the Poisson arrival rate, requests/s
    mean_in_flight: float | None = None  # an open-loop level: requests in flight, averaged over the window
    server_metrics: ServerMetrics | None = None  # the server's /metrics gauges over the window
    server_note: str | None = None  # why a scraped server has no server_metrics for this level

    @property
    def label(self) -> str:
        return (
            f"rate {self.request_rate:g}/s"
            if self.request_rate is not None
            else f"concurrency {self.concurrency}"
        )

    @property
    def window_s(self) -> float:
        return self.window[1] - self.window[0]

    def done(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.error is None]

    def steady(self) -> list[RequestRecord]:
        """Requests for latency statistics: those after the ramp-up (all if none)."""
        ok = self.done()
        late = [r for r in ok[self.concurrency :] if r.start_s >= self.window[0]]
        return late or ok

    def energy_per_token_j(self) -> float:
        return self.window_energy_j / self.window_tokens

    def mean_output_tokens(self) -> float:
        return stats.mean([r.output_tokens for r in self.done()])

    def energy_per_request_j(self) -> float:
        return self.energy_per_token_j() * self.mean_output_tokens()

    def tokens_per_second(self) -> float:
        return self.window_tokens / self.window_s

    def throughput_rps(self) -> float:
        return self.tokens_per_second() / self.mean_output_tokens()

    def mean_power_w(self) -> float:
        return self.window_energy_j / self.window_s


def steady_window(
    records: Sequence[RequestRecord], concurrency: int, last_by_worker: Sequence[float]
) -> tuple[float, float]:
    """[ramp-up end, drain start] in s: the first `concurrency` requests all have a first token, and no
    client has run out of work yet."""
    first = [r for r in records[:concurrency] if r.chunk_times_s]
    if len(first) < concurrency:
        raise EndpointError(f"only {len(first)} of the first {concurrency} requests streamed any token")
    return max(r.chunk_times_s[0] for r in first), min(last_by_worker)


def run_level(
    client: OpenAIClient,
    prompts: Sequence[str],
    meter: Meter,
    config: EndpointConfig,
    concurrency: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
    host_meter: Meter | None = None,
) -> LevelResult:
    """Load the endpoint with `concurrency` closed-loop clients until the steady-state window is long
    enough, then let the clients drain; measure energy over the whole run and cut the window out.
    `host_meter` (RAPL) is cut the same way and kept apart."""
    lock = threading.Lock()
    records: list[RequestRecord] = []
    last_end: list[float] = [0.0] * concurrency
    state: dict[str, Any] = {"next": 0, "stop": False, "ramp_end": None}
    t_begin = clock()

    def enough() -> bool:
        ramp = state["ramp_end"]
        if ramp is None:
            first = records[:concurrency]
            if len(first) == concurrency and all(r.chunk_times_s for r in first):
                state["ramp_end"] = ramp = max(r.chunk_times_s[0] for r in first)
            else:
                return clock() - t_begin > config.max_level_s
        finished = sum(1 for r in records if r.end_s and r.error is None)
        return (clock() - ramp >= config.window_s and finished >= config.min_requests) or (
            clock() - t_begin > config.max_level_s
        )

    def worker(k: int) -> None:
        while True:
            with lock:
                if state["stop"] or enough():
                    state["stop"] = True
                    last_end[k] = clock()
                    return
                i = state["next"]
                state["next"] += 1
                rec = RequestRecord(start_s=clock())
                records.append(rec)
            done = client.stream(
                prompts[i % len(prompts)], config.max_new_tokens, fixed_length=config.fixed_output_length
            )
            if done.fatal:  # a silent or broken server: stop every client now, report it after
                with lock:
                    state["stop"] = True
                    state.setdefault("fatal", done.error)
                client.abort("the measurement stopped: another request found the server broken")
            with lock:
                rec.end_s, rec.chunk_times_s = done.end_s, done.chunk_times_s
                rec.output_tokens, rec.input_tokens, rec.error = (
                    done.output_tokens,
                    done.input_tokens,
                    done.error,
                )
                rec.start_s = done.start_s
                if done.error is not None and sum(1 for r in records if r.error) > max(3, len(records) // 10):
                    state["stop"] = True

    timeline = Timeline(f"concurrency {concurrency}", 1)
    host_timeline = Timeline(f"host, concurrency {concurrency}", 1)
    host_rec = Recorder(host_meter, host_timeline, config.timeline_interval_s) if host_meter else None
    if host_meter is not None and host_rec is not None:
        host_meter.start()
        host_t0 = clock()
        host_rec.start()
    meter.start()
    rec_t0 = clock()
    recorder = Recorder(meter, timeline, config.timeline_interval_s)
    recorder.start()
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(concurrency)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        recorder.stop()
        reading = meter.stop()
        recorder.finish(reading)
        if host_meter is not None and host_rec is not None:
            host_rec.stop()
            host_rec.finish(host_meter.stop())
    if state.get("fatal"):
        raise EndpointError(f"{client.base_url}: {state['fatal']} (at concurrency {concurrency})")
    errors = [r.error for r in records if r.error]
    if len(errors) > max(3, len(records) // 10):
        return LevelResult(concurrency, records, (0.0, 0.0), 0.0, 0.0, timeline, "error", errors[0][:200])
    try:
        t0, t1 = steady_window(records, concurrency, last_end)
    except EndpointError as e:
        return LevelResult(concurrency, records, (0.0, 0.0), 0.0, 0.0, timeline, "error", str(e))
    if t1 <= t0:
        return LevelResult(
            concurrency, records, (t0, t1), 0.0, 0.0, timeline, "error",
            "no steady state: a client ran out of work before the ramp-up ended; raise --window or --min-requests",
        )  # fmt: skip
    # the timeline's clock starts at meter.start(); the runner's at rec_t0 (the same moment, within µs)
    energy_j = timeline.energy_between_mj(t0 - rec_t0, t1 - rec_t0) / 1000.0
    tokens = sum(r.tokens_between(t0, t1) for r in records if r.error is None)
    if tokens <= 0 or energy_j <= 0:
        return LevelResult(
            concurrency, records, (t0, t1), energy_j, tokens, timeline, "error",
            f"steady-state window of {t1 - t0:.2f} s saw {tokens:g} tokens and {energy_j:g} J",
        )  # fmt: skip
    host_j = None
    if host_meter is not None:
        host_j = host_timeline.energy_between_mj(t0 - host_t0, t1 - host_t0) / 1000.0
    return LevelResult(concurrency, records, (t0, t1), energy_j, tokens, timeline, host_energy_j=host_j)


def poisson_arrivals(rate: float, seed: int) -> Iterator[float]:
    """Arrival times in s from 0 of a Poisson process of `rate` requests/s: exponential gaps of mean 1 /
    rate, drawn from a seeded generator (the same arrivals every run)."""
    rng = random.Random(seed)
    t = 0.0
    while True:
        t += rng.expovariate(rate)
        yield t


def mean_in_flight(records: Sequence[RequestRecord], t0: float, t1: float) -> float:
    """Requests in flight averaged over [t0, t1] s: the sum of each request's time inside it / its length."""
    inside = sum(max(0.0, min(r.end_s or t1, t1) - max(r.start_s, t0)) for r in records)
    return inside / (t1 - t0)


def run_rate_level(
    client: OpenAIClient,
    prompts: Sequence[str],
    meter: Meter,
    config: EndpointConfig,
    rate: float,
    *,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
    host_meter: Meter | None = None,
) -> LevelResult:
    """Load the endpoint open-loop: requests arrive as a Poisson process of `rate` requests/s, each sent
    when it arrives whatever is still in flight (as users do), until the steady-state window is long
    enough; then let the requests in flight finish. The window runs from the first request's end (the
    server has had one whole request's time to fill) to the last arrival; `batch_size` of the point is the
    mean number in flight over it, rounded. An arrival that finds `config.max_in_flight` requests in
    flight stops the level as queue-bound (the server cannot keep up with the rate)."""
    lock = threading.Lock()
    records: list[RequestRecord] = []
    threads: list[threading.Thread] = []
    state: dict[str, Any] = {"in_flight": 0}

    def send(i: int, rec: RequestRecord) -> None:
        done = client.stream(
            prompts[i % len(prompts)], config.max_new_tokens, fixed_length=config.fixed_output_length
        )
        with lock:
            state["in_flight"] -= 1
            rec.end_s, rec.chunk_times_s, rec.start_s = done.end_s, done.chunk_times_s, done.start_s
            rec.output_tokens, rec.input_tokens, rec.error = done.output_tokens, done.input_tokens, done.error
            if done.fatal and not state.get("queue_bound"):  # not the requests we stopped ourselves
                state.setdefault("fatal", done.error)

    label = f"rate {rate:g}/s"
    timeline = Timeline(label, 1)
    host_timeline = Timeline(f"host, {label}", 1)
    host_rec = Recorder(host_meter, host_timeline, config.timeline_interval_s) if host_meter else None
    host_t0 = clock()
    if host_meter is not None and host_rec is not None:
        host_meter.start()
        host_rec.start()
    meter.start()
    rec_t0 = clock()
    recorder = Recorder(meter, timeline, config.timeline_interval_s)
    recorder.start()
    last_arrival = rec_t0
    try:
        for i, offset in enumerate(poisson_arrivals(rate, seed)):
            wait = rec_t0 + offset - clock()
            if wait > 0:
                sleep(wait)
            with lock:
                first_end = min((r.end_s for r in records if r.end_s and r.error is None), default=None)
                finished = sum(1 for r in records if r.end_s and r.error is None)
                now = clock()
                if state.get("fatal") or now - rec_t0 > config.max_level_s:
                    break
                if (
                    first_end is not None
                    and now - first_end >= config.window_s
                    and finished >= config.min_requests
                ):
                    break
                if state["in_flight"] >= config.max_in_flight:
                    state["queue_bound"] = True
                    break
                state["in_flight"] += 1
                rec = RequestRecord(start_s=now)
                records.append(rec)
                last_arrival = now
            t = threading.Thread(target=send, args=(i, rec), daemon=True)
            threads.append(t)
            t.start()
        if state.get("queue_bound") or state.get("fatal"):
            client.abort("the measurement stopped")
        for t in threads:
            t.join()
    finally:
        recorder.stop()
        recorder.finish(meter.stop())
        if host_meter is not None and host_rec is not None:
            host_rec.stop()
            host_rec.finish(host_meter.stop())
    if state.get("fatal"):
        raise EndpointError(f"{client.base_url}: {state['fatal']} (at {label})")

    def failed(note: str, window: tuple[float, float] = (0.0, 0.0)) -> LevelResult:
        return LevelResult(1, records, window, 0.0, 0.0, timeline, "error", note, request_rate=rate)

    if state.get("queue_bound"):
        return failed(
            f"queue-bound: an arrival found {config.max_in_flight} requests in flight; the server cannot keep up "
            f"with {rate:g} requests/s"
        )
    errors = [r.error for r in records if r.error]
    if len(errors) > max(3, len(records) // 10):
        return failed(errors[0][:200])
    ends = [r.end_s for r in records if r.end_s and r.error is None]
    t0, t1 = (min(ends) if ends else last_arrival), last_arrival
    if t1 <= t0:
        return failed(
            "no steady state: no request ended before the last arrival; raise --steady-window", (t0, t1)
        )
    energy_j = timeline.energy_between_mj(t0 - rec_t0, t1 - rec_t0) / 1000.0
    tokens = sum(r.tokens_between(t0, t1) for r in records if r.error is None)
    if tokens <= 0 or energy_j <= 0:
        return failed(
            f"steady-state window of {t1 - t0:.2f} s saw {tokens:g} tokens and {energy_j:g} J", (t0, t1)
        )
    host_j = None
    if host_meter is not None:
        host_j = host_timeline.energy_between_mj(t0 - host_t0, t1 - host_t0) / 1000.0
    in_flight = mean_in_flight([r for r in records if r.error is None], t0, t1)
    return LevelResult(
        max(1, round(in_flight)), records, (t0, t1), energy_j, tokens, timeline, host_energy_j=host_j,
        request_rate=rate, mean_in_flight=in_flight,
    )  # fmt: skip


def run_endpoint_sweep(
    client: OpenAIClient,
    prompts: Sequence[Prompt],
    task: Task,
    meter: Meter,
    config: EndpointConfig,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_level: Callable[[LevelResult], None] | None = None,
    host_meter: Meter | None = None,
    scraper: MetricsScraper | None = None,
) -> list[LevelResult]:
    """Every concurrency level of `config`, in order. `scraper` samples the server's /metrics while each
    level runs; its gauges over the level's steady window go to `LevelResult.server_metrics`."""
    texts = [task.template.format(input=p.input) for p in prompts]
    lengths: list[tuple[int | None, list[str]]] = [(None, texts)]
    if config.input_tokens:  # every concurrency at every prompt length (measure/lengths.py)
        from measure.lengths import chars_per_token, context_corpus, prompts_of_length

        def probe(t: str) -> int | None:
            return client.stream(t, 1).input_tokens

        # short probes (a hundred tokens or so): within any server's context, truncated by none
        own = chars_per_token(probe, "\n".join(texts)[:200])
        ctx = chars_per_token(probe, (context_corpus(prompts) * 4)[:200])
        lengths = [(n, prompts_of_length(task, prompts, n, own, ctx)) for n in config.input_tokens]
    out: list[LevelResult] = []
    levels: Sequence[float] = config.request_rates or config.concurrency
    for nominal, batch in lengths:
        for k, c in enumerate(levels):
            sleep(config.cooldown_s)
            if scraper is not None:
                scraper.start()
            try:
                if config.request_rates:  # open loop, each rate with its own seeded arrivals
                    level = run_rate_level(client, batch, meter, config, c, seed=k, host_meter=host_meter)
                else:
                    level = run_level(client, batch, meter, config, int(c), host_meter=host_meter)
            finally:
                samples = scraper.stop() if scraper is not None else []
            if scraper is not None and level.status == "ok":
                level.server_metrics = summarize(samples, *level.window)
                if level.server_metrics is None:
                    why = f" ({scraper.failures[-1]})" if scraper.failures else ""
                    level.server_note = f"no /metrics sample in the steady window{why}"
            level.input_tokens_nominal = nominal
            log.info("input %s, %s: %s", nominal, level.label, level.status)
            out.append(level)
            if on_level is not None:
                on_level(level)
    return out


def _q(x: float, unit: str) -> str:
    return f"{x:.6g} {unit}"


def level_point(level: LevelResult) -> dict[str, Any]:
    """One concurrency level as an operating point of the profile format (batch_size = concurrency)."""
    nominal = (
        {} if level.input_tokens_nominal is None else {"input_tokens_nominal": level.input_tokens_nominal}
    )
    rate = {} if level.request_rate is None else {"request_rate": _q(level.request_rate, "1/s")}
    if level.status != "ok":
        note = level.note or "error"
        if level.request_rate is not None:
            note = f"open loop at {level.request_rate:g} requests/s: {note}"
        return {"batch_size": level.concurrency, **nominal, **rate, "status": "error", "notes": note}
    steady = level.steady()
    lat = [r.latency_s for r in steady]
    ttft = [r.ttft_s for r in steady if r.ttft_s is not None]
    tpot = [r.tpot_s for r in steady if r.tpot_s is not None]
    itl = [g for r in steady for g in r.itls_s()]
    out_tokens = [float(r.output_tokens) for r in level.done()]
    in_tokens = [float(r.input_tokens) for r in level.done() if r.input_tokens is not None]
    point: dict[str, Any] = {
        "batch_size": level.concurrency,
        "energy_per_query": _q(level.energy_per_request_j(), "J"),
        "latency_mean": _q(stats.mean(lat), "s"),
        "latency_p50": _q(stats.median(lat), "s"),
        "latency_p95": _q(stats.percentile(lat, 95), "s"),
        "latency_basis": "requests",
    }
    if ttft:
        point["ttft_p50"] = _q(stats.median(ttft), "s")
        point["ttft_p95"] = _q(stats.percentile(ttft, 95), "s")
    if itl:
        point["tpot_p50"] = _q(stats.median(itl), "s")
        point["tpot_p95"] = _q(stats.percentile(itl, 95), "s")
        point["tpot_p90"] = _q(stats.percentile(itl, 90), "s")  # the tail serving benchmarks quote
        point["tpot_p99"] = _q(stats.percentile(itl, 99), "s")
    elif tpot:
        point["tpot_p50"] = _q(stats.median(tpot), "s")
    point["throughput"] = _q(level.throughput_rps(), "1/s")
    point["tokens_per_second"] = _q(level.tokens_per_second(), "1/s")
    if in_tokens:
        point["input_tokens"] = round(stats.mean(in_tokens), 2)
    point.update(nominal)
    point["output_tokens"] = round(stats.mean(out_tokens), 2)
    point["output_tokens_p50"] = round(stats.median(out_tokens), 2)
    point["output_tokens_p95"] = round(stats.percentile(out_tokens, 95), 2)
    point["notes"] = (
        f"steady state {level.window_s:.3g} s of {len(level.done())} requests; "
        f"{level.energy_per_token_j():.4g} J/output token x {level.mean_output_tokens():.4g} tokens/request; "
        f"mean power {level.mean_power_w():.4g} W; tpot = inter-token latency (streamed chunk gaps)"
    )
    if level.host_energy_j is not None:
        host_per_request = level.host_energy_j / level.window_tokens * level.mean_output_tokens()
        point["notes"] += f"; host CPU/DRAM (RAPL, not included) {host_per_request:.4g} J/request"
    if level.server_metrics is not None:
        point.update(point_fields(level.server_metrics))
        point["notes"] += f"; server /metrics sampled {level.server_metrics.samples} times in the window"
        if level.server_metrics.queue_bound:
            point["notes"] += " (requests seen waiting: queue-bound)"
    elif level.server_note is not None:
        point["notes"] += f"; server {level.server_note}"
    if level.request_rate is not None and level.mean_in_flight is not None:
        point.update(rate)
        point["notes"] = (
            f"open loop: Poisson arrivals at {level.request_rate:g} requests/s; {level.mean_in_flight:.3g} "
            "requests in flight on average over the window (batch_size, rounded); " + point["notes"]
        )
    return point
