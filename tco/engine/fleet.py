"""Fleet policies: how a hosted option's fleet follows the hour-by-hour load of its representative day.

One class per policy, each registered once in `POLICIES`. From the registry derive: the `scaling` values
the scenario format accepts per deployment and their help text (tco.scenario.schema), the default a
resolved option gets and the reason recorded in its assumptions (tco.scenario.resolve.hosted), and the
fleet the engine runs hour by hour (tco.engine.operations). Pure numpy, no I/O.

A policy sees, per hour, the load in replica-capacities (the hour's arrivals / the capacity point's
throughput) and the fleet sized for the busiest hour (or a fixed fleet), and says how many replicas serve
that hour, how many stand by powered but idle, and what fleet is paid for. The load of the serving
replicas is spread evenly over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np


@dataclass(frozen=True)
class Serving:
    """A day of a fleet: per hour (samples, months, 24) the replicas serving and the replicas on standby
    (powered, idle); and the fleet paid for (samples, months)."""

    serving: np.ndarray
    standby: np.ndarray
    fleet: np.ndarray


def replicas_for(load: np.ndarray, utilisation: np.ndarray, min_replicas: int) -> np.ndarray:
    """Replicas an hour needs at the target utilisation: max(`min_replicas`, ceil(load / utilisation)),
    `load` in replica-capacities (a 1e-9 tolerance keeps an exact multiple from rounding up)."""
    return np.maximum(np.ceil(load / utilisation - 1e-9), float(min_replicas))


class FleetPolicy(Protocol):
    """How a fleet follows the hourly load (README, "How the numbers are computed", Capacity and fleets)."""

    name: ClassVar[str]  # the `scaling` value in a scenario
    deployment: ClassVar[str]  # "on-prem" or "cloud"
    help: ClassVar[str]  # what it does, in one line (schema help, README)
    why_default: ClassVar[str]  # why it is its deployment's default ("" when it is not)
    # True when every replica of the fleet serves every hour with the load shared evenly: the engine may
    # then sum the day exactly without an hour axis
    even: ClassVar[bool]

    def serve(
        self, load: np.ndarray, fleet: np.ndarray, utilisation: np.ndarray, min_replicas: int
    ) -> Serving:
        """The day of a fleet: `load` per hour (samples, months, 24) in replica-capacities, `fleet` the
        replicas sized for the busiest hour or fixed (samples, months), `utilisation` (samples or 1, 1, 1)."""
        ...

    def for_fixed_fleet(self) -> FleetPolicy:
        """The policy a fixed fleet runs under (itself unless the policy sizes the fleet itself)."""
        ...


class Spread:
    """Every replica of the peak-sized fleet stays on and the hour's load is shared evenly."""

    name: ClassVar[str] = "spread"
    deployment: ClassVar[str] = "on-prem"
    help: ClassVar[str] = "every replica of the peak-sized fleet on, the load shared evenly"
    why_default: ClassVar[str] = (
        "all replicas of the peak-sized fleet stay on and share the load evenly (a load balancer's default)"
    )
    even: ClassVar[bool] = True

    def serve(
        self, load: np.ndarray, fleet: np.ndarray, utilisation: np.ndarray, min_replicas: int
    ) -> Serving:
        n = np.broadcast_to(fleet[..., None], load.shape).astype(float)
        return Serving(n, np.zeros_like(n), fleet)

    def for_fixed_fleet(self) -> FleetPolicy:
        return self


class Reserved(Spread):
    """The cloud's spread: the peak-sized fleet is rented 24/7 and shares each hour's load evenly."""

    name: ClassVar[str] = "reserved"
    deployment: ClassVar[str] = "cloud"
    help: ClassVar[str] = "the peak-sized fleet rented 24/7, the load shared evenly"
    why_default: ClassVar[str] = (
        "the peak-sized fleet is rented 24/7 (GPU capacity on demand is not guaranteed hour by hour)"
    )


