"""Where a sweep's blocks of points run: one interface, three backends.

- `InProcess`: this process, block after block (the default; small sweeps, and the reference).
- `LocalProcesses(n)`: n worker processes on this machine (`--workers N`).
- `RayBackend` (tco.analysis.sweep_ray): the workers of a Ray cluster (`--ray ADDRESS|auto|local`).

Each backend takes the job (picklable: the sweep and the scenario as mappings) and blocks of point
indices, and yields each block's rows as it finishes, in any order; `execute` writes them through the
store as they come. A block's rows depend on its points alone (tco.analysis.sweep), so every backend and
every worker count gives the same rows, bit for bit.

A worker builds its context (the sweep, the reference data, the base scenario) once per job and keeps it
for the job's later blocks.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tco.analysis.sweep import Rows, SweepJob, SweepPlan, WorkerLost, compute_block
from tco.scenario.sweep import blocks
from tco.scenario.sweep_store import SweepStore


class Backend(Protocol):
    name: str
    workers: int

    def run(self, job: SweepJob, work: Sequence[range]) -> Iterator[tuple[range, Rows]]:
        """Yield (block, rows) for every block of `work` as each finishes, in any order."""
        ...

    def close(self) -> None:
        """Stop: drop the blocks not started, stop the workers. Safe to call twice."""
        ...


class InProcess:
    """Blocks computed one after the other in this process."""

    name = "in-process"
    workers = 1

    def run(self, job: SweepJob, work: Sequence[range]) -> Iterator[tuple[range, Rows]]:
        for b in work:
            _, _, rows = compute_block(job, b.start, b.stop)
            yield b, rows

    def close(self) -> None:
        return None


_WORKER_JOB: SweepJob | None = None


def _init_worker(job: SweepJob) -> None:
    """A local worker: Ctrl-C is the driver's to handle (it stops the workers), and the job is kept."""
    global _WORKER_JOB
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_JOB = job


def _worker_block(start: int, stop: int) -> tuple[int, int, Rows]:
    assert _WORKER_JOB is not None
    return compute_block(_WORKER_JOB, start, stop)


def cpu_count() -> int:
    """The cores this process may use (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# Each worker is one process on one core: its numerical libraries get one thread each (OpenBLAS and OpenMP
# pools would otherwise start a thread per core in every worker and fight over the cores). Set for the
# workers only, where the user has not set them; Ray does the same for its tasks.
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class LocalProcesses:
    """Blocks computed by `workers` processes of this machine (started fresh: the `spawn` method)."""

    name = "local processes"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self._pool: Any = None

    def run(self, job: SweepJob, work: Sequence[range]) -> Iterator[tuple[range, Rows]]:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        unset = [k for k in ONE_THREAD if k not in os.environ]
        os.environ.update({k: "1" for k in unset})  # inherited by the workers spawned below
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(job,),
        )
        todo = list(work)
        pending: dict[Any, range] = {}
        ahead = 2 * self.workers  # blocks queued per worker: enough to keep each busy, few to cancel
        try:
            while todo or pending:
                while todo and len(pending) < ahead:
                    b = todo.pop(0)
                    pending[self._pool.submit(_worker_block, b.start, b.stop)] = b
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=lambda f: pending[f].start):
                    b = pending.pop(fut)
                    _, _, rows = fut.result()
                    yield b, rows
        except BrokenProcessPool as e:
            raise WorkerLost(
                "a worker process stopped unexpectedly (killed, or out of memory) while it held blocks"
            ) from e
        finally:
            self.close()
            for k in unset:
                os.environ.pop(k, None)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}).values())  # the executor has no public terminate
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


_RAY_ADDRESS = re.compile(
    r"(?:ray://)?(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}"
)


def check_flags(workers: str | int | None = None, ray: str | None = None) -> None:
    """Refuse a bad `--workers` or `--ray` in one line, before any file is read or any cluster joined."""
    from tco.errors import InputError

    if workers is not None and workers != "auto":
        _count(workers)
    if ray is not None and ray not in ("auto", "local"):
        m = _RAY_ADDRESS.fullmatch(ray) if len(ray) <= 300 else None
        if m is None or not 0 < int(ray.rsplit(":", 1)[1]) < 65536:
            raise InputError(
                f"got {ray[:80]!r}, expected auto, local or a cluster's address HOST:PORT (ray://HOST:PORT "
                "for Ray Client)",
                field="--ray",
            )


def make_backend(workers: str | int | None = None, ray: str | None = None) -> Backend:
    """The backend asked for: `ray` (an address, `auto` or `local`) or `workers` processes (a count or
    `auto`: this machine's cores), else in-process. Checks availability (Ray installed, reachable)."""
    check_flags(workers, ray)
    if ray is not None:
        from tco.analysis.sweep_ray import RayBackend

        n = None if workers in (None, "auto") else _count(workers)
        return RayBackend(ray, n)
    if workers is None:
        return InProcess()
    n = cpu_count() if workers == "auto" else _count(workers)
    return LocalProcesses(n)


def _count(workers: str | int | None) -> int:
    from tco.errors import InputError

    try:
        n = int(str(workers))
    except ValueError:
        n = 0
    if n < 1 or n > 4096:
        raise InputError(
            f"got {workers!r}, expected a number of processes from 1 to 4096, or auto", field="--workers"
        )
    return n


@dataclass
class Progress:
    """What `execute` reports after each block: points written (this run and before), of how many."""

    done: int
    total: int
    computed: int  # points computed by this run
    failed: int  # points of this run whose row holds an error


def pending_work(plan: SweepPlan, done: set[int]) -> list[range]:
    """The sweep's blocks less the points already written (a block partly written is split)."""
    out: list[range] = []
    for b in blocks(plan.sweep):
        run: list[int] = [k for k in b if k not in done]
        while run:
            start = run[0]
            stop = start
            while run and run[0] == stop:
                run.pop(0)
                stop += 1
            out.append(range(start, stop))
    return out


def execute(
    plan: SweepPlan,
    store: SweepStore,
    backend: Backend,
    *,
    done: Iterable[int] = (),
    on_block: Callable[[Progress], None] | None = None,
) -> Progress:
    """Run every point not in `done` on `backend`, writing each finished block through `store` at once.

    Returns the final progress. Raises whatever stops it (KeyboardInterrupt, WorkerLost): every block
    written before stays written; the caller gathers them with `store.finish`.
    """
    already = set(done)
    work = pending_work(plan, already)
    state = Progress(len(already), plan.sweep.count, 0, 0)
    try:
        for _block, rows in backend.run(plan.job, work):
            n = store.write_block(rows)
            state.done += n
            state.computed += n
            state.failed += sum(1 for e in rows.get("error", []) if e is not None)
            if on_block is not None:
                on_block(state)
    finally:
        backend.close()
    return state


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(result, seconds) of `fn()`, wall clock."""
    t0 = time.perf_counter()
    return fn(), time.perf_counter() - t0
