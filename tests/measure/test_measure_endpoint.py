"""`tco measure --endpoint` against a real OpenAI-compatible HTTP server (tests/measure/openai_server.py)
started here on a free port of 127.0.0.1 and backed by a tiny random Llama built by the fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from measure.cli import measure as measure_command
from measure.endpoint import EndpointError, OpenAIClient, RequestRecord, steady_window
from measure.meters.estimate import VCPU_IDLE_W, VCPU_MAX_W
from tco.scenario.repository import load_model_profile

SERVER = Path(__file__).with_name("openai_server.py")


@pytest.fixture(scope="module")
def server(tiny_models: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The server's base URL and process id; stopped after the module's tests."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(tiny_models["causal-lm"]), "--served-model-name", "tiny-llama"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()  # blocks until the model is loaded and the port bound
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/v1", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("measure")(measure_command)

    @app.command("noop")
    def noop() -> None:
        pass

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["measure", *args], env={"TCO_NO_PROGRESS": "1"})
    return result.exit_code, result.output


def test_client_streams_tokens_with_usage(server: tuple[str, int]) -> None:
    client = OpenAIClient(server[0], "tiny-llama")
    assert client.models() == ["tiny-llama"]
    rec = client.stream("Question: what is 2 + 2?\nAnswer:", 6, fixed_length=True)
    assert rec.error is None
    assert rec.output_tokens == 6  # from the server's usage, ignore_eos honoured
    assert len(rec.chunk_times_s) == 6
    assert rec.input_tokens is not None and rec.input_tokens > 5
    assert rec.ttft_s is not None and 0 < rec.ttft_s <= rec.latency_s
    assert rec.tpot_s is not None and len(rec.itls_s()) == 5
    chat = OpenAIClient(server[0], "tiny-llama", api="chat").stream("Hello", 3, fixed_length=True)
    assert (chat.error, chat.output_tokens) == (None, 3)


def test_endpoint_sweep_writes_a_profile_per_concurrency(
    app: typer.Typer, server: tuple[str, int], tmp_path: Path
) -> None:
    url, pid = server
    out = tmp_path / "tiny-served.yaml"
    code, text = run(
        app, "--endpoint", url, "--served-model", "tiny-llama", "--task", "qa", "--concurrency", "1,3",
        "--steady-window", "1.5s", "--min-queries", "6", "--max-new-tokens", "8", "--fixed-output-length",
        "--meter", "estimate", "--server-pid", str(pid), "--cooldown", "0s", "--parameters", "12592",
        "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    profile = load_model_profile(out)
    cores = len(os.sched_getaffinity(0))
    assert (profile.hardware, profile.accelerators, profile.model.parameters) == ("cpu-vcpu", cores, 12592)
    assert [p.batch_size for p in profile.points] == [1, 3]
    for p in profile.points:
        assert p.status == "ok"
        assert p.output_tokens == p.output_tokens_p50 == p.output_tokens_p95 == 8.0
        assert p.ttft_p50 is not None and p.ttft_p95 is not None and p.ttft_p50 <= p.ttft_p95
        assert p.tpot_p50 is not None and p.tpot_p95 is not None and p.tpot_p50 <= p.tpot_p95
        assert p.tpot_p90 is not None and p.tpot_p99 is not None  # the ITL tail serving benchmarks quote
        assert p.tpot_p50 <= p.tpot_p90 <= p.tpot_p95 <= p.tpot_p99
        assert p.latency_p50 is not None and p.latency_p95 is not None
        assert p.latency_basis == "requests"  # the requests' own latencies: the engine keeps the p95
        assert p.energy_per_query is not None and p.throughput is not None and p.tokens_per_second is not None
        assert p.tokens_per_second == pytest.approx(p.throughput * 8.0, rel=1e-4)
        # the server's cores run between idle and full load: the implied power lies in that range
        assert cores * VCPU_IDLE_W * 0.98 <= p.energy_per_query * p.throughput <= cores * VCPU_MAX_W * 1.02
    prov = profile.provenance
    assert (prov.method, prov.meter, prov.source) == ("estimated", "estimate", "tco measure --endpoint")
    assert (
        prov.notes is not None
        and f"CPU estimate follows the server's process tree, process {pid} " in prov.notes
    )
    assert prov.timeline == "tiny-served.timeline.csv"
    rows = (tmp_path / "tiny-served.timeline.csv").read_text().splitlines()
    assert {r.split(",")[0] for r in rows[1:]} == {"concurrency 1", "concurrency 3"}
    assert "concurrency    3: " in text and " J/request, " in text


def test_unknown_served_model_is_one_line(app: typer.Typer, server: tuple[str, int], tmp_path: Path) -> None:
    code, text = run(app, "--endpoint", server[0], "--served-model", "gpt-9", "-o", str(tmp_path / "x.yaml"))
    assert (code, text.strip()) == (2, f"error: --served-model: {server[0]} serves tiny-llama, not 'gpt-9'")


def test_unreachable_endpoint_is_one_line(app: typer.Typer, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, text = run(app, "--endpoint", f"http://127.0.0.1:{port}/v1", "--served-model", "m")
    assert code == 2
    assert text.strip().startswith(f"error: cannot reach http://127.0.0.1:{port}/v1: ")
    assert "\n" not in text.strip()


def test_endpoint_without_any_meter_for_the_server_is_refused(
    app: typer.Typer, server: tuple[str, int], tmp_path: Path
) -> None:
    code, text = run(app, "--endpoint", server[0], "--served-model", "tiny-llama", "--meter", "estimate")
    assert (code, text.strip()) == (
        2,
        "error: --server-pid: estimating a server's CPU energy needs --server-pid (its process id)",
    )


def _rec(start: float, first: float, end: float) -> RequestRecord:
    return RequestRecord(start_s=start, end_s=end, chunk_times_s=[first, end], output_tokens=2)


def test_steady_window_runs_from_ramp_up_to_the_first_idle_client() -> None:
    records = [_rec(0.0, 0.5, 2.0), _rec(0.1, 0.9, 2.5), _rec(2.0, 2.2, 4.0)]
    assert steady_window(records, 2, last_by_worker=[6.0, 5.5]) == (0.9, 5.5)
    with pytest.raises(EndpointError, match=r"^only 1 of the first 2 requests streamed any token$"):
        steady_window([_rec(0.0, 0.5, 2.0), RequestRecord(0.1, 1.0)], 2, last_by_worker=[3.0, 3.0])


def test_tokens_in_a_window_are_counted_by_arrival() -> None:
    r = RequestRecord(start_s=0.0, end_s=4.0, chunk_times_s=[1.0, 2.0, 3.0, 4.0], output_tokens=8)
    assert r.tokens_between(1.5, 3.5) == 4.0  # two chunks of two tokens each
    assert r.itls_s() == [1.0, 1.0, 1.0]
    assert r.tpot_s == pytest.approx(3.0 / 7)


def test_profile_file_is_plain_yaml(app: typer.Typer, server: tuple[str, int], tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    code, text = run(
        app, "--endpoint", server[0], "--served-model", "tiny-llama", "--concurrency", "2",
        "--steady-window", "0.5s", "--min-queries", "4", "--max-new-tokens", "4", "--meter", "estimate",
        "--server-pid", str(server[1]), "--cooldown", "0s", "--no-timeline", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    data = yaml.safe_load(out.read_text())
    assert "timeline" not in data["provenance"]
    assert data["model"]["parameters"] == 0
    assert "parameter count not given (pass --parameters); written as 0" in data["provenance"]["notes"]
    assert not (tmp_path / "p.timeline.csv").exists()


def test_endpoint_on_a_named_gpu_reads_its_nvml_counter(
    app: typer.Typer, server: tuple[str, int], tmp_path: Path, fake_nvml: object
) -> None:
    import fake_pynvml

    assert isinstance(fake_nvml, fake_pynvml.FakeNvml)
    fake_nvml.devices[1].energy_step_mj = 40_000  # 40 J between two reads of GPU 1's counter
    out = tmp_path / "gpu.yaml"
    code, text = run(
        app, "--endpoint", server[0], "--served-model", "tiny-llama", "--concurrency", "2",
        "--steady-window", "0.5s", "--min-queries", "4", "--max-new-tokens", "4", "--gpus", "1",
        "--cooldown", "0s", "--no-timeline", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    profile = load_model_profile(out)
    assert (profile.hardware, profile.accelerators) == ("l4", 1)
    assert profile.provenance.method == "measured"
    assert profile.provenance.devices == ["gpu1: NVIDIA L4"]
    assert profile.provenance.driver == "550.54.15"
    (p,) = profile.points
    assert p.energy_per_query is not None and p.energy_per_query > 0


def test_level_cuts_the_steady_window_out_of_the_power_timeline(server: tuple[str, int]) -> None:
    from measure.endpoint import EndpointConfig, run_level
    from measure.meters.estimate import EstimateMeter

    client = OpenAIClient(server[0], "tiny-llama")
    gpu = EstimateMeter(10.0, 2.0, utilisation=0.5)  # a constant 6 W
    host = EstimateMeter(4.0, 4.0, utilisation=1.0)  # a constant 4 W
    config = EndpointConfig(concurrency=(2,), window_s=0.6, min_requests=4, max_new_tokens=5,
                            fixed_output_length=True, timeline_interval_s=0.05)  # fmt: skip
    level = run_level(client, ["Question: why?\nAnswer:"], gpu, config, 2, host_meter=host)
    assert level.status == "ok", level.note
    assert level.window_s >= 0.6
    assert level.window_energy_j == pytest.approx(6.0 * level.window_s, rel=1e-3)
    assert level.host_energy_j == pytest.approx(4.0 * level.window_s, rel=1e-3)
    assert level.mean_output_tokens() == 5.0
    assert level.energy_per_request_j() == pytest.approx(6.0 * level.window_s / level.window_tokens * 5.0)
    # tokens in the window come from the requests' streamed chunks, all of them inside the run
    assert 0 < level.window_tokens <= sum(r.output_tokens for r in level.done())


def test_endpoint_sweeps_input_length_by_concurrency_and_the_engine_reads_both(
    app: typer.Typer, server: tuple[str, int], tmp_path: Path
) -> None:
    """--input-tokens 96,200 (the test server keeps 256 tokens at most): every concurrency at each prompt length, TTFT and TPOT percentiles per point,
    the real input lengths from the server's usage beside the nominal ones; the engine interpolates a query
    halfway between the two measured lengths."""
    url, pid = server
    out = tmp_path / "tiny-lengths.yaml"
    code, text = run(
        app, "--endpoint", url, "--served-model", "tiny-llama", "--task", "sentiment", "--concurrency", "1,2",
        "--input-tokens", "96,200", "--steady-window", "1s", "--min-queries", "4", "--max-new-tokens", "6",
        "--fixed-output-length", "--meter", "estimate", "--server-pid", str(pid), "--cooldown", "0s",
        "--parameters", "12592", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    assert "input 200, concurrency    2: " in text
    profile = load_model_profile(out)
    by = {(p.input_tokens_nominal, p.batch_size): p for p in profile.points}
    assert sorted(by) == [(96, 1), (96, 2), (200, 1), (200, 2)]
    for (nominal, _), p in by.items():
        assert p.status == "ok" and p.input_tokens is not None
        assert abs(p.input_tokens - nominal) <= 0.25 * nominal  # the server's own count, near the target
        assert p.ttft_p50 is not None and p.ttft_p95 is not None and p.tpot_p95 is not None
    assert by[(200, 1)].input_tokens > by[(96, 1)].input_tokens

    from tco.scenario.load import scenario_from_dict
    from tco.scenario.repository import load_repository

    repo = load_repository().with_profile(profile, str(out))
    # a sweep's input length is the mean over its points (each level's requests, as the server counted them)
    i_lo = (by[(96, 1)].input_tokens + by[(96, 2)].input_tokens) / 2
    i_hi = (by[(200, 1)].input_tokens + by[(200, 2)].input_tokens) / 2
    raw = {
        "name": "measured lengths",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {
            "task": "sentiment",
            "queries_per_day": "100 query/day",
            "tokens_in": (i_lo + i_hi) / 2,
            "tokens_out": 6,
        },
        "defaults": {"region": "us-va"},
        "options": [
            {
                "id": "a",
                "deployment": "on-prem",
                "profile": profile.id,
                "batch_size": 1,
                "hardware_price": "100 USD",
            }
        ],
    }
    loaded = scenario_from_dict(raw, repo=repo)
    (row,) = [r for r in loaded.resolved.assumptions if r["parameter"] == "input-length model at capacity"]
    assert row["value"].startswith("interpolated between")
    # outputs fixed at 6 tokens; a longer prompt measured faster (noise on a busy machine) is raised to the
    # shorter one's time (README: the serving model)
    t_lo, t_hi = 1 / by[(96, 1)].throughput, 1 / by[(200, 1)].throughput
    t = (t_lo + max(t_hi, t_lo)) / 2
    assert 1 / loaded.resolved.options[0].throughput_qps == pytest.approx(t, rel=1e-6)


def test_input_tokens_without_an_endpoint_is_refused(app: typer.Typer, tmp_path: Path) -> None:
    code, text = run(app, "some/model", "--input-tokens", "128", "-o", str(tmp_path / "x.yaml"))
    assert code == 2
    assert "--input-tokens: sweeps the prompt lengths of a served model: use it with --endpoint" in text


@pytest.fixture(scope="module")
def child_server(tiny_models: dict[str, Path]) -> Iterator[tuple[str, int, int]]:
    """The test server with its model in a child process: base URL, the HTTP process's id, the child's."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(tiny_models["causal-lm"]), "--served-model-name", "tiny-llama",
         "--model-in-child"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("PORT ") and " CHILD " in line, line
        _, port, _, child = line.split()
        yield f"http://127.0.0.1:{int(port)}/v1", proc.pid, int(child)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cpu_estimate_of_a_server_counts_the_child_process_running_its_model(
    child_server: tuple[str, int, int],
) -> None:
    """Two estimates of the same steady window: the one `--server-pid` now opens (the HTTP process and
    its child) and one following the HTTP process alone (what it opened before). The child does every
    forward pass, so the first counts more energy."""
    from measure.endpoint import EndpointConfig, run_level
    from measure.meters.estimate import EstimateMeter, pid_cpu_seconds
    from measure.meters.factory import open_meter

    url, pid, child = child_server
    tree = open_meter("estimate", cpu_pid=pid, cores=1)
    alone = EstimateMeter.for_cpu_cores(1, cpu_seconds=lambda: pid_cpu_seconds(pid))
    config = EndpointConfig(concurrency=(2,), window_s=0.6, min_requests=4, max_new_tokens=6,
                            fixed_output_length=True, timeline_interval_s=0.05)  # fmt: skip
    child0 = pid_cpu_seconds(child)
    level = run_level(
        OpenAIClient(url, "tiny-llama"), ["Question: why?\nAnswer:"], tree, config, 2, host_meter=alone
    )
    assert pid_cpu_seconds(child) > child0  # the model ran in the child
    assert level.status == "ok", level.note
    assert level.host_energy_j is not None
    assert level.window_energy_j > level.host_energy_j