class Packed:
    """As few replicas as the hour needs serve (at least `min_replicas`, at most the fleet); the rest of
    the fleet stands by, powered and idle."""

    name: ClassVar[str] = "packed"
    deployment: ClassVar[str] = "on-prem"
    help: ClassVar[str] = "as few replicas as the hour needs at the target utilisation serve, the rest idle"
    why_default: ClassVar[str] = ""
    even: ClassVar[bool] = False

    def serve(
        self, load: np.ndarray, fleet: np.ndarray, utilisation: np.ndarray, min_replicas: int
    ) -> Serving:
        n = np.minimum(replicas_for(load, utilisation, min_replicas), fleet[..., None])
        return Serving(n, self._standby(n, fleet), fleet)

    def _standby(self, n: np.ndarray, fleet: np.ndarray) -> np.ndarray:
        return fleet[..., None] - n

    def for_fixed_fleet(self) -> FleetPolicy:
        return self


class PackedOff(Packed):
    """As `packed`, with the replicas that do not serve powered off."""

    name: ClassVar[str] = "packed-off"
    help: ClassVar[str] = "as few replicas as the hour needs serve, the rest powered off"

    def _standby(self, n: np.ndarray, fleet: np.ndarray) -> np.ndarray:
        return np.zeros_like(n)


class Hourly:
    """Rented per hour: as many replicas as the hour needs (at least `min_replicas`), rent per
    replica-hour; the fleet is the busiest hour's. A fixed fleet is rented whole, 24/7 (`reserved`)."""

    name: ClassVar[str] = "hourly"
    deployment: ClassVar[str] = "cloud"
    help: ClassVar[str] = "rented per hour, as many replicas as the hour needs, rent per replica-hour"
    why_default: ClassVar[str] = ""
    even: ClassVar[bool] = False

    def serve(
        self, load: np.ndarray, fleet: np.ndarray, utilisation: np.ndarray, min_replicas: int
    ) -> Serving:
        n = replicas_for(load, utilisation, min_replicas)
        return Serving(n, np.zeros_like(n), n.max(axis=-1))

    def for_fixed_fleet(self) -> FleetPolicy:
        return Reserved()


# Every policy, each deployment's default first.
POLICIES: tuple[FleetPolicy, ...] = (Spread(), Packed(), PackedOff(), Reserved(), Hourly())
# An API has no fleet: it is priced per query.
API_SCALING = "per-query"


def scalings() -> dict[str, tuple[str, ...]]:
    """The `scaling` values per deployment, the default first (an API's only one: per query)."""
    out: dict[str, tuple[str, ...]] = {}
    for p in POLICIES:
        out[p.deployment] = (*out.get(p.deployment, ()), p.name)
    out["api"] = (API_SCALING,)
    return out


def policy(name: str) -> FleetPolicy:
    """The registered policy called `name`; ValueError naming the ones there are."""
    found = next((p for p in POLICIES if p.name == name), None)
    if found is None:
        known = ", ".join(p.name for p in POLICIES)
        raise ValueError(f"fleet policy {name!r}: expected one of {known}")
    return found


def default_policy(deployment: str) -> FleetPolicy:
    """The policy a hosted option gets when it sets no `scaling`: its deployment's first."""
    found = next((p for p in POLICIES if p.deployment == deployment), None)
    if found is None:
        raise ValueError(f"deployment {deployment!r} has no fleet policy (an API is priced per query)")
    return found


def help_text() -> str:
    """One line per deployment: `on-prem: spread (default: every replica ...) | packed (...)`."""
    parts = []
    for dep, names in scalings().items():
        if dep == "api":
            continue
        items = [f"{n} ({'default: ' if i == 0 else ''}{policy(n).help})" for i, n in enumerate(names)]
        parts.append(f"{dep}: " + " | ".join(items))
    return "; ".join(parts)
