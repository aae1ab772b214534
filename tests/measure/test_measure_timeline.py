from __future__ import annotations

import pytest

from measure.timeline import Sample, Timeline, timeline_csv


def timeline() -> Timeline:
    # 10 W for 1 s, then 30 W for 1 s, on one scope (cumulative mJ)
    return Timeline("batch 8", 1, [Sample(0.0, {"gpu0": 0.0}), Sample(1.0, {"gpu0": 10_000.0}),
                                   Sample(2.0, {"gpu0": 40_000.0})])  # fmt: skip


def test_energy_between_interpolates_the_cumulative_energy() -> None:
    tl = timeline()
    assert tl.energy_between_mj(0.5, 1.5) == pytest.approx(5_000.0 + 15_000.0)
    assert tl.energy_between_mj(0.0, 2.0) == pytest.approx(40_000.0)
    assert tl.energy_between_mj(-1.0, 9.0) == pytest.approx(40_000.0)  # clamped at the ends
    with pytest.raises(ValueError, match=r"window ends \(1 s\) before it starts \(2 s\)"):
        tl.energy_between_mj(2.0, 1.0)


def test_csv_rows_carry_power_since_the_previous_sample() -> None:
    assert timeline_csv([timeline()]).splitlines() == [
        "phase,window,t_s,scope,energy_mj,power_w",
        "batch 8,1,0.0000,gpu0,0,",
        "batch 8,1,1.0000,gpu0,10000,10",
        "batch 8,1,2.0000,gpu0,40000,30",
    ]
