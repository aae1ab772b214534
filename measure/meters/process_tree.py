"""A server's process tree: the process given by `--server-pid` and every process below it.

Servers run their model outside the process that answers HTTP: `transformers serve` in a child process,
vLLM's V1 engine in an engine-core process, with tensor-parallel workers below that. Measuring only the
given PID counts the HTTP front end and misses the model (about 97 % of the CPU energy of `transformers
serve` on CPU, and on a GPU NVML lists the engine's PID, not the front end's). So the CPU estimate sums
the CPU time of the whole tree, and the server's GPUs are those any process of the tree holds.

psutil (the `measure` extra) lists the children; it is imported when a tree is first asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from measure.meters.base import MeterReadError, MeterUnavailable


def _psutil() -> Any:
    try:
        import psutil
    except ImportError as e:
        raise MeterUnavailable(
            "following a server's processes needs psutil: pip install 'slm-tco[measure]'"
        ) from e
    return psutil


def process_tree(pid: int) -> list[int]:
    """`pid` and every living descendant (children, their children...), `pid` first, the rest sorted.

    Raises MeterReadError in one line when `pid` does not exist or cannot be read.
    """
    psutil = _psutil()
    try:
        root = psutil.Process(pid)
        children = root.children(recursive=True)
    except psutil.NoSuchProcess as e:
        raise MeterReadError(f"no process {pid} (has the server stopped?)") from e
    except psutil.AccessDenied as e:
        raise MeterReadError(f"cannot read process {pid}'s children: permission denied") from e
    return [pid, *sorted(c.pid for c in children)]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its living descendants, plus what their finished children
    used (the `children_*` times the OS adds on reaping), in s.

    A process that ends inside a window and is reaped by its parent is still counted (in its parent's
    children times); one that ends and is not yet reaped is lost until it is. The root must be readable
    (MeterReadError otherwise); a descendant that vanishes between listing and reading is skipped.
    """
    psutil = _psutil()
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess as e:
        raise MeterReadError(f"cannot read the CPU time of process {pid}: no such process") from e
    except psutil.AccessDenied as e:
        raise MeterReadError(f"cannot read the CPU time of process {pid}: permission denied") from e
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            if proc is root:
                raise MeterReadError(f"cannot read the CPU time of process {pid}: it has ended") from None
            continue
        except psutil.AccessDenied as e:
            raise MeterReadError(
                f"cannot read the CPU time of process {proc.pid} (below {pid}): permission denied"
            ) from e
        total += t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)
    return total


def describe_tree(pids: Iterable[int]) -> str:
    """ "process 12 and its 2 descendants (13, 14)" for the profile's notes."""
    root, *rest = list(pids)
    if not rest:
        return f"process {root} (no child processes when measured)"
    shown = ", ".join(str(p) for p in rest[:8]) + (f" and {len(rest) - 8} more" if len(rest) > 8 else "")
    return f"process {root} and its {len(rest)} descendant{'s' if len(rest) != 1 else ''} ({shown})"
