"""The server's process tree (measure/meters/process_tree.py) on real processes: a parent that only waits
and a child that does the work, as `transformers serve` and vLLM's V1 engine run their model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from measure.meters.base import MeterReadError
from measure.meters.estimate import VCPU_IDLE_W, VCPU_MAX_W, pid_cpu_seconds
from measure.meters.factory import open_meter
from measure.meters.process_tree import describe_tree, process_tree, tree_cpu_seconds

# The child burns `cpu` s of its own CPU time when told to, reports what it used, then waits.
CHILD = """
import os, sys
for line in sys.stdin:
    if line.strip() == "go":
        t = os.times(); t0 = t.user + t.system
        while True:
            t = os.times(); used = t.user + t.system - t0
            if used >= 0.4: break
        print(f"used {used}", flush=True)
    else:
        break
"""
# The parent starts the child and relays lines both ways, using next to no CPU itself.
PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {CHILD!r}], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
print(child.pid, flush=True)
for line in sys.stdin:
    child.stdin.write(line); child.stdin.flush()
    print(child.stdout.readline().strip(), flush=True)
child.stdin.close(); child.wait()
"""


@pytest.fixture
def parent_and_child() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    try:
        yield proc, child
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _work(proc: subprocess.Popen[str]) -> float:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    return float(proc.stdout.readline().split()[1])


def test_tree_lists_the_child(parent_and_child: tuple[subprocess.Popen[str], int]) -> None:
    proc, child = parent_and_child
    assert process_tree(proc.pid) == [proc.pid, child]
    assert describe_tree([proc.pid, child]) == f"process {proc.pid} and its 1 descendant ({child})"
    assert describe_tree([proc.pid]) == f"process {proc.pid} (no child processes when measured)"


def test_tree_cpu_time_counts_the_child_the_parent_alone_misses(
    parent_and_child: tuple[subprocess.Popen[str], int],
) -> None:
    proc, _ = parent_and_child
    tree0, alone0 = tree_cpu_seconds(proc.pid), pid_cpu_seconds(proc.pid)
    used = _work(proc)  # the child's own count of its CPU time
    tree1, alone1 = tree_cpu_seconds(proc.pid), pid_cpu_seconds(proc.pid)
    tick = 0.02  # user and system times each count in 10 ms ticks
    assert tree1 - tree0 >= used - tick
    assert alone1 - alone0 < used / 2  # what --server-pid counted before: the waiting parent


def test_cpu_estimate_of_a_server_pid_follows_its_tree(
    parent_and_child: tuple[subprocess.Popen[str], int],
) -> None:
    """energy >= (idle + (max - idle) x child CPU s / (window x cores)) x window, with 1 core."""
    proc, _ = parent_and_child
    meter = open_meter("estimate", cpu_pid=proc.pid, cores=1)
    meter.start()
    used = _work(proc)
    reading = meter.stop()
    floor_j = VCPU_IDLE_W * reading.duration_s + (VCPU_MAX_W - VCPU_IDLE_W) * (used - 0.02)
    assert reading.total_j >= floor_j


def test_a_server_pid_that_does_not_exist_is_one_line() -> None:
    pid = 2**22 + 12345  # above Linux's pid_max
    with pytest.raises(MeterReadError, match=rf"^no process {pid} \(has the server stopped\?\)$"):
        process_tree(pid)
    with pytest.raises(
        MeterReadError, match=rf"^cannot read the CPU time of process {pid}: no such process$"
    ):
        tree_cpu_seconds(pid)
