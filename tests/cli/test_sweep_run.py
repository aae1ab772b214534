"""`tco sweep` end to end: in this process, on 2 local worker processes and on a REAL local Ray cluster
(started and stopped here, two worker processes); Ctrl-C, a killed worker, --resume; one-line errors.

The Ray cluster is started once for the module with `ray start --head --block` in its own session and
stopped by killing that session's processes (and any process naming its private temp folder), never with
`ray stop`, which would stop every Ray process of the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from tco.analysis.sweep import prepare
from tco.analysis.sweep_backends import LocalProcesses, execute
from tco.cli.main import app  # type: ignore[attr-defined]
from tco.scenario.load import load_scenario
from tco.scenario.sweep import sweep_from_dict
from tco.scenario.sweep_store import SweepStore

ROOT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).parent / "ray"

# 8 plan points of the shipped portfolio, one per block: slow enough (a plan each) to stop in the middle
PLAN = {
    "run": "plan",
    "inputs": [
        {
            "path": "workload.queries_per_day",
            "name": "demand",
            "values": [f"{q} query/day" for q in (1500000, 2000000, 2500000, 3000000)],
        },
        {"path": "defaults.region", "name": "region", "values": ["us-va", "fr"]},
    ],
    "block": 1,
}
REPORT = {
    "run": "report",
    "inputs": [
        {
            "path": "workload.queries_per_day",
            "range": {"from": "500000 query/day", "to": "3000000 query/day", "step": "500000 query/day"},
        },
        {"path": "defaults.region", "values": ["us-va", "fr"]},
    ],
    "block": 2,
}


def tco(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tco.cli", "sweep", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for_block(out: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    parts = out.with_name(out.name + ".parts")
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if parts.is_dir() and any(parts.glob("block-*.parquet")):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no block was written")


def cmdlines() -> Iterator[tuple[int, str]]:
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                yield int(d.name), (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def write(tmp: Path, name: str, data: dict) -> Path:
    p = tmp / name
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("sweeps")
    return {"plan": write(tmp, "plan.yaml", PLAN), "report": write(tmp, "report.yaml", REPORT), "dir": tmp}


@pytest.fixture(scope="module")
def reference(files: dict[str, Path]) -> dict[str, object]:
    """The plan and report sweeps computed in this process, block after block: the rows every run must give."""
    out = {}
    for name in ("plan", "report"):
        path = files["dir"] / f"ref-{name}.parquet"
        code, _, err = finish(
            tco(
                "portfolio" if name == "plan" else "slm-vs-llm",
                str(files[name]),
                "-o",
                str(path),
                "-q",
                "--no-chart",
            )
        )
        assert code == 0, err
        out[name] = pq.read_table(path)
    return out


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A real local Ray cluster with two worker CPUs, on a free port, in a private temp folder.

    Token authentication is off for it and for its drivers (RAY_AUTH_MODE=disabled): Ray turns it on for a
    new head whenever a token file exists (~/.ray/auth_token, left by any earlier local Ray), and a driver
    given an explicit address does not read that file."""
    mp = pytest.MonkeyPatch()
    mp.setenv("RAY_AUTH_MODE", "disabled")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats", "--object-store-memory=100000000", f"--temp-dir={temp}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        import ray

        t0 = time.monotonic()
        while True:  # up when a driver can join it
            try:
                ray.init(address=address, logging_level="ERROR", log_to_driver=False)
                ray.shutdown()
                break
            except Exception:
                if time.monotonic() - t0 > 120 or head.poll() is not None:
                    raise
                time.sleep(1)
        yield address
    finally:
        # this cluster's processes: those that name its temp folder, and their children (the workers)
        ours = [pid for pid, cmd in cmdlines() if temp in cmd and pid != os.getpid()]
        ours += [c for p in ours for c in children(p)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        for pid in ours:  # any still running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
        mp.undo()


def test_the_same_sweep_gives_the_same_rows_in_process_on_2_local_workers_and_on_ray(
    files, reference, ray_cluster, tmp_path
):
    data = REPORT
    base = load_scenario("slm-vs-llm")
    sw = sweep_from_dict(data, file=str(files["report"]))
    plan = prepare(sw, data, base)
    store = SweepStore(
        tmp_path / "local.parquet", [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key}
    )
    store.start(resume=False, overwrite=False)
    execute(plan, store, LocalProcesses(2))
    store.finish(sw.count)
    local = pq.read_table(tmp_path / "local.parquet")
    out = tmp_path / "ray.parquet"
    code, _, err = finish(tco("slm-vs-llm", str(files["report"]), "-o", str(out), "--ray", ray_cluster, "-q"))
    assert code == 0, err
    assert "ray x2" in err
    on_ray = pq.read_table(out)
    ref = reference["report"]
    assert ref.num_rows == 12
    cols = [c for c in ref.column_names]
    assert local.select(cols).equals(ref) and on_ray.select(cols).equals(ref)  # values and order, bit for bit
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_ctrl_c_keeps_every_finished_point_and_resume_computes_the_rest(files, reference, tmp_path):
    out = tmp_path / "plan.parquet"
    proc = tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart")
    wait_for_block(out, proc)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130, err
    kept = pq.read_table(out)
    n = kept.num_rows
    assert 1 <= n < 8
    assert f"interrupted: {n:,} of 8 points are written to {out}; run the same command with --resume" in err
    ref = reference["plan"]
    assert kept.equals(ref.filter(_in(ref, kept)))  # the finished points, exactly as the full run has them
    code, _, err = finish(tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--resume"))
    assert code == 0, err
    assert f"resuming: {n} of 8 points already written, {8 - n} to compute" in err
    assert f"{8 - n} points computed" in err
    assert pq.read_table(out).equals(ref)


def _in(ref, kept):
    import pyarrow.compute as pc

    return pc.is_in(ref.column("point"), value_set=kept.column("point"))


def test_a_killed_local_worker_loses_no_finished_point_and_resume_completes(files, reference, tmp_path):
    out = tmp_path / "plan.parquet"
    proc = tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--workers", "2")
    wait_for_block(out, proc)
    workers = [p for p in children(proc.pid) if "spawn_main" in dict(cmdlines()).get(p, "")]
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    code, _, err = finish(proc)
    assert code == 1, err
    assert "a worker process stopped unexpectedly (killed, or out of memory)" in err
    kept = pq.read_table(out)
    ref = reference["plan"]
    assert 1 <= kept.num_rows < 8 and kept.equals(ref.filter(_in(ref, kept)))
    code, _, err = finish(
        tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--resume", "-w", "2")
    )
    assert code == 0, err
    assert pq.read_table(out).equals(ref)


def test_a_killed_ray_worker_loses_nothing_and_an_interrupted_ray_sweep_resumes(
    files, reference, ray_cluster, tmp_path
):
    ref = reference["plan"]
    out = tmp_path / "killed.parquet"
    proc = tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--ray", ray_cluster)
    wait_for_block(out, proc)
    busy = [pid for pid, cmd in cmdlines() if cmd.startswith("ray::_block_task")]
    assert busy, "no Ray worker is running a block"
    os.kill(busy[0], signal.SIGKILL)  # Ray runs its block again on a new worker
    code, _, err = finish(proc)
    assert code == 0, err
    assert pq.read_table(out).equals(ref)

    out = tmp_path / "stopped.parquet"
    proc = tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--ray", ray_cluster)
    wait_for_block(out, proc)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130, err
    kept = pq.read_table(out)
    assert 1 <= kept.num_rows < 8 and kept.equals(ref.filter(_in(ref, kept)))
    code, _, err = finish(
        tco("portfolio", str(files["plan"]), "-o", str(out), "--no-chart", "--resume", "--ray", ray_cluster)
    )
    assert code == 0, err
    assert pq.read_table(out).equals(ref)


runner = CliRunner()


CTRL_C_AS_RAY_STARTS = """
import os, signal, sys
import ray
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever the parent ignores
real = ray.init
def init(**kw):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while Ray starts
    return real(**kw)
ray.init = init
from tco.cli import main
sys.argv = ["tco", *sys.argv[1:]]
main()
"""


def test_ctrl_c_while_ray_starts_is_one_line_exit_130_and_writes_nothing(files, ray_cluster, tmp_path):
    out = tmp_path / "r.parquet"
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_AS_RAY_STARTS, "sweep", "slm-vs-llm", str(files["report"]), "-o", str(out),
         "--ray", ray_cluster],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    code, _, err = finish(proc)
    # Ray starts, then the sweep stops before any point: no crash in Ray's exit handler, no silent exit
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted, nothing written"
    assert not out.exists() and not out.with_name(out.name + ".parts").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--workers", "zero"],
            "error: --workers: got 'zero', expected a number of processes from 1 to 4096, or auto",
        ),
        (["--resume", "--overwrite"], "error: --resume and --overwrite: expected one of them, not both"),
        (["-o", ""], "error: .: --output: is a directory, expected a file path"),
        (
            ["--ray", "5 W"],
            "error: --ray: got '5 W', expected auto, local or a cluster's address HOST:PORT (ray://HOST:PORT for "
            "Ray Client)",
        ),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(files, tmp_path, args, line):
    r = runner.invoke(
        app, ["sweep", "slm-vs-llm", str(files["report"]), "-o", str(tmp_path / "x.parquet"), *args]
    )
    assert r.exit_code == 2
    assert r.output.strip() == line