def test_endpoint_with_server_pid_finds_the_gpu_its_child_holds_and_names_the_tree(
    app: typer.Typer, child_server: tuple[str, int, int], tmp_path: Path, fake_nvml: object
) -> None:
    """The fake NVML lists the child (the engine process), not the HTTP process, on GPU 1."""
    import fake_pynvml

    assert isinstance(fake_nvml, fake_pynvml.FakeNvml)
    url, pid, child = child_server
    fake_nvml.devices[1].processes = [fake_pynvml.FakeProcess(child)]
    fake_nvml.devices[1].energy_step_mj = 40_000
    out = tmp_path / "gpu-child.yaml"
    code, text = run(
        app, "--endpoint", url, "--served-model", "tiny-llama", "--concurrency", "2",
        "--steady-window", "0.5s", "--min-queries", "4", "--max-new-tokens", "4", "--server-pid", str(pid),
        "--cooldown", "0s", "--no-timeline", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    profile = load_model_profile(out)
    assert (profile.hardware, profile.accelerators) == ("l4", 1)
    assert profile.provenance.devices == ["gpu1: NVIDIA L4"]
    assert profile.provenance.notes is not None
    assert child in _tree_in_note(
        profile.provenance.notes, "GPUs found as those held by the server's process tree, ", pid
    )


def test_endpoint_cpu_estimate_notes_name_the_server_tree(
    app: typer.Typer, child_server: tuple[str, int, int], tmp_path: Path
) -> None:
    url, pid, child = child_server
    out = tmp_path / "cpu-child.yaml"
    code, text = run(
        app, "--endpoint", url, "--served-model", "tiny-llama", "--concurrency", "1",
        "--steady-window", "0.5s", "--min-queries", "3", "--max-new-tokens", "4", "--meter", "estimate",
        "--server-pid", str(pid), "--cooldown", "0s", "--no-timeline", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    notes = load_model_profile(out).provenance.notes or ""
    # the child, and multiprocessing's resource tracker beside it, as the server runs them
    assert child in _tree_in_note(notes, "CPU estimate follows the server's process tree, ", pid)


def _tree_in_note(notes: str, lead: str, pid: int) -> list[int]:
    """The descendants a note lists after `lead` + "process PID and its N descendant(s) (...)"."""
    import re

    found = re.search(re.escape(lead) + rf"process {pid} and its \d+ descendants? \(([\d, ]+)\)", notes)
    assert found, notes
    return [int(p) for p in found.group(1).split(", ")]


def test_poisson_arrivals_are_seeded_with_the_rates_mean_gap() -> None:
    from itertools import islice, pairwise

    from measure.endpoint import mean_in_flight, poisson_arrivals

    times = list(islice(poisson_arrivals(4.0, seed=0), 20_000))
    assert times == list(islice(poisson_arrivals(4.0, seed=0), 20_000))  # the same arrivals every run
    assert times[-1] / len(times) == pytest.approx(0.25, rel=0.02)  # mean gap 1 / rate
    assert all(b > a for a, b in pairwise(times))
    # two requests over a 4 s window: one inside for 2 s, one from 3 s to past its end: (2 + 1) / 4
    recs = [RequestRecord(start_s=1.0, end_s=3.0), RequestRecord(start_s=3.0, end_s=9.0)]
    assert mean_in_flight(recs, 0.0, 4.0) == pytest.approx(0.75)


def test_endpoint_request_rate_sweep_writes_open_loop_points(
    app: typer.Typer, server: tuple[str, int], tmp_path: Path
) -> None:
    """--request-rate: Poisson arrivals at each rate, each point at its mean requests in flight, the rate
    recorded; a rate the server cannot keep up with would stop as queue-bound (tested below)."""
    url, pid = server
    out = tmp_path / "rates.yaml"
    code, text = run(
        app, "--endpoint", url, "--served-model", "tiny-llama", "--task", "qa", "--request-rate", "4",
        "--steady-window", "1s", "--min-queries", "4", "--max-new-tokens", "4", "--fixed-output-length",
        "--meter", "estimate", "--server-pid", str(pid), "--cooldown", "0s", "--no-timeline", "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    assert "rate 4/s: " in text and " in flight, " in text
    (p,) = load_model_profile(out).points
    assert p.status == "ok" and p.request_rate == 4.0 and p.batch_size >= 1
    assert p.notes is not None and p.notes.startswith("open loop: Poisson arrivals at 4 requests/s; ")
    assert p.output_tokens == 8.0 / 2  # every answer 4 tokens
    bad = run(app, "--endpoint", url, "--served-model", "tiny-llama", "--request-rate", "0,2")
    assert bad == (2, "error: --request-rate: expected distinct request rates per second above 0 and at most "
                      "10000, such as 0.5,2,8, got '0,2'\n")  # fmt: skip


def test_an_open_loop_level_the_server_cannot_keep_up_with_is_queue_bound(server: tuple[str, int]) -> None:
    from measure.endpoint import EndpointConfig, run_rate_level
    from measure.meters.estimate import EstimateMeter

    config = EndpointConfig(concurrency=(1,), window_s=5.0, min_requests=50, max_new_tokens=64,
                            fixed_output_length=True, max_in_flight=3)  # fmt: skip
    level = run_rate_level(OpenAIClient(server[0], "tiny-llama"), ["Question: why?\nAnswer:"],
                           EstimateMeter(10.0, 2.0, utilisation=0.5), config, 200.0)  # fmt: skip
    assert (level.status, level.request_rate) == ("error", 200.0)
    assert level.note == (
        "queue-bound: an arrival found 3 requests in flight; the server cannot keep up with 200 requests/s"
    )
