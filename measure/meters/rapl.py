"""RAPL through Linux powercap: `/sys/class/powercap/intel-rapl:*/energy_uj` (µJ, wraps around).

Domains nest: `psys` (platform) contains `package-N`, which contains `core` and `uncore`; `dram` is
outside the package. Summing them all double-counts, so this meter reads only `package-N` and its `dram`
sub-zone. Each counter wraps to 0 after `max_energy_range_uj` (about 20 min at 200 W for the common 262 kJ
range, less for small DRAM ranges): two readings cannot tell one wrap from several, so while a window is
open a background thread reads the counters every `poll_s` (well under the shortest wrap time) and adds
up the wrapped deltas, as Zeus does. Since Linux 5.10 (CVE-2020-8694) `energy_uj` is readable by root only.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measure.meters.base import Meter, MeterReadError, MeterUnavailable, Reading

POWERCAP_ROOT = Path("/sys/class/powercap")
_TOP = re.compile(r"^intel-rapl:(\d+)$")
_SUB = re.compile(r"^intel-rapl:(\d+):(\d+)$")
DEFAULT_POLL_S = 5.0  # s between counter reads while a window is open; a wrap takes minutes


@dataclass(frozen=True)
class RaplZone:
    """One powercap zone we read: its scope name, its folder and its counter range in µJ."""

    scope: str  # "cpu0-package", "cpu0-dram"
    path: Path
    max_energy_range_uj: int


def wrapped_delta_uj(start_uj: int, end_uj: int, max_energy_range_uj: int) -> int:
    """Energy in µJ between two readings of a counter that wraps to 0 after `max_energy_range_uj`."""
    delta = end_uj - start_uj
    if delta < 0:
        delta += max_energy_range_uj + 1
    return delta


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except PermissionError as e:
        raise MeterUnavailable(
            f"cannot read {path} (permission denied); run as root or "
            f"`sudo chmod o+r {path.parent.parent}/intel-rapl:*/energy_uj`"
        ) from e
    except (OSError, ValueError) as e:
        raise MeterReadError(f"cannot read {path}: {e}") from e


def find_zones(root: Path = POWERCAP_ROOT) -> list[RaplZone]:
    """The non-overlapping RAPL zones under `root`: every `package-N` and its `dram` sub-zone."""
    if not root.is_dir():
        raise MeterUnavailable(f"{root} does not exist (no RAPL: not Linux, or not an Intel/AMD CPU)")
    zones: list[RaplZone] = []
    for path in sorted(root.iterdir()):
        top, sub = _TOP.match(path.name), _SUB.match(path.name)
        if not (top or sub):
            continue
        try:
            name = (path / "name").read_text().strip()
        except OSError:
            continue
        socket = (top or sub).group(1)  # type: ignore[union-attr]
        if top and name.startswith("package"):
            scope = f"cpu{socket}-package"
        elif sub and name == "dram":
            scope = f"cpu{socket}-dram"
        else:  # psys contains the packages; core and uncore are inside a package
            continue
        rng = _read_int(path / "max_energy_range_uj")
        zones.append(RaplZone(scope=scope, path=path, max_energy_range_uj=rng))
    if not zones:
        raise MeterUnavailable(f"no RAPL package zone under {root}")
    return zones


class RaplMeter(Meter):
    """CPU package (and DRAM where exposed) energy from RAPL, summed over sockets."""

    name = "rapl"
    method = "measured"

    def __init__(
        self, zones: list[RaplZone], *, min_window_s: float = 1.0, poll_s: float | None = DEFAULT_POLL_S
    ) -> None:
        self.zones = zones
        self.min_window_s = min_window_s
        self.poll_s = poll_s  # None: no background thread (call poll() yourself)
        self._last_uj: dict[str, int] | None = None
        self._total_uj: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    @classmethod
    def open(
        cls,
        root: Path = POWERCAP_ROOT,
        *,
        probe_s: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RaplMeter:
        """Find the zones under `root` and check that their counters are readable and advance."""
        meter = cls(find_zones(root))
        first = meter._read_uj()
        sleep(probe_s)
        second = meter._read_uj()
        for z in meter.zones:
            if first[z.scope] == second[z.scope]:
                raise MeterUnavailable(
                    f"RAPL counter {z.path / 'energy_uj'} did not advance over {probe_s:g} s"
                )
        return meter

    def _read_uj(self) -> dict[str, int]:
        return {z.scope: _read_int(z.path / "energy_uj") for z in self.zones}

    def poll(self) -> None:
        """Read the counters and add the (wrapped) energy since the last read to the window's total."""
        with self._lock:
            if self._last_uj is None:
                raise MeterReadError("poll() called without start()")
            now = self._read_uj()
            for z in self.zones:
                self._total_uj[z.scope] += wrapped_delta_uj(
                    self._last_uj[z.scope], now[z.scope], z.max_energy_range_uj
                )
            self._last_uj = now

    def _poll_loop(self) -> None:
        assert self.poll_s is not None
        while not self._stop_event.wait(self.poll_s):
            try:
                self.poll()
            except MeterReadError:  # stop() reads again and reports a broken counter
                return

    def start(self) -> None:
        with self._lock:
            self._last_uj = self._read_uj()
            self._total_uj = {z.scope: 0 for z in self.zones}
            self._t0 = time.perf_counter()
        if self.poll_s is not None:
            self._stop_event.clear()
            self._thread = threading.Thread(target=self._poll_loop, name="rapl-poller", daemon=True)
            self._thread.start()

    def _halt(self) -> None:
        if self._thread is not None:
            self._stop_event.set()
            self._thread.join()
            self._thread = None

    def peek(self) -> Reading:
        self.poll()
        with self._lock:
            return Reading(
                energy_mj={s: uj / 1000.0 for s, uj in self._total_uj.items()},
                duration_s=time.perf_counter() - self._t0,
            )

    def stop(self) -> Reading:
        if self._last_uj is None:
            raise MeterReadError("stop() called without start()")
        self._halt()
        reading = self.peek()
        self._last_uj = None
        return reading

    def devices(self) -> list[str]:
        return [f"{z.scope}: RAPL {z.path.name}" for z in self.zones]

    def close(self) -> None:
        self._halt()
