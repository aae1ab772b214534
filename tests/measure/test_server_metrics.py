"""The server's own metrics during `tco measure --endpoint`: vLLM's Prometheus gauges parsed by hand-checked
cases, scraped from the real local test server (tests/measure/openai_server.py: its /metrics page answers
its real running and waiting requests) and from hostile ones (tests/measure/hostile_server.py), which are
bounded and never fail the measurement."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from measure.bounded_http import Timeouts
from measure.endpoint import OpenAIClient
from measure.server_metrics import (
    MetricsScraper,
    Sample,
    ScrapeError,
    ServerMetrics,
    parse_prometheus,
    point_fields,
    sample_of,
    summarize,
)
from tco.cli.main import run
from tco.scenario.repository import load_model_profile
from tests.measure.hostile_server import METRICS_MODES, MODEL, serve

SERVER = Path(__file__).with_name("openai_server.py")

# vLLM V1's page as its Prometheus logger writes it (two data-parallel engines), abridged
V1_PAGE = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="m"} 0.0
vllm:num_requests_waiting{engine="1",model_name="m"} 4.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.75
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 17.0
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} 17.0
"""


def test_a_v1_page_sums_counts_over_engines_and_averages_the_cache() -> None:
    values = parse_prometheus(V1_PAGE)
    assert values == {
        "vllm:num_requests_running": [3.0, 2.0],
        "vllm:num_requests_waiting": [0.0, 4.0],
        "vllm:kv_cache_usage_perc": [0.25, 0.75],
    }
    assert sample_of(values, 1.5) == Sample(1.5, running=5.0, waiting=4.0, kv_cache=0.5)


def test_a_v0_page_gives_the_cache_under_its_older_name_and_a_timestamp_is_ignored() -> None:
    page = 'vllm:num_requests_running 2 1700000000000\nvllm:gpu_cache_usage_perc{model_name="a}b"} 0.125\n'
    assert sample_of(parse_prometheus(page), 0.0) == Sample(0.0, 2.0, None, 0.125)


def test_out_of_range_and_malformed_gauges_are_absent_and_a_page_of_none_is_no_sample() -> None:
    page = (
        "vllm:num_requests_running{} -3\n"  # a negative count
        "vllm:num_requests_waiting NaN\n"
        "vllm:kv_cache_usage_perc 7.5\n"  # a fraction above 1
        'vllm:num_requests_waiting{engine="0" 4\n'  # an unclosed label set
        "vllm:num_requests_running_total 9\n"  # another name
    )
    assert sample_of(parse_prometheus(page), 0.0) is None
    assert sample_of(parse_prometheus("vllm:num_requests_waiting 1e8\nvllm:num_requests_running 1"), 0) == (
        Sample(0, 1.0, None, None)  # 1e8 waiting is not a request count
    )


def test_the_window_summary_is_the_mean_and_max_of_the_samples_inside_it() -> None:
    samples = [
        Sample(0.5, 9.0, 9.0, 0.9),  # before the window
        Sample(1.0, 2.0, 0.0, 0.2),
        Sample(2.0, 4.0, 3.0, None),
        Sample(3.0, 3.0, 0.0, 0.4),
        Sample(3.5, 9.0, 9.0, 0.9),  # after it
    ]
    m = summarize(samples, 1.0, 3.0)
    assert m == ServerMetrics(3, 3.0, 4.0, 1.0, 3.0, pytest.approx(0.3), 0.4)
    assert m is not None and m.queue_bound is True
    assert point_fields(m) == {
        "server_metrics_samples": 3,
        "server_running_mean": 3.0,
        "server_running_max": 4.0,
        "server_waiting_mean": 1.0,
        "server_waiting_max": 3.0,
        "kv_cache_usage_mean": 0.3,
        "kv_cache_usage_max": 0.4,
        "queue_bound": True,
    }
    assert summarize(samples, 1.2, 1.8) is None
    calm = summarize([Sample(1.0, 1.0, None, None)], 0.0, 2.0)
    assert calm is not None and calm.queue_bound is None
    assert point_fields(calm) == {
        "server_metrics_samples": 1,
        "server_running_mean": 1.0,
        "server_running_max": 1.0,
    }


@given(st.text(max_size=400))
def test_any_page_parses_without_raising_into_finite_in_range_gauges(page: str) -> None:
    s = sample_of(parse_prometheus(page), 0.0)
    if s is not None:
        for v in (s.running, s.waiting):
            assert v is None or 0 <= v <= 1e7
        assert s.kv_cache is None or 0 <= s.kv_cache <= 1


@given(
    st.lists(
        st.tuples(st.floats(0, 1e3), st.floats(0, 1e3), st.floats(0, 1), st.floats(0, 10, exclude_max=True)),
        min_size=1,
        max_size=30,
    )
)
def test_a_summary_lies_between_the_samples_and_is_queue_bound_iff_one_waited(
    rows: list[tuple[float, float, float, float]],
) -> None:
    samples = [Sample(t, r, w, k) for r, w, k, t in rows]
    m = summarize(samples, 0.0, 10.0)
    assert m is not None and m.samples == len(rows)
    for mean, top, values in (
        (m.running_mean, m.running_max, [r for r, _, _, _ in rows]),
        (m.waiting_mean, m.waiting_max, [w for _, w, _, _ in rows]),
        (m.kv_cache_mean, m.kv_cache_max, [k for _, _, k, _ in rows]),
    ):
        assert mean is not None and min(values) - 1e-9 <= mean <= max(values) + 1e-9 and top == max(values)
    assert m.queue_bound is any(w > 0 for _, w, _, _ in rows)


