from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_rapl_zone

from measure.meters.base import MeterUnavailable
from measure.meters.rapl import RaplMeter, find_zones, wrapped_delta_uj


def bump(root: Path, folder: str, value: int) -> None:
    (root / folder / "energy_uj").write_text(f"{value}\n")


def test_wrapped_delta_golden() -> None:
    assert wrapped_delta_uj(100, 350, 1000) == 250
    assert wrapped_delta_uj(900, 50, 999) == 150  # 900 -> 999 (99), wrap to 0 (1), 0 -> 50 (50)


def test_reads_packages_and_dram_only(rapl_root: Path) -> None:
    zones = find_zones(rapl_root)
    assert [z.scope for z in zones] == ["cpu0-package", "cpu0-dram", "cpu1-package", "cpu1-dram"]


def test_window_sums_non_overlapping_domains_with_wrap(rapl_root: Path) -> None:
    meter = RaplMeter(find_zones(rapl_root), poll_s=None)
    meter.start()
    bump(rapl_root, "intel-rapl:0", 12_500_000)  # +2.5 J
    bump(rapl_root, "intel-rapl:0:2", 3_400_000)  # +0.4 J
    bump(rapl_root, "intel-rapl:1", 1_000_000)  # wrapped: 262_143_328_850 - 20_000_000 + 1 + 1_000_000 uJ
    bump(rapl_root, "intel-rapl:1:0", 4_100_000)  # +0.1 J
    bump(rapl_root, "intel-rapl:2", 99_000_000)  # psys: ignored (contains the packages)
    bump(rapl_root, "intel-rapl:0:0", 9_000_000)  # core: ignored (inside package-0)
    reading = meter.stop()
    assert reading.energy_mj == {
        "cpu0-package": 2_500.0,
        "cpu0-dram": 400.0,
        "cpu1-package": pytest.approx(262_124_328.851),
        "cpu1-dram": 100.0,
    }
    assert meter.devices()[0] == "cpu0-package: RAPL intel-rapl:0"


def test_open_checks_counters_advance(rapl_root: Path) -> None:
    with pytest.raises(MeterUnavailable) as e:
        RaplMeter.open(rapl_root, sleep=lambda s: None, probe_s=0.2)
    assert (
        str(e.value) == f"RAPL counter {rapl_root / 'intel-rapl:0' / 'energy_uj'} did not advance over 0.2 s"
    )

    def advance(_s: float) -> None:
        for folder, v in (
            ("intel-rapl:0", 11),
            ("intel-rapl:0:2", 4),
            ("intel-rapl:1", 21),
            ("intel-rapl:1:0", 5),
        ):
            bump(rapl_root, folder, v * 1_000_000)

    meter = RaplMeter.open(rapl_root, sleep=advance)
    assert len(meter.zones) == 4


def test_missing_powercap(tmp_path: Path) -> None:
    with pytest.raises(MeterUnavailable) as e:
        find_zones(tmp_path / "nope")
    assert str(e.value) == f"{tmp_path / 'nope'} does not exist (no RAPL: not Linux, or not an Intel/AMD CPU)"


def test_permission_denied_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "powercap"
    zone = write_rapl_zone(root, "intel-rapl:0", "package-0", 1)
    real_read = Path.read_text

    def deny(self: Path, *a: object, **k: object) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied")
        return real_read(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", deny)
    with pytest.raises(MeterUnavailable) as e:
        RaplMeter.open(root, sleep=lambda s: None)
    assert str(e.value) == (
        f"cannot read {zone / 'energy_uj'} (permission denied); run as root or "
        f"`sudo chmod o+r {root}/intel-rapl:*/energy_uj`"
    )


def test_a_long_window_counts_every_wrap(rapl_root: Path) -> None:
    # a small 10 J range wrapped three times in one window: two readings alone would see 4 J
    for folder in ("intel-rapl:0", "intel-rapl:0:2", "intel-rapl:1", "intel-rapl:1:0"):
        write_rapl_zone(
            rapl_root, folder, (rapl_root / folder / "name").read_text().strip(), 0, max_uj=9_999_999
        )
    meter = RaplMeter(find_zones(rapl_root), poll_s=None)
    meter.start()
    for value in (6_000_000, 1_000_000, 7_000_000, 2_000_000, 4_000_000):  # +6, +5, +6, +5, +2 J
        bump(rapl_root, "intel-rapl:0", value)
        meter.poll()
    reading = meter.stop()
    assert reading.energy_mj["cpu0-package"] == pytest.approx(24_000.0)
    assert reading.energy_mj["cpu1-package"] == 0.0


def test_background_poller_reads_while_the_window_is_open(rapl_root: Path) -> None:
    meter = RaplMeter(find_zones(rapl_root), poll_s=0.01)
    meter.start()
    assert meter._thread is not None and meter._thread.is_alive()
    bump(rapl_root, "intel-rapl:0", 11_000_000)
    reading = meter.stop()
    assert meter._thread is None
    assert reading.energy_mj["cpu0-package"] == pytest.approx(1_000.0)
    meter.close()