def test_a_bad_sweep_file_is_one_line_and_nothing_is_written(tmp_path):
    bad = write(
        tmp_path, "bad.yaml", {"run": "report", "inputs": [{"path": "defaults.region", "valeus": ["fr"]}]}
    )
    r = runner.invoke(app, ["sweep", "slm-vs-llm", str(bad), "-o", str(tmp_path / "x.parquet")])
    assert r.exit_code == 2
    assert (
        r.output.strip()
        == f"error: {bad}: inputs[0].valeus: unknown field, check the spelling against the format in README.md"
    )
    assert not list(tmp_path.glob("x.parquet*"))


def test_an_existing_output_needs_resume_or_overwrite(files, reference, tmp_path):
    out = tmp_path / "r.parquet"
    pq.write_table(reference["report"], out)
    r = runner.invoke(app, ["sweep", "slm-vs-llm", str(files["report"]), "-o", str(out)])
    assert r.exit_code == 2
    assert (
        r.output.strip()
        == f"error: {out}: {out} exists: expected --resume to continue it or --overwrite to start again"
    )


def test_ray_asked_for_but_missing_is_one_line(files, tmp_path):
    fake = tmp_path / "noray"
    fake.mkdir()
    (fake / "ray.py").write_text("raise ImportError('No module named ray')\n")  # as if Ray were not installed
    env = {**os.environ, "PYTHONPATH": f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    code, _, err = finish(
        tco("slm-vs-llm", str(files["report"]), "-o", str(tmp_path / "x.parquet"), "--ray", "auto", env=env)
    )
    assert code == 2
    assert err.strip() == (
        "error: --ray: Ray is not installed in this Python; install it with pip install 'slm-tco[ray]' (or pip "
        "install ray)"
    )
