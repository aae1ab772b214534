"""The server's own view of a measurement: its Prometheus `/metrics` page, sampled while a level runs.

vLLM exposes gauges of its scheduler and cache (vllm/v1/metrics/loggers.py; docs.vllm.ai, "Metrics"):

- `vllm:num_requests_running`: requests in the running batch (on the GPU now);
- `vllm:num_requests_waiting`: requests queued, waiting for a place in the batch;
- `vllm:kv_cache_usage_perc` (V1 engine; `vllm:gpu_cache_usage_perc` before it): the fraction of KV-cache
  blocks in use, from 0 to 1 despite its name.

SGLang (python/sglang/srt/metrics/collector.py; docs "Production Metrics", served with `--enable-metrics`):
`sglang:num_running_reqs`, `sglang:num_queue_reqs` and `sglang:token_usage` (the fraction of the KV token
pool in use). Text Generation Inference (router/src/server.rs; docs "Metrics"): `tgi_batch_current_size`
(requests in the running batch) and `tgi_queue_size` (requests waiting); TGI exposes no KV-cache fraction.
A page is read as the first engine whose gauges it has, in the order vLLM, SGLang, TGI.

Each carries labels (`model_name`, and `engine` per data-parallel engine): the counts are summed over label
sets, the cache fraction averaged. A sampler thread scrapes the page every `interval_s` while a level runs;
each scrape is bounded as the endpoint client's other reads (connect, first byte and whole-request timeouts,
a size cap, measure/bounded_http.py) and a failed one is counted, never raised: a server whose page is
missing, huge, slow or garbage leaves the measurement as it was, with one note.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from measure.bounded_http import BaseUrl, Timeouts, TooLong, Watchdog, parse_base_url, read_body

RUNNING = "vllm:num_requests_running"
WAITING = "vllm:num_requests_waiting"
KV_CACHE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")  # V1's name first, then V0's
# per engine: (running names, waiting names, KV-cache fraction names), each the first one present
ENGINES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "vllm": ((RUNNING,), (WAITING,), KV_CACHE),
    "sglang": (("sglang:num_running_reqs",), ("sglang:num_queue_reqs",), ("sglang:token_usage",)),
    "tgi": (("tgi_batch_current_size",), ("tgi_queue_size",), ()),
}
NAMES = frozenset(n for names in ENGINES.values() for group in names for n in group)
PREFIXES = ("vllm:", "sglang:", "tgi_")
MAX_METRICS_BODY = 4 * 1024 * 1024  # bytes of one /metrics page (vLLM's is some 100 kB)
SCRAPE_LIMIT_S = 5.0  # the longest one scrape may take, s (less if --request-timeout is shorter)
MAX_COUNT = 1e7  # requests: a gauge above it is not a request count
GIVE_UP_AFTER = 3  # failed scrapes in a row after which a level's sampler stops


@dataclass(frozen=True)
class Sample:
    """One scrape: when it was answered (s on the runner's clock) and the gauges it had (None: absent)."""

    t_s: float
    running: float | None
    waiting: float | None
    kv_cache: float | None  # fraction 0-1


def parse_prometheus(text: str, names: frozenset[str] = NAMES) -> dict[str, list[float]]:
    """The values of the samples named in `names`, one per label set, from Prometheus' text format
    (`name{label="v",...} value [timestamp]`); comments, other names and malformed lines are skipped."""
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(PREFIXES):  # every name we read; also skips comments and blank lines
            continue
        if "{" in line:
            name, rest = line[: line.index("{")], line[line.rfind("}") + 1 :]
        else:
            name, _, rest = line.partition(" ")
        if name not in names:
            continue
        fields = rest.split()
        if not fields:
            continue
        try:
            value = float(fields[0])
        except ValueError:
            continue
        if math.isfinite(value):
            out.setdefault(name, []).append(value)
    return out


def sample_of(values: dict[str, list[float]], t_s: float) -> Sample | None:
    """The gauges of one page: counts summed over label sets (0 to MAX_COUNT), the cache fraction averaged
    (0 to 1); a gauge out of range is absent. None when the page had none of them."""

    def count(names: tuple[str, ...]) -> float | None:
        name = next((n for n in names if values.get(n)), None)
        vs = values.get(name) if name is not None else None
        total = sum(vs) if vs else None
        return total if total is not None and all(v >= 0 for v in vs or ()) and total <= MAX_COUNT else None

    def fraction(names: tuple[str, ...]) -> float | None:
        for name in names:
            if values.get(name):
                mean = sum(values[name]) / len(values[name])
                return mean if 0.0 <= mean <= 1.0 else None
        return None

    for running, waiting, kv in ENGINES.values():
        if not any(values.get(n) for n in (*running, *waiting, *kv)):
            continue  # not this engine's page
        s = Sample(t_s, count(running), count(waiting), fraction(kv))
        return None if s.running is None and s.waiting is None and s.kv_cache is None else s
    return None


class ScrapeError(Exception):
    """One scrape failed (the reason is the message)."""


class MetricsScraper:
    """Scrapes `url` (the server's /metrics) with every wait and size bounded; see the module doc."""

    def __init__(
        self,
        url: str,
        *,
        timeouts: Timeouts | None = None,
        interval_s: float = 0.5,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.url = url
        self._url: BaseUrl = parse_base_url(url, field="--endpoint")
        t = timeouts or Timeouts()
        limit = min(SCRAPE_LIMIT_S, t.request_s)
        self.timeouts = Timeouts(
            min(t.connect_s, limit), min(t.first_byte_s, limit), min(t.idle_s, limit), limit
        )
        self.interval_s = interval_s
        self.clock = clock
        self._watchdog = Watchdog()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples: list[Sample] = []
        self.failures: list[str] = []

    @classmethod
    def for_endpoint(cls, base_url: str, **kw: Any) -> MetricsScraper:
        """The scraper of an OpenAI base URL's server: /metrics at its root (http://h:8000/v1 ->
        http://h:8000/metrics), where vLLM serves it."""
        root = base_url.rstrip("/")
        if root.endswith("/v1"):
            root = root[:-3]
        return cls(root + "/metrics", **kw)

    def scrape(self) -> Sample:
        """One bounded GET of the page; ScrapeError if it cannot be had or holds none of the gauges."""
        u, t = self._url, self.timeouts
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.host, u.port, timeout=t.connect_s)
        watch = self._watchdog.watch(conn, t.request_s)
        try:
            watch.expect(t.connect_s + t.first_byte_s, f"answer within {t.first_byte_s:g} s")
            watch.connect()
            watch.expect(t.first_byte_s, f"answer within {t.first_byte_s:g} s")
            conn.request("GET", u.path or "/", headers={"Accept": "text/plain"})
            resp = conn.getresponse()
            watch.expect(t.idle_s, f"whole page within {t.idle_s:g} s")  # however lively its bytes
            if resp.status != 200:
                raise ScrapeError(f"HTTP {resp.status}")
            body = read_body(resp, MAX_METRICS_BODY)
            if watch.reason is not None:
                raise ScrapeError(watch.reason)
        except TooLong as e:
            raise ScrapeError(str(e)) from None
        except (OSError, http.client.HTTPException) as e:
            raise ScrapeError(watch.reason or f"{type(e).__name__}: {e}") from None
        finally:
            watch.close()
            conn.close()
        sample = sample_of(parse_prometheus(body.decode("utf-8", errors="replace")), self.clock())
        if sample is None:
            raise ScrapeError(
                "no vLLM, SGLang or TGI gauge (vllm:num_requests_running, sglang:num_running_reqs, "
                "tgi_batch_current_size, ...)"
            )
        return sample

    def start(self) -> None:
        """Sample in a thread until `stop()`; forgets the samples of an earlier run."""
        self.samples, self.failures = [], []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="metrics-scraper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        in_a_row = 0
        while not self._stop.is_set() and in_a_row < GIVE_UP_AFTER:
            t0 = self.clock()
            try:
                self.samples.append(self.scrape())
                in_a_row = 0
            except ScrapeError as e:
                if self._stop.is_set():  # cut by stop(): not the server's doing
                    break
                self.failures.append(str(e))
                in_a_row += 1
            self._stop.wait(max(0.0, self.interval_s - (self.clock() - t0)))

    def stop(self) -> list[Sample]:
        """Stop sampling (a scrape in flight is cut) and return the samples."""
        self._stop.set()
        self._watchdog.fire_all("stopped")
        if self._thread is not None:
            self._thread.join(timeout=self.timeouts.request_s + 1.0)
        return list(self.samples)


@dataclass(frozen=True)
class ServerMetrics:
    """The gauges over one level's steady-state window (None: the server did not expose that one)."""

    samples: int
    running_mean: float | None
    running_max: float | None
    waiting_mean: float | None
    waiting_max: float | None
    kv_cache_mean: float | None
    kv_cache_max: float | None

    @property
    def queue_bound(self) -> bool | None:
        """Whether any sample saw requests waiting for a place in the batch (None: no waiting gauge)."""
        return None if self.waiting_max is None else self.waiting_max > 0


def summarize(samples: Sequence[Sample], t0: float, t1: float) -> ServerMetrics | None:
    """Mean and max of each gauge over the samples answered within [t0, t1] s; None if there are none."""
    inside = [s for s in samples if t0 <= s.t_s <= t1]
    if not inside:
        return None

    def mean_max(values: list[float | None]) -> tuple[float | None, float | None]:
        vs = [v for v in values if v is not None]
        return (sum(vs) / len(vs), max(vs)) if vs else (None, None)

    r = mean_max([s.running for s in inside])
    w = mean_max([s.waiting for s in inside])
    k = mean_max([s.kv_cache for s in inside])
    return ServerMetrics(len(inside), *r, *w, *k)


def point_fields(m: ServerMetrics) -> dict[str, Any]:
    """The profile point's fields of `m` (README: "Profile format"); absent gauges are left out."""
    out: dict[str, Any] = {"server_metrics_samples": m.samples}
    pairs = (
        ("server_running", m.running_mean, m.running_max),
        ("server_waiting", m.waiting_mean, m.waiting_max),
        ("kv_cache_usage", m.kv_cache_mean, m.kv_cache_max),
    )
    for name, mean, top in pairs:
        if mean is not None and top is not None:
            out[f"{name}_mean"] = round(mean, 4)
            out[f"{name}_max"] = round(top, 4)
    if m.queue_bound is not None:
        out["queue_bound"] = m.queue_bound
    return out
