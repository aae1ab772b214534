"""The Ray backend of `tco sweep`: blocks of points as Ray tasks on a cluster (`--ray ADDRESS|auto|local`).

`auto` joins the cluster started on this machine (`ray start --head`), an address (`10.0.0.5:6379`,
`ray://host:10001`) joins that one, and `local` starts a private one for this run (stopped at its end).
Ray is imported only here, when asked for; without it the one line says how to install it. Every node of
the cluster needs slm-tco installed (`pip install 'slm-tco[ray]'`): the tasks import it.

A task computes one block (`tco.analysis.sweep.compute_block`) with the job put once in Ray's
object store. At most `workers` blocks run at once (default: the cluster's CPUs), twice that are queued.
A task whose worker dies (a node lost, a process killed) is run again by Ray, up to `MAX_RETRIES` times;
a block is written only once its whole result is back, so nothing is counted twice.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from tco.analysis.sweep import Rows, SweepJob, WorkerLost, compute_block
from tco.errors import InputError

MAX_RETRIES = 3
WAIT_S = 0.25  # seconds between checks for Ctrl-C while blocks run
INSTALL = "pip install 'slm-tco[ray]' (or pip install ray)"


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise InputError(
            f"Ray is not installed in this Python; install it with {INSTALL}", field="--ray"
        ) from e
    return ray


@contextlib.contextmanager
def _deferred_sigint() -> Iterator[threading.Event]:
    """Ctrl-C sets the event instead of raising inside Ray: a KeyboardInterrupt in the middle of `ray.init`
    leaves Ray half started (its exit handler then crashed the process with no message), and a SIGINT that
    arrives while the driver waits in C++ can be lost. The caller checks the event where stopping is safe.
    Outside the main thread Ctrl-C is the caller's and the event is never set."""
    stop = threading.Event()
    try:
        old = signal.signal(signal.SIGINT, lambda *_: stop.set())
    except ValueError:  # not the main thread
        old = None
    try:
        yield stop
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def _block_task(job: SweepJob, start: int, stop: int) -> tuple[int, int, Rows]:
    return compute_block(job, start, stop)


class RayBackend:
    """Blocks computed as Ray tasks."""

    name = "ray"

    def __init__(self, address: str, workers: int | None = None) -> None:
        self.address = address
        self._own = address == "local"
        kwargs: dict[str, Any] = {
            "ignore_reinit_error": True,
            "log_to_driver": False,
            "logging_level": "ERROR",
        }
        if self._own:
            kwargs["include_dashboard"] = False
            if workers is not None:
                kwargs["num_cpus"] = workers
        else:
            kwargs["address"] = address
        # Ctrl-C while Ray imports and starts (a few seconds) stops the sweep once Ray is up, and Ray is shut
        # down before KeyboardInterrupt goes on (nothing was computed: the caller says nothing is written)
        with _deferred_sigint() as stop:
            ray = _ray()
            try:
                ray.init(**kwargs)
            except (ConnectionError, ValueError, RuntimeError, TimeoutError) as e:
                first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
                raise InputError(
                    f"cannot connect to a Ray cluster at {address!r} ({first}); expected a running cluster "
                    "(`ray start --head` on this machine, then --ray auto) or --ray local",
                    field="--ray",
                ) from e
            if stop.is_set():
                self.close()
                raise KeyboardInterrupt
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or max(1, cpus)

    def run(self, job: SweepJob, work: Sequence[range]) -> Iterator[tuple[range, Rows]]:
        ray = _ray()
        from ray.exceptions import RayError

        remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_block_task)
        job_ref = ray.put(job)
        todo = list(work)
        by_ref: dict[Any, range] = {}
        ahead = 2 * self.workers
        try:
            with _deferred_sigint() as stop:
                while todo or by_ref:
                    while todo and len(by_ref) < ahead:
                        b = todo.pop(0)
                        by_ref[remote.remote(job_ref, b.start, b.stop)] = b
                    ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=WAIT_S)
                    if stop.is_set():
                        raise KeyboardInterrupt
                    for ref in ready:
                        b = by_ref.pop(ref)
                        try:
                            _, _, rows = ray.get(ref)
                        except RayError as e:
                            raise WorkerLost(
                                f"Ray could not run points {b.start}-{b.stop - 1} ({type(e).__name__}, after "
                                f"{MAX_RETRIES} retries)"
                            ) from e
                        yield b, rows
        finally:
            self.close()

    def close(self) -> None:
        """Leave the cluster: Ray ends this driver's tasks still queued or running (their blocks are not
        written; `--resume` computes them)."""
        ray = _ray()
        if ray.is_initialized():
            ray.shutdown()