def test_the_test_server_in_v0_names_gives_the_cache_under_vllms_older_gauge(
    tiny_models: dict[str, Path],
) -> None:
    proc, url = _start(tiny_models["causal-lm"], "--metrics", "v0", "--kv-cache-tokens", "64")
    try:
        page = MetricsScraper.for_endpoint(url)
        assert "vllm:gpu_cache_usage_perc{" in _get(page.url)
        OpenAIClient(url, "tiny-llama").stream("Hello", 2, fixed_length=True)
        assert page.scrape().kv_cache == 0.0  # the finished request gave its cache back
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("flavour", "name", "kv"),
    [("sglang", "sglang:num_running_reqs{", 0.0), ("tgi", "tgi_batch_current_size ", None)],
)
def test_sglang_and_tgi_pages_give_their_running_and_waiting_requests(
    tiny_models: dict[str, Path], flavour: str, name: str, kv: float | None
) -> None:
    """A real local server answering SGLang's or TGI's metric names: the scraper reads its running and
    waiting counts (and SGLang's token_usage as the KV-cache fraction; TGI has none) while requests wait."""
    proc, url = _start(tiny_models["causal-lm"], "--metrics", flavour, "--max-running", "1")
    try:
        page = MetricsScraper.for_endpoint(url)
        assert name in _get(page.url)
        idle = page.scrape()
        assert (idle.running, idle.waiting, idle.kv_cache) == (0.0, 0.0, kv)
        client = OpenAIClient(url, "tiny-llama")
        seen: list[Any] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                seen.append(page.scrape())

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        workers = [threading.Thread(target=client.stream, args=("Hello", 24), kwargs={"fixed_length": True})
                   for _ in range(3)]  # fmt: skip
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
        stop.set()
        t.join(timeout=10)
        assert max(s.running for s in seen) == 1.0  # one slot
        assert max(s.waiting for s in seen) >= 1.0  # the others queued
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def _start(tiny: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(tiny), "--served-model-name", "tiny-llama", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("PORT "), line
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1"


@pytest.fixture(scope="module")
def one_slot(tiny_models: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """A server that generates one request at a time (the others wait), as vLLM with --max-num-seqs 1."""
    proc, url = _start(tiny_models["causal-lm"], "--max-running", "1", "--kv-cache-tokens", "512")
    try:
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_test_servers_page_counts_its_real_running_and_waiting_requests(
    one_slot: tuple[str, int],
) -> None:
    url = one_slot[0]
    scraper = MetricsScraper.for_endpoint(url)
    assert scraper.url == url[: -len("/v1")] + "/metrics"
    idle = scraper.scrape()
    assert (idle.running, idle.waiting, idle.kv_cache) == (0.0, 0.0, 0.0)
    client = OpenAIClient(url, "tiny-llama")
    threads = [
        threading.Thread(target=client.stream, args=("Hello there", 40), kwargs={"fixed_length": True})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(t.is_alive() for t in threads):
        s = scraper.scrape()
        seen.append((s.running, s.waiting))
        if s.waiting == 2.0:
            assert s.running == 1.0 and s.kv_cache is not None and 0 < s.kv_cache <= 1
            break
    for t in threads:
        t.join()
    assert (1.0, 2.0) in seen  # one generating, two queued behind it
    assert all(r is not None and r <= 1.0 for r, _ in seen)  # never more than its one slot
    done = scraper.scrape()
    assert (done.running, done.waiting, done.kv_cache) == (0.0, 0.0, 0.0)


def _measure(url: str, out: Path, pid: int, concurrency: str, *extra: str) -> list[str]:
    return [
        "measure", "--endpoint", url, "--served-model", "tiny-llama", "--task", "qa", "--concurrency",
        concurrency, "--steady-window", "1.5s", "--min-queries", "6", "--max-new-tokens", "8",
        "--fixed-output-length", "--meter", "estimate", "--server-pid", str(pid), "--cooldown", "0s",
        "--parameters", "12592", "-o", str(out), *extra,
    ]  # fmt: skip


def test_a_point_where_requests_waited_is_queue_bound_and_records_the_servers_gauges(
    one_slot: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, pid = one_slot
    out = tmp_path / "p.yaml"
    assert run(_measure(url, out, pid, "1,3")) == 0
    err = capsys.readouterr().err
    assert f"server metrics: running, waiting, KV-cache use from {url[:-3]}/metrics every 0.5 s" in err
    one, three = load_model_profile(out).points
    assert three.server_running_mean is not None and three.server_waiting_mean is not None
    assert three.kv_cache_usage_mean is not None
    assert (
        f"; server: {three.server_running_mean:.3g} running, {three.server_waiting_mean:.3g} waiting, KV cache "
        f"{100 * three.kv_cache_usage_mean:.3g} % used on average (queue-bound)\n" in err
    )
    # one client on one slot: it never waits; three clients on one slot: up to two wait while one runs (a
    # sample can fall in the moment a finished client has not yet sent its next request, so one waiting)
    assert (one.queue_bound, one.server_waiting_max, one.server_running_max) == (False, 0.0, 1.0)
    assert three.queue_bound is True and three.server_running_max == 1.0
    assert three.server_waiting_max in (1.0, 2.0) and three.server_waiting_mean is not None
    assert 0.0 < three.server_waiting_mean <= three.server_waiting_max
    for p in (one, three):
        assert p.server_metrics_samples is not None and p.server_metrics_samples >= 2
        assert p.server_running_mean is not None and 0 < p.server_running_mean <= 1.0
        assert p.kv_cache_usage_mean is not None and p.kv_cache_usage_max is not None
        assert 0 < p.kv_cache_usage_mean <= p.kv_cache_usage_max <= 1
        assert p.notes is not None and f"server /metrics sampled {p.server_metrics_samples} times" in p.notes
    assert three.notes is not None and "(requests seen waiting: queue-bound)" in three.notes
    prov = load_model_profile(out).provenance
    assert prov.notes is not None and "server metrics: running, waiting, KV-cache use from" in prov.notes


def test_a_server_without_metrics_is_measured_as_before_with_one_note(
    tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc, url = _start(tiny_models["causal-lm"], "--metrics", "none")
    try:
        out = tmp_path / "p.yaml"
        assert run(_measure(url, out, proc.pid, "1")) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    err = capsys.readouterr().err
    line = f"server metrics: none recorded ({url[:-3]}/metrics: HTTP 404)"
    assert err.count("server metrics:") == 1 and line in err
    profile = load_model_profile(out)
    (p,) = profile.points
    assert p.status == "ok" and p.energy_per_query is not None
    fields = ("server_running_mean", "server_waiting_max", "kv_cache_usage_mean", "queue_bound")
    assert all(getattr(p, f) is None for f in fields)
    assert profile.provenance.notes is not None and profile.provenance.notes.count(line) == 1


FAST = Timeouts(connect_s=1.0, first_byte_s=1.0, idle_s=1.0, request_s=5.0)

# mode -> why its page gives no sample (the scraper's one line)
HOSTILE = {
    "metrics-huge": "a body longer than 4,194,304 bytes",
    "metrics-drip": "no whole page within 1 s",
    "metrics-garbage": "no vLLM, SGLang or TGI gauge (vllm:num_requests_running, sglang:num_running_reqs, "
    "tgi_batch_current_size, ...)",
}


@pytest.mark.parametrize("mode", sorted(HOSTILE))
def test_a_hostile_metrics_page_is_bounded_and_one_line(mode: str) -> None:
    with serve(mode) as url:
        scraper = MetricsScraper.for_endpoint(url, timeouts=FAST)
        t0 = time.monotonic()
        with pytest.raises(ScrapeError) as e:
            scraper.scrape()
        assert time.monotonic() - t0 < 30  # bounded (a hang would be the test's timeout, not this)
    assert str(e.value) == HOSTILE[mode]


@pytest.mark.parametrize("mode", sorted(METRICS_MODES))
def test_a_hostile_metrics_page_never_fails_the_measurement(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    out = tmp_path / "p.yaml"
    with serve(mode) as url:
        args = [
            "measure", "--endpoint", url, "--served-model", MODEL, "--meter", "estimate", "--server-pid",
            str(os.getpid()), "--concurrency", "1", "--steady-window", "1s", "--min-queries", "3",
            "--max-new-tokens", "4", "--cooldown", "0s", "--request-timeout", "1s", "-o", str(out),
        ]  # fmt: skip
        code = run(args)
    err = capsys.readouterr().err
    assert code == 0, err
    (p,) = load_model_profile(out).points
    assert p.status == "ok" and p.server_running_mean is None and p.queue_bound is None
    if mode == "metrics-then-huge":  # a good page first, then pages too big: the level notes why
        assert p.notes is not None
        assert (
            "; server no /metrics sample in the steady window (a body longer than 4,194,304 bytes)" in p.notes
        )
    else:
        assert "server metrics: none recorded (" in err


def test_an_open_loop_level_faster_than_the_server_records_its_queue(
    one_slot: tuple[str, int], tmp_path: Path
) -> None:
    url, pid = one_slot
    out = tmp_path / "rate.yaml"
    args = _measure(url, out, pid, "1", "--request-rate", "150")
    args[args.index("--steady-window") + 1] = "1s"
    assert run(args) == 0
    (p,) = load_model_profile(out).points
    # arrivals at 150/s on one slot that serves some 50/s: requests pile up in the server's queue
    assert p.request_rate == 150.0 and p.queue_bound is True
    assert p.server_running_max == 1.0
    assert p.server_waiting_max is not None and p.server_waiting_max >= 5
