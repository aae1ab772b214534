"""Pydantic models of every file slm-tco reads: hardware, regions, API offerings, model profiles, scenarios.

Quantities are written with units in YAML ("700 W") and parsed here, once, into plain floats in the unit
named by the field's annotation (`Q("kW")`). Money keeps its currency until a scenario says how to convert
it (`M("USD/kWh")`, see tco.scenario.units.Money). Every model forbids unknown keys, so a typo is an error, not a
silently ignored field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from tco.engine.fleet import help_text, scalings
from tco.engine.inputs import DEFAULT_PEAK_TO_AVERAGE
from tco.scenario.analysis_specs import SensitivitySpec, UncertaintySpec
from tco.scenario.portfolio import (
    PlanSpec,
    PortfolioTask,
    check_interactivity,
    check_plan,
    check_plan_size,
    check_tasks,
    check_ttft,
    fill_task,
)
from tco.scenario.units import CURRENCIES, Money, Unit, parse

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]


# Unit fields are written `Annotated[float, Unit("W")]` (money: `Annotated[Money, Unit("USD/h")]`), parsed
# with pint once at load (tco.scenario.units.Unit), so mypy sees a float (a Money). `Q` and `M` build the same
# types for lines written the older way (mypy cannot see through a call in an annotation, so such a line
# needs an ignore comment: write it with Annotated instead).


def Q(unit: str, *, minimum: float | None = 0.0, maximum: float | None = None, why: str = "") -> Any:
    """`Annotated[float, Unit(unit, ...)]`, the older spelling."""
    return Annotated[float, Unit(unit, minimum=minimum, maximum=maximum, why=why)]


def M(unit: str, *, minimum: float | None = 0.0, maximum: float | None = None) -> Any:
    """`Annotated[Money, Unit(unit, ...)]`, the older spelling."""
    return Annotated[Money, Unit(unit, minimum=minimum, maximum=maximum)]


Count = Annotated[float, Unit("", minimum=0.0)]
MAX_HOURLY_WEIGHT = 1e12  # daily_profile weights are relative; larger is a typo
Fraction = Annotated[float, Unit("", minimum=0.0, maximum=1.0)]
Year = Annotated[int, Field(ge=1950, le=2100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Sourced(Strict):
    """Where a reference number comes from."""

    source: str = Field(min_length=3)
    year: Year
    licence: str | None = None
    url: str | None = None
    notes: str | None = None


# --------------------------------------------------------------------------- hardware


class EmbodiedRange(Sourced):
    """Manufacturing emissions of one unit, in kgCO2e."""

    low: Annotated[float, Unit("kgCO2e")]
    central: Annotated[float, Unit("kgCO2e")]
    high: Annotated[float, Unit("kgCO2e")]

    @model_validator(mode="after")
    def _ordered(self) -> EmbodiedRange:
        if not (self.low <= self.central <= self.high):
            raise ValueError(
                f"expected low <= central <= high, got {self.low:g}, {self.central:g}, {self.high:g} kgCO2e"
            )
        return self

    def pick(self, which: str) -> float:
        return float(getattr(self, which))


class PowerSpec(Sourced):
    max: Annotated[float, Unit("W")]  # TDP / board power limit
    idle: Annotated[float, Unit("W")]

    @model_validator(mode="after")
    def _idle_below_max(self) -> PowerSpec:
        if self.idle > self.max:
            raise ValueError(f"idle power {self.idle:g} W is above max power {self.max:g} W")
        return self


class PurchasePrice(Sourced):
    """The old `price:` block (before price tiers): read into `prices.purchase`."""

    purchase: Annotated[Money, Unit("USD")]  # one accelerator (or one CPU server)


class CloudPrice(Sourced):
    """The old `cloud:` block (before price tiers): read into `prices.hyperscaler` (and a committed tier)."""

    on_demand: Annotated[Money, Unit("USD/h")]  # per accelerator-hour
    committed: Annotated[Money, Unit("USD/h")] | None = None
    committed_term: Annotated[float, Unit("month")] | None = None


# --------------------------------------------------------------------------- price tiers

# Every market an accelerator's price can come from, in the order reports list them. `purchase` is per
# accelerator; the others per accelerator-hour. README "Price tiers" says what each means.
TIERS: tuple[str, ...] = (
    "purchase",  # buying one accelerator (its share of the board where sold as a board)
    "owner",  # an owner's all-in cost per hour (capex over its life, host, network, power, site)
    "hyperscaler",  # a hyperscale cloud's on-demand list price (AWS, GCP, Azure, OCI)
    "hyperscaler-1y",  # ... committed for 1 year
    "hyperscaler-3y",  # ... committed for 3 years
    "gpu-cloud",  # a specialised GPU cloud's on-demand price (Lambda, RunPod, CoreWeave, Nebius, ...)
    "gpu-cloud-1y",  # ... contracted for 1 year
    "gpu-cloud-3y",  # ... contracted for 3 years
    "spot",  # interruptible capacity
)
HOURLY_TIERS: tuple[str, ...] = TIERS[1:]
TIER_TERM_MONTHS = {
    "hyperscaler-1y": 12.0,
    "hyperscaler-3y": 36.0,
    "gpu-cloud-1y": 12.0,
    "gpu-cloud-3y": 36.0,
}
# the on-demand tier of the same market: what accelerators above a commitment pay
TIER_ON_DEMAND = {
    "hyperscaler-1y": "hyperscaler",
    "hyperscaler-3y": "hyperscaler",
    "gpu-cloud-1y": "gpu-cloud",
    "gpu-cloud-3y": "gpu-cloud",
}
TIER_LABELS = {
    "purchase": "purchase",
    "owner": "owner all-in",
    "hyperscaler": "hyperscaler on-demand",
    "hyperscaler-1y": "hyperscaler 1-year committed",
    "hyperscaler-3y": "hyperscaler 3-year committed",
    "gpu-cloud": "GPU cloud on-demand",
    "gpu-cloud-1y": "GPU cloud 1-year contract",
    "gpu-cloud-3y": "GPU cloud 3-year contract",
    "spot": "spot",
}
CloudTier = Literal[
    "owner",
    "hyperscaler",
    "hyperscaler-1y",
    "hyperscaler-3y",
    "gpu-cloud",
    "gpu-cloud-1y",
    "gpu-cloud-3y",
    "spot",
]


def year_month(v: Any) -> str:
    """A month as YYYY-MM (the date a price was observed or published)."""
    if not _YM.match(str(v)):
        raise ValueError(f"expected a month as YYYY-MM, got {v!r}")
    return str(v)


YearMonth = Annotated[str, BeforeValidator(year_month)]


class _Tier(Strict):
    """One price of an accelerator in one market: where it applies, what it includes, when and who said so.

    `low`/`high` give the spread where sources disagree (or a tracker's min and max); the engine uses
    `price`, the central value.
    """

    date: YearMonth  # when the price was observed or published
    source: str = Field(min_length=3)
    region: str | None = None  # where it applies ("us-east-1", "US", "global")
    includes: str = Field(min_length=3)  # what the price covers: GPU only, host, network, storage, power
    licence: str | None = None
    url: str | None = None
    notes: str | None = None

    @property
    def year(self) -> int:
        return int(self.date[:4])

    def _check_range(self, price: Money, low: Money | None, high: Money | None) -> None:
        for name, m in (("low", low), ("high", high)):
            if m is not None and m.currency != price.currency:
                raise ValueError(
                    f"{name} is in {m.currency} but price is in {price.currency}: use one currency"
                )
        lo = low.value if low is not None else price.value
        hi = high.value if high is not None else price.value
        if not lo <= price.value <= hi:
            raise ValueError(
                f"expected low <= price <= high, got {lo:g}, {price.value:g}, {hi:g} {price.currency}"
            )


class PurchaseTier(_Tier):
    price: Annotated[Money, Unit("USD")]  # one accelerator
    low: Annotated[Money, Unit("USD")] | None = None
    high: Annotated[Money, Unit("USD")] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PurchaseTier:
        self._check_range(self.price, self.low, self.high)
        return self


class HourlyTier(_Tier):
    price: Annotated[Money, Unit("USD/h")]  # per accelerator-hour
    low: Annotated[Money, Unit("USD/h")] | None = None
    high: Annotated[Money, Unit("USD/h")] | None = None
    term: Annotated[float, Unit("month", minimum=1, maximum=120)] | None = None  # default: the tier's
    upfront: Fraction | None = None  # share of a contract paid at its start

    @model_validator(mode="after")
    def _ordered(self) -> HourlyTier:
        self._check_range(self.price, self.low, self.high)
        return self


AnyTier = PurchaseTier | HourlyTier


class Prices(Strict):
    """An accelerator's prices by market (`prices:` in hardware.yaml), each tier optional."""

    purchase: PurchaseTier | None = None
    owner: HourlyTier | None = None
    hyperscaler: HourlyTier | None = None
    hyperscaler_1y: HourlyTier | None = Field(default=None, alias="hyperscaler-1y")
    hyperscaler_3y: HourlyTier | None = Field(default=None, alias="hyperscaler-3y")
    gpu_cloud: HourlyTier | None = Field(default=None, alias="gpu-cloud")
    gpu_cloud_1y: HourlyTier | None = Field(default=None, alias="gpu-cloud-1y")
    gpu_cloud_3y: HourlyTier | None = Field(default=None, alias="gpu-cloud-3y")
    spot: HourlyTier | None = None

    def get(self, tier: str) -> AnyTier | None:
        """The tier named as in files ("gpu-cloud"), None where the data has no price in it."""
        if tier not in TIERS:
            raise ValueError(f"unknown price tier {tier!r}, expected one of {', '.join(TIERS)}")
        return getattr(self, tier.replace("-", "_"))  # type: ignore[no-any-return]

    def items(self) -> list[tuple[str, AnyTier]]:
        """(tier, price) for every tier with a price, in TIERS order."""
        return [(t, p) for t in TIERS if (p := self.get(t)) is not None]


def _legacy_prices(data: dict[str, Any]) -> dict[str, Any]:
    """Read the old `price:` and `cloud:` blocks into `prices:` tiers (their year becomes January of it)."""
    price, cloud = data.pop("price", None), data.pop("cloud", None)
    if price is None and cloud is None:
        return data
    if data.get("prices"):
        raise ValueError("give prices (tiers) or the old price/cloud blocks, not both")
    if not all(isinstance(b, dict) for b in (price or {}, cloud or {})):
        raise ValueError("expected price and cloud to be mappings of fields")
    tiers: dict[str, Any] = {}

    def common(block: dict[str, Any], includes: str) -> dict[str, Any]:
        out: dict[str, Any] = {k: block[k] for k in ("source", "licence", "url", "notes") if k in block}
        out["date"] = f"{block.get('year', '')}-01"
        out["includes"] = includes
        return out

    if price is not None:
        tiers["purchase"] = {
            "price": price.get("purchase"),
            **common(price, "as given in the old price block"),
        }
    if cloud is not None:
        base = common(cloud, "as given in the old cloud block")
        tiers["hyperscaler"] = {"price": cloud.get("on_demand"), **base}
        if cloud.get("committed") is not None:
            term_text = cloud.get("committed_term")
            term = parse(term_text, "month") if term_text is not None else None
            name = "hyperscaler-3y" if term is not None and term >= 36 else "hyperscaler-1y"
            tiers[name] = {"price": cloud["committed"], **base}
            if term_text is not None:
                tiers[name]["term"] = term_text
    return {**data, "prices": tiers}


MAX_TFLOPS = 1e5  # TFLOP/s per accelerator: 100 PFLOP/s, ten times any part sold in 2026; more is a typo
MAX_TBPS = 1e3  # TB/s per accelerator, for the same reason
PEAK_WHY = (
    "a dense peak per accelerator; 0 would mean the part cannot compute in that precision (leave it out)"
)


class Compute(Sourced):
    """Peak DENSE tensor throughput per precision (no 2:4 sparsity) and memory bandwidth, per accelerator.

    Read from vendor datasheets; a precision the part lacks is left out (T4 has no bf16, A100 no fp8).
    Stored in TFLOP/s and TB/s (whatever unit the file used): the prefill model divides FLOPs by these.
    """

    fp16: Annotated[float, Unit("TFLOP/s", maximum=MAX_TFLOPS, why=PEAK_WHY)] | None = None
    bf16: Annotated[float, Unit("TFLOP/s", maximum=MAX_TFLOPS, why=PEAK_WHY)] | None = None
    fp8: Annotated[float, Unit("TFLOP/s", maximum=MAX_TFLOPS, why=PEAK_WHY)] | None = None
    fp4: Annotated[float, Unit("TFLOP/s", maximum=MAX_TFLOPS, why=PEAK_WHY)] | None = None
    memory_bandwidth: Annotated[float, Unit("TB/s", maximum=MAX_TBPS, why=PEAK_WHY)]

    PRECISIONS: ClassVar[tuple[str, ...]] = ("fp16", "bf16", "fp8", "fp4")

    @model_validator(mode="after")
    def _positive(self) -> Compute:
        for name in (*self.PRECISIONS, "memory_bandwidth"):
            v = getattr(self, name)
            if v is not None and v <= 0:
                unit = "TB/s" if name == "memory_bandwidth" else "TFLOP/s"
                raise ValueError(f"{name} is {v:g} {unit}, expected more than 0: {PEAK_WHY}")
        return self

    def peak(self, precision: str) -> float | None:
        """Dense peak in TFLOP/s for `precision` (fp16, bf16, fp8, fp4), None where the part lacks it."""
        if precision not in self.PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}, expected one of {', '.join(self.PRECISIONS)}")
        peak: float | None = getattr(self, precision)
        return peak


class ServerSpec(Sourced):
    """The host around the accelerators: its non-accelerator power and price, shared per accelerator."""

    accelerators: int = Field(ge=1, le=64)
    power: Annotated[float, Unit("W")]  # host power without accelerators, whole server
    price: Annotated[Money, Unit("USD")] | None = None  # host without accelerators
    embodied: EmbodiedRange


class Hardware(Strict):
    id: Id
    name: str
    # the name in an option's name (`4x H100 on-prem`); default: `name` without the vendor, first word
    short_name: str | None = Field(default=None, min_length=1, max_length=40)
    type: Literal["gpu", "cpu"]
    memory: Annotated[float, Unit("GB")]
    power: PowerSpec
    # prices by market (tier); the old price/cloud blocks are read into it (`_old_price_blocks`)
    prices: Prices = Field(default_factory=Prices)
    embodied: EmbodiedRange
    server: ServerSpec
    compute: Compute | None = None  # CPU entries and parts without a datasheet leave it out

    @model_validator(mode="before")
    @classmethod
    def _old_price_blocks(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("price" in data or "cloud" in data):
            return _legacy_prices(dict(data))
        return data


# --------------------------------------------------------------------------- regions


class GridSpec(Sourced):
    intensity: Annotated[float, Unit("gCO2e/kWh", maximum=2000)]


class ElectricitySpec(Sourced):
    price: Annotated[Money, Unit("USD/kWh", maximum=10)]
    sector: Literal["industrial", "commercial", "data-centre"] = "industrial"


class Region(Strict):
    id: Id
    name: str
    country: str = Field(min_length=2, max_length=2)  # ISO 3166-1 alpha-2
    grid: GridSpec
    electricity: ElectricitySpec


# --------------------------------------------------------------------------- quality, models, APIs


class Quality(Strict):
    """Task quality of a model: a score in [0, 1] where higher is better (accuracy, exact match, pass@1...)."""

    task: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    value: Fraction
    n: int | None = Field(default=None, ge=1)
    source: str = Field(min_length=3)
    year: Year | None = None
    notes: str | None = None
    # published: the model's own score as its source reports it; proxy: another model's score standing in for
    # it (notes say which and why); measured: scored by `tco measure` on the shipped task sets
    basis: Literal["published", "proxy", "measured"] | None = None

    @model_validator(mode="after")
    def _proxy_explained(self) -> Quality:
        if self.basis == "proxy" and not self.notes:
            raise ValueError("a proxy quality needs notes saying whose score stands in and why")
        return self


def unique_quality_tasks(v: list[Quality]) -> list[Quality]:
    """One quality entry per task (a second one would be silently ignored by `quality_for`)."""
    tasks = [q.task for q in v]
    dup = sorted({t for t in tasks if tasks.count(t) > 1})
    if dup:
        raise ValueError(f"one quality entry per task expected, {dup} repeat")
    return v


class ModelInfo(Strict):
    name: str
    kind: Literal["causal-lm", "seq2seq", "classifier"]
    parameters: Count
    active_parameters: Count | None = None  # MoE models; defaults to parameters
    fine_tuned: bool = False
    base_model: str | None = None


class OperatingPoint(Strict):
    """What one replica does at one batch size. Energy is gross GPU (or CPU) energy of the whole replica."""

    batch_size: int = Field(ge=1, le=65536)
    status: Literal["ok", "oom", "error"] = "ok"
    energy_per_query: Annotated[float, Unit("J")] | None = None
    energy_per_query_net: Annotated[float, Unit("J")] | None = None  # minus idle power over the window
    energy_per_query_ci95: tuple[Annotated[float, Unit("J")], Annotated[float, Unit("J")]] | None = None
    latency_mean: Annotated[float, Unit("s")] | None = None
    latency_p50: Annotated[float, Unit("s")] | None = None
    latency_p95: Annotated[float, Unit("s")] | None = None
    # "requests": latency_p50/p95 are percentiles of the requests' own end-to-end latencies (`tco measure
    # --endpoint` writes it) and the engine keeps the p95 at the measured length; "derived" or absent: they
    # were computed from other figures, and the engine rebuilds the request p95 from the output-length
    # distribution and token latencies where the point has them
    latency_basis: Literal["requests", "derived"] | None = None
    ttft_p50: Annotated[float, Unit("s")] | None = None
    ttft_p95: Annotated[float, Unit("s")] | None = None  # time to first token
    tpot_p50: Annotated[float, Unit("s")] | None = None  # time per output token
    tpot_p95: Annotated[float, Unit("s")] | None = None  # (inter-token latency)
    # the inter-token latency's tail as serving benchmarks quote it (tco measure --endpoint); recorded, not
    # read by the engine
    tpot_p90: Annotated[float, Unit("s")] | None = None
    tpot_p99: Annotated[float, Unit("s")] | None = None
    throughput: Annotated[float, Unit("1/s")] | None = None  # queries per second per replica
    # an open-loop level (tco measure --endpoint --request-rate): the Poisson arrival rate it was driven at;
    # batch_size is then the mean number of requests in flight, rounded (descriptive)
    request_rate: Annotated[float, Unit("1/s")] | None = None
    tokens_per_second: Annotated[float, Unit("1/s")] | None = None
    input_tokens: Count | None = None  # mean per query
    output_tokens: Count | None = None  # mean per query
    # the lengths the requests were drawn for (InferenceX ISL/OSL, `tco measure --input-tokens`): points with
    # the same nominal lengths form one sweep over concurrency (default: the same input_tokens)
    input_tokens_nominal: Count | None = None
    output_tokens_nominal: Count | None = None
    # output-length distribution of the requests (request-level latency: p95 length x p95 ITL + TTFT)
    output_tokens_p50: Count | None = None
    output_tokens_p95: Count | None = None
    peak_memory: Annotated[float, Unit("GB")] | None = None
    # the server's own gauges over the steady window, from its Prometheus /metrics (tco measure --endpoint,
    # vLLM's names): requests running and waiting (summed over engines), KV-cache use (a fraction);
    # queue_bound: requests were seen waiting. Recorded, not read by the engine
    server_running_mean: Count | None = None
    server_running_max: Count | None = None
    server_waiting_mean: Count | None = None
    server_waiting_max: Count | None = None
    kv_cache_usage_mean: Fraction | None = None
    kv_cache_usage_max: Fraction | None = None
    queue_bound: bool | None = None
    server_metrics_samples: int | None = Field(default=None, ge=1)
    notes: str | None = None

    @model_validator(mode="after")
    def _ok_points_complete(self) -> OperatingPoint:
        if self.status == "ok":
            missing = [f for f in ("energy_per_query", "throughput") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"an 'ok' operating point needs {' and '.join(missing)}")
            if self.energy_per_query == 0:
                raise ValueError("energy_per_query is 0 J: a meter that reads 0 is broken, not efficient")
            if self.throughput == 0:
                raise ValueError("throughput is 0/s: expected a positive number of queries per second")
        return self


class Provenance(Strict):
    """How a profile's numbers were obtained. `published`: copied from `source`; `measured`: by `tco measure`;
    `estimated`: derived by a stated method (never a measurement)."""

    method: Literal["published", "measured", "estimated"]
    source: str | None = None
    year: Year | None = None
    licence: str | None = None
    url: str | None = None
    notes: str | None = None
    # measured profiles
    date: str | None = None
    tool_version: str | None = None
    meter: str | None = None  # e.g. nvml-energy-counter, nvml-sampled-power, rapl, estimate
    meters: dict[str, str] | None = None  # meter per device scope, with its method
    devices: list[str] | None = None
    driver: str | None = None
    cuda: str | None = None
    torch: str | None = None
    transformers: str | None = None
    python: str | None = None
    host: str | None = None
    dtype: str | None = None
    weights: Literal["pretrained", "fine-tuned", "random-init"] | None = None
    window: Annotated[float, Unit("s")] | None = None  # length of one measurement window
    windows: int | None = Field(default=None, ge=1)
    min_queries_per_window: int | None = Field(default=None, ge=1)
    warmup_queries: int | None = Field(default=None, ge=0)
    cooldown: Annotated[float, Unit("s")] | None = None
    idle_power: Annotated[float, Unit("W")] | None = None
    max_new_tokens: int | None = Field(default=None, ge=1)
    prompts: str | None = None
    mig: bool | None = None
    idle_power_drift: Annotated[float, Unit("W")] | None = None  # max - min of the idle re-checks
    timeline: str | None = None  # power-timeline CSV written next to the profile (file name)
    # imported profiles
    imported_from: list[str] | None = None  # source files, as named in the source repository
    source_commit: str | None = None  # commit of the source repository the files were taken from

    @model_validator(mode="after")
    def _enough_provenance(self) -> Provenance:
        if self.method == "published" and not (self.source and self.year):
            raise ValueError("a published profile needs source and year")
        if self.method == "estimated" and not (self.source or self.notes):
            raise ValueError("an estimated profile needs source or notes saying how it was estimated")
        if self.method == "measured":
            missing = [f for f in ("date", "tool_version", "meter", "devices") if not getattr(self, f)]
            if missing:
                raise ValueError(f"a measured profile needs {', '.join(missing)}")
        return self


ComputePrecision = Literal["fp16", "bf16", "fp8", "fp4"]


class Parallelism(Strict):
    """How one replica's model is split over its accelerators (descriptive; `accelerators` counts them)."""

    tensor: int = Field(default=1, ge=1, le=1024)
    pipeline: int = Field(default=1, ge=1, le=1024)
    expert: int = Field(default=1, ge=1, le=1024)
    data: int = Field(default=1, ge=1, le=1024)  # data-parallel ranks inside the replica (attention DP)

    def label(self) -> str:
        """tp2, tp8-ep8, tp4-pp2, dp8-ep8: the non-trivial degrees, tensor first."""
        parts = [f"tp{self.tensor}"] if self.tensor > 1 or self.data == 1 else []
        for name, v in (("pp", self.pipeline), ("ep", self.expert), ("dp", self.data)):
            if v > 1:
                parts.append(f"{name}{v}")
        return "-".join(parts)


class Prefill(Strict):
    """A measured prefill-only pass (`tco measure`): replica time and energy per input token."""

    seconds_per_token: Annotated[float, Unit("s")]  # replica-seconds per input token
    energy_per_token: Annotated[float, Unit("J")] | None = None  # gross, all the replica's accelerators
    input_tokens: Count | None = None  # prompt length of the pass
    batch_size: int | None = Field(default=None, ge=1, le=65536)
    notes: str | None = None

    @field_validator("seconds_per_token")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("expected more than 0 s per input token")
        return v


def _one_sweep_per_length(v: list[OperatingPoint]) -> list[OperatingPoint]:
    """Batch sizes unique within each sweep (points of the same nominal lengths); some point 'ok'."""
    seen: dict[tuple[float | None, float | None], list[int]] = {}
    for p in v:
        seen.setdefault(sweep_key(p), []).append(p.batch_size)
    for key, batches in seen.items():
        dup = sorted({b for b in batches if batches.count(b) > 1})
        if dup:
            where = "" if key == (None, None) else f" at {key[0]:g} input / {key[1] or 0:g} output tokens"
            raise ValueError(f"batch sizes must be unique{where}, {dup} repeat")
    if not any(p.status == "ok" for p in v):
        raise ValueError("no operating point has status 'ok'")
    return v


def sweep_key(p: OperatingPoint) -> tuple[float | None, float | None]:
    """The sweep a point belongs to: its nominal input length (else its mean input tokens) and nominal
    output length (None where not given)."""
    i = p.input_tokens_nominal if p.input_tokens_nominal is not None else p.input_tokens
    return (i, p.output_tokens_nominal)


Points = Annotated[list[OperatingPoint], AfterValidator(_one_sweep_per_length)]


class Configuration(Strict):
    """One parallel configuration of a model on the profile's hardware: its own sweep(s)."""

    id: Id | None = None  # default: the parallelism's label (tp2, tp8-ep8), else "Nx" (accelerators)
    accelerators: int = Field(ge=1, le=1024)  # per replica
    parallelism: Parallelism | None = None
    framework: str | None = None
    dtype: str | None = None  # default: the profile's
    compute_precision: ComputePrecision | None = None  # default: the profile's
    prefill: Prefill | None = None
    points: Points = Field(min_length=1)

    def key(self) -> str:
        if self.id:
            return self.id
        return self.parallelism.label() if self.parallelism is not None else f"{self.accelerators}x"


class ModelProfile(Strict):
    """A model on a hardware: energy, latency and throughput per query at one or more batch sizes.

    One parallel configuration (`accelerators`, `points`) or several (`configurations`, each with its own
    accelerators and points; the first is the profile's default and fills `accelerators` and `points`)."""

    id: Id
    model: ModelInfo
    hardware: Id
    accelerators: int = Field(default=1, ge=1, le=1024)  # per replica
    dtype: str | None = None
    # the precision prefill computes in (README, the prefill model); default from dtype
    compute_precision: ComputePrecision | None = None
    parallelism: Parallelism | None = None
    framework: str | None = None  # serving engine (vllm, sglang, trt)
    prefill: Prefill | None = None
    points: Points = Field(min_length=1)
    configurations: list[Configuration] | None = Field(default=None, min_length=1, max_length=64)
    quality: Annotated[list[Quality], AfterValidator(unique_quality_tasks)] = Field(default_factory=list)
    provenance: Provenance

    @model_validator(mode="before")
    @classmethod
    def _default_configuration(cls, data: Any) -> Any:
        """A profile with `configurations` takes the first one's accelerators and points as its own."""
        if not isinstance(data, dict) or data.get("configurations") is None:
            return data
        given = sorted(k for k in ("points", "accelerators", "parallelism", "prefill") if k in data)
        if given:
            raise ValueError(f"give {', '.join(given)} inside each of `configurations`, not beside them")
        first = data["configurations"][0] if isinstance(data["configurations"], list) else None
        if not isinstance(first, dict):
            return data  # reported by the field's own validation
        return {**data, "points": first.get("points"), "accelerators": first.get("accelerators", 1)}

    @field_validator("configurations")
    @classmethod
    def _unique_configurations(cls, v: list[Configuration] | None) -> list[Configuration] | None:
        if v is None:
            return v
        keys = [c.key() for c in v]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"configuration ids must be unique (give `id`), {dup} repeat")
        if "best" in keys:
            raise ValueError("'best' is not a configuration id: options say `parallelism: best`")
        return v

    def ok_points(self) -> list[OperatingPoint]:
        return [p for p in self.points if p.status == "ok"]

    def quality_for(self, task: str) -> Quality | None:
        return next((q for q in self.quality if q.task == task), None)

    def configuration_keys(self) -> list[str]:
        """Ids of the parallel configurations, the default first."""
        if self.configurations is None:
            return [self.parallelism.label() if self.parallelism is not None else f"{self.accelerators}x"]
        return [c.key() for c in self.configurations]

    def configuration(self, key: str) -> ModelProfile:
        """This profile reduced to one configuration (its accelerators, points, precision and prefill)."""
        if self.configurations is None:
            return self
        c = next(c for c in self.configurations if c.key() == key)
        return self.model_copy(
            update={
                "accelerators": c.accelerators,
                "points": c.points,
                "parallelism": c.parallelism,
                "framework": c.framework or self.framework,
                "dtype": c.dtype or self.dtype,
                "compute_precision": c.compute_precision or self.compute_precision,
                "prefill": c.prefill,
                "configurations": None,
            }
        )


class ApiPrice(Sourced):
    input: Annotated[Money, Unit("USD/token")]  # written per Mtoken in files, kept per token
    output: Annotated[Money, Unit("USD/token")]


def _check_range(name: str, low: float | None, high: float | None) -> None:
    """A range's upper end (`{name}_max`) is at least its lower end (`name`)."""
    if low is not None and high is not None and high < low:
        raise ValueError(f"{name}_max ({high:g}) is below {name} ({low:g}), expected the range's upper end")


class ApiModel(Strict):
    parameters: Count
    active_parameters: Count | None = None
    # upper ends of a range where the provider does not disclose the size (EcoLogits gives ranges for
    # such models): `parameters` / `active_parameters` are then the lower ends
    parameters_max: Count | None = None
    active_parameters_max: Count | None = None

    @model_validator(mode="after")
    def _ranges_ordered(self) -> ApiModel:
        _check_range("parameters", self.parameters, self.parameters_max)
        _check_range("active_parameters", self.active_parameters, self.active_parameters_max)
        if self.active_parameters_max is not None and self.active_parameters is None:
            raise ValueError("active_parameters_max needs active_parameters (the range's lower end)")
        return self

    quantization_bits: int = Field(default=16, ge=1, le=32)
    source: str = Field(min_length=3)


class ApiOffering(Strict):
    """A hosted model sold per token. Its energy is estimated (see profiles/methods/api-energy.yaml)."""

    id: Id
    name: str
    provider: str
    model: ApiModel
    price: ApiPrice
    region: Id  # where the provider's servers are assumed to run, for grid intensity
    pue: Annotated[float, Unit("", minimum=1.0, maximum=3.0)] = 1.2
    pue_max: Annotated[float, Unit("", minimum=1.0, maximum=3.0)] | None = None  # a range's upper end
    # the provider's on-site water usage effectiveness (per kWh of IT energy); None = the site default
    wue: Annotated[float, Unit("L/kWh", minimum=0.0, maximum=20.0)] | None = None
    wue_max: Annotated[float, Unit("L/kWh", minimum=0.0, maximum=20.0)] | None = None
    tokens_in: Count | None = None  # default tokens per query for this offering
    tokens_out: Count | None = None
    quality: Annotated[list[Quality], AfterValidator(unique_quality_tasks)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> ApiOffering:
        _check_range("pue", self.pue, self.pue_max)
        if self.wue_max is not None and self.wue is None:
            raise ValueError("wue_max needs wue (the range's lower end)")
        _check_range("wue", self.wue, self.wue_max)
        return self

    def quality_for(self, task: str) -> Quality | None:
        return next((q for q in self.quality if q.task == task), None)


class ScenarioApiModel(Strict):
    """The model behind a scenario's own API offering (counts: "8 billion")."""

    parameters: Count
    active_parameters: Count | None = None
    parameters_max: Count | None = None
    active_parameters_max: Count | None = None
    quantization_bits: int = Field(default=16, ge=1, le=32)
    source: str | None = None


class ScenarioApiPrice(Strict):
    input: Annotated[Money, Unit("USD/token")]  # written per Mtoken ("0.2 USD/Mtoken"), kept per token
    output: Annotated[Money, Unit("USD/token")]
    source: str | None = None
    year: Year | None = None


class ScenarioApi(Strict):
    """An API offering declared in the scenario itself (`apis:`), used like a shipped one (`api: ID`)."""

    id: Id
    name: str | None = None
    provider: str | None = None
    model: ScenarioApiModel
    price: ScenarioApiPrice
    region: Id
    pue: Annotated[float, Unit("", minimum=1.0, maximum=3.0)] = 1.2
    pue_max: Annotated[float, Unit("", minimum=1.0, maximum=3.0)] | None = None
    wue: Annotated[float, Unit("L/kWh", minimum=0.0, maximum=20.0)] | None = None
    wue_max: Annotated[float, Unit("L/kWh", minimum=0.0, maximum=20.0)] | None = None
    tokens_in: Count | None = None
    tokens_out: Count | None = None
    quality: Annotated[list[Quality], AfterValidator(unique_quality_tasks)] = Field(default_factory=list)

    def offering_data(self, file: str, year: int) -> dict[str, Any]:
        """The `ApiOffering` fields it declares, its sources saying where it was declared (validate them
        like a shipped offering's)."""
        where = f"scenario {file}, apis {self.id}: as declared there"
        data: dict[str, Any] = self.model_dump(exclude_none=True)
        for name in ("wue", "wue_max"):  # quantities with a dimension: written back with their unit
            if name in data:
                data[name] = f"{data[name]!r} L/kWh"
        data["name"] = self.name or self.id
        data["provider"] = self.provider or "declared in the scenario"
        data["model"] = {**data["model"], "source": self.model.source or where}
        data["price"] = {
            "input": self.price.input,
            "output": self.price.output,
            "source": self.price.source or where,
            "year": self.price.year or year,
        }
        return data


class GridImpacts(Strict):
    """Impacts of 1 kWh from one country's grid beside CO2e (profiles/methods/electricity-impacts.yaml)."""

    zone: str = Field(min_length=2)  # the source's zone code
    adpe: Annotated[float, Unit("kgSbeq/kWh", maximum=1e-3)]
    pe: Annotated[float, Unit("MJ/kWh", maximum=100.0)]
    water: Annotated[float, Unit("L/kWh", maximum=1000.0)]  # off-site: consumed to generate the kWh
    world_default: list[str] = Field(default_factory=list)  # factors the source took from its world average


class ElectricityImpacts(Sourced):
    """Grid ADPe, PE and water per kWh by ISO 3166-1 alpha-2 country; ZZ = the world average."""

    countries: dict[str, GridImpacts]

    def for_country(self, country: str) -> tuple[GridImpacts, str]:
        """The country's factors and what they are ("SE", or "world average: XX not in the table")."""
        if country in self.countries:
            return self.countries[country], country
        world = self.countries.get("ZZ")
        if world is None:
            raise ValueError(f"no factors for country {country!r} and no world average ZZ")
        return world, f"world average (ZZ): {country} is not in the table"


class ApiEnergyMethod(Sourced):
    """Coefficients of the energy estimate for API models (EcoLogits' method, fitted on ML.ENERGY data)."""

    gpu_energy_a: Annotated[float, Unit("Wh")]  # per output token per GPU per billion active params
    gpu_energy_b: Annotated[float, Unit("", minimum=None)]  # per unit of batch size (in the exponent)
    gpu_energy_g: Annotated[float, Unit("Wh")]  # per output token per GPU, constant term
    batch_size: Annotated[float, Unit("")]
    latency_a: Annotated[float, Unit("s")]  # per output token per billion active params
    latency_b: Annotated[float, Unit("s")]  # per output token
    server_power: Annotated[float, Unit("W")]  # host without GPUs
    server_gpus: int = Field(ge=1)
    gpu_memory: Annotated[float, Unit("GB")]
    memory_overhead: Annotated[float, Unit("", minimum=1.0)]
    gpu_embodied: Annotated[float, Unit("kgCO2e")]
    server_embodied: Annotated[float, Unit("kgCO2e")]
    lifetime: Annotated[float, Unit("month")]
    # abiotic depletion and primary energy of making one GPU and one server (EcoLogits' constants)
    gpu_embodied_adpe: Annotated[float, Unit("kgSbeq")] = 0.0
    gpu_embodied_pe: Annotated[float, Unit("MJ")] = 0.0
    server_embodied_adpe: Annotated[float, Unit("kgSbeq")] = 0.0
    server_embodied_pe: Annotated[float, Unit("MJ")] = 0.0


class PrefillCalibration(Sourced):
    """The prefill model's two fitted constants and how well they fit their data (README, the operating
    point): an input token costs its time at peak / prefill_fraction to prefill, and context_cost x its time
    at peak for each output token generated after it."""

    prefill_fraction: Annotated[float, Unit("", minimum=0.001, maximum=1.0)]
    context_cost: Annotated[float, Unit("", minimum=0.0, maximum=1.0)]  # per output token
    cases: int = Field(ge=1)
    rms_error: Annotated[float, Unit("", minimum=0.0, maximum=10.0)]  # of predicted throughput
    max_error: Annotated[float, Unit("", minimum=0.0, maximum=10.0)]
    data: str = Field(min_length=3)  # the calibration data in the repository


class DatasetInput(Sourced):
    """Mean prompt length of a benchmark's request set, for profiles that do not record their input tokens."""

    task: str = Field(min_length=1)
    tokens: Count
    basis: Literal["published", "proxy", "estimated"]


class ServingMethod(Strict):
    """profiles/methods/serving.yaml: the prefill model and the input lengths of published benchmarks."""

    prefill: PrefillCalibration
    # the precision prefill computes in, by the profile's dtype (lower case); unlisted dtypes: bf16
    compute_precision: dict[str, ComputePrecision]
    compute_precision_source: str = Field(min_length=3)
    dataset_input_tokens: list[DatasetInput]

    @field_validator("dataset_input_tokens")
    @classmethod
    def _unique_tasks(cls, v: list[DatasetInput]) -> list[DatasetInput]:
        tasks = [d.task for d in v]
        dup = sorted({t for t in tasks if tasks.count(t) > 1})
        if dup:
            raise ValueError(f"one entry per task expected, {dup} repeat")
        return v


# --------------------------------------------------------------------------- scenarios

Percent = Annotated[float, Unit("", minimum=-1.0, maximum=10.0)]


def _trend_above_minus_100(v: float) -> float:
    if v <= -1.0:
        raise ValueError(
            f"got {v * 100:.4g} % a year, expected more than -100 % and at most 1000 % a year: at -100 % a "
            "year the price is zero from the second year on"
        )
    return v


# a price's trend per year (hardware, cloud, API, electricity, carbon): above -100 %, else prices vanish
Trend = Annotated[Percent, AfterValidator(_trend_above_minus_100)]


def _spot_below_100(v: float) -> float:
    if v >= 1.0:
        raise ValueError(
            f"got {v * 100:.4g} %, expected at least 0 % and less than 100 % off the on-demand price: at "
            "100 % spot compute would be free"
        )
    return v


SpotDiscount = Annotated[Fraction, AfterValidator(_spot_below_100)]


class CurrencySpec(Strict):
    reporting: str = "USD"
    rates: dict[str, str] = Field(default_factory=dict)

    @field_validator("reporting")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CURRENCIES:
            raise ValueError(f"unknown currency {v!r}, expected one of {', '.join(CURRENCIES)}")
        return v

    @field_validator("rates")
    @classmethod
    def _rate_keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key not in CURRENCIES:
                raise ValueError(
                    f"{key!r} is not a currency, expected rates keyed by one of {', '.join(CURRENCIES)}"
                )
        return v


DISCOUNT_WHY = (
    "a cost of capital per year; a negative rate would weigh later costs more than today's and can make "
    "the NPV and the levelised cost negative"
)


class Workload(Strict):
    task: str = Field(min_length=1)
    queries_per_day: Annotated[float, Unit("1/day", maximum=1e13)]
    annual_growth: Annotated[float, Unit("", minimum=-0.99, maximum=10.0)] = 0.0
    # the busiest hour's load over the day's mean (at most 24: the whole day in one hour)
    peak_to_average: Annotated[float, Unit("", minimum=1.0, maximum=24.0)] | None = None
    daily_profile: list[float] | None = None  # 24 relative hourly loads, hour 0 first
    tokens_in: Count | None = None  # per query; default from the profile
    tokens_out: Count | None = None
    latency_slo_p95: Annotated[float, Unit("s")] | None = None
    # interactivity targets (README, the capacity point): time to first token and per output token, p95
    ttft_p95: Annotated[float, Unit("s")] | None = None
    tpot_p95: Annotated[float, Unit("s")] | None = None
    tokens_per_second_per_user: Annotated[float, Unit("1/s")] | None = None  # = 1 / tpot_p95
    quality_floor: Fraction | None = None
    tasks: list[PortfolioTask] | None = Field(default=None, min_length=1, max_length=50)  # a portfolio

    @model_validator(mode="before")
    @classmethod
    def _task_from_tasks(cls, data: Any) -> Any:
        return fill_task(data)

    @field_validator("tasks")
    @classmethod
    def _tasks_consistent(cls, v: list[PortfolioTask] | None) -> list[PortfolioTask] | None:
        if v is not None:
            check_tasks(v)
        return v

    @field_validator("daily_profile")
    @classmethod
    def _profile_24(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        bad = [x for x in v if not (0 <= x < MAX_HOURLY_WEIGHT)]  # refuses nan and inf too
        if len(v) != 24 or bad or sum(v) <= 0:
            why = f", got {bad[0]!r}" if bad else f", got {len(v)} weights" if len(v) != 24 else ", all zero"
            raise ValueError(f"expected 24 finite non-negative hourly weights, not all zero{why}")
        return v

    @field_validator("queries_per_day")
    @classmethod
    def _some_queries(cls, v: float) -> float:
        if v <= 0:
            raise ValueError(
                f"got {v:g} query/day, expected more than 0 query/day: costs and emissions per query "
                "need queries (to cost an idle fleet, give a small demand)"
            )
        return v

    @field_validator("tokens_out")
    @classmethod
    def _some_output(cls, v: float | None) -> float | None:
        if v is not None and v < 1:
            raise ValueError(
                f"got {v:g}, expected at least 1 token per query: energy and latency scale with the output "
                "length (classifiers ignore tokens_out)"
            )
        return v

    @model_validator(mode="after")
    def _one_peak(self) -> Workload:
        if self.daily_profile is not None and self.peak_to_average is not None:
            raise ValueError("give either peak_to_average or daily_profile, not both")
        check_interactivity(self.tpot_p95, self.tokens_per_second_per_user)
        check_ttft(self.ttft_p95)
        return self

    def peak_factor(self) -> float:
        if self.daily_profile is not None:
            return max(self.daily_profile) / (sum(self.daily_profile) / 24.0)
        return self.peak_to_average if self.peak_to_average is not None else DEFAULT_PEAK_TO_AVERAGE


class ResalePoint(Strict):
    """One point of a market-value curve: what a unit of this age sells for, as a fraction of its price."""

    age: Annotated[float, Unit("month", maximum=600)]
    value: Fraction


def _unique_ages(v: list[ResalePoint] | None) -> list[ResalePoint] | None:
    ages = [p.age for p in v or []]
    twice = sorted({a for a in ages if ages.count(a) > 1})
    if twice:
        raise ValueError(
            f"age {twice[0]:g} months has {ages.count(twice[0])} values, expected one value (from 0 % to 100 % "
            "of the purchase price) per age"
        )
    return v


class SiteFields(Strict):
    """Settings an option inherits from the scenario's `defaults` unless it sets them itself."""

    region: Id | None = None
    pue: Annotated[float, Unit("", minimum=1.0, maximum=3.0)] | None = None
    electricity_price: Annotated[Money, Unit("USD/kWh", maximum=10)] | None = None  # overrides region
    electricity_escalation: Trend | None = None  # per year
    grid_intensity: Annotated[float, Unit("gCO2e/kWh", maximum=2000)] | None = None  # overrides region
    grid_decarbonisation: Annotated[float, Unit("", minimum=0.0, maximum=1.0)] | None = None  # per year
    renewable_share: Fraction | None = None  # market-based instruments
    wue: Annotated[float, Unit("L/kWh", minimum=0.0, maximum=20.0)] | None = None  # on-site water per IT kWh
    utilisation: Annotated[float, Unit("", minimum=0.01, maximum=1.0)] | None = None
    lifetime: Annotated[float, Unit("month", minimum=1, maximum=240)] | None = None
    residual_value: Fraction | None = None  # of purchase price, at end of life
    maintenance: Annotated[float, Unit("", minimum=0.0, maximum=1.0)] | None = None  # of price per year
    colocation: Annotated[Money, Unit("USD/kW/month")] | None = None
    other_opex: Annotated[Money, Unit("USD/month")] | None = None
    pricing: Literal["on-demand", "committed", "spot"] | None = None
    # the market a cloud option rents in (README "Price tiers"); the built-in default is gpu-cloud
    cloud_tier: CloudTier | None = None
    # provisioned power the site can supply: an option whose fleet needs more is flagged and not eligible
    power_budget: Annotated[float, Unit("kW", maximum=1e7)] | None = None
    embodied: Literal["low", "central", "high"] | None = None
    min_replicas: int | None = Field(default=None, ge=0, le=100000)
    hardware_price: Annotated[Money, Unit("USD")] | None = (
        None  # per accelerator: a quote, overrides the data
    )
    cloud_price: Annotated[Money, Unit("USD/h")] | None = None  # per accelerator-hour, overrides the data
    # Finance choices (README "How the numbers are computed").
    end_value: Literal["book", "resale", "none"] | None = None  # credit for on-prem units at the end
    # for end_value: resale; one value per age
    resale_curve: Annotated[list[ResalePoint] | None, AfterValidator(_unique_ages)] = Field(
        default=None, min_length=1
    )
    hardware_price_trend: Trend | None = None  # per year, later purchases
    financing: Literal["cash", "loan", "lease"] | None = None  # how on-prem units are paid for
    financing_rate: Annotated[float, Unit("", minimum=0.0, maximum=1.0)] | None = None  # per year
    financing_term: Annotated[float, Unit("month", minimum=1, maximum=600)] | None = None
    cloud_price_trend: Trend | None = None  # per year
    commitment_term: Annotated[float, Unit("month", minimum=1, maximum=600)] | None = None
    commitment_accelerators: int | None = Field(
        default=None, ge=0, le=1_000_000
    )  # default: first month's fleet
    commitment_upfront: Fraction | None = None  # of each term's charge, at its start
    spot_discount: SpotDiscount | None = None  # off the on-demand price
    spot_overprovisioning: Annotated[float, Unit("", minimum=0.0, maximum=10.0)] | None = None
    api_price_trend: Trend | None = None  # per year

    # Fields with no built-in default: they come from the region or the hardware when not set, or are
    # needed only by a choice that asks for them (resale curve, loan or lease terms, a commitment's size).
    NO_DEFAULT: ClassVar[frozenset[str]] = frozenset(
        {
            "region",
            "electricity_price",
            "grid_intensity",
            "hardware_price",
            "cloud_price",
            "resale_curve",
            "financing_rate",
            "financing_term",
            "commitment_accelerators",
            "power_budget",
        }
    )


class FineTuning(Strict):
    """One-off cost and emissions of fine-tuning, charged in the first month."""

    gpu_hours: Annotated[float, Unit("h")] | None = None
    hardware: Id | None = None
    energy: Annotated[float, Unit("kWh")] | None = None  # IT energy, if known instead of GPU-hours
    # if absent: GPU-hours x the hardware's gpu-cloud price (else its hyperscaler price)
    cost: Annotated[Money, Unit("USD")] | None = None
    region: Id | None = None  # where it ran; defaults to the option's region
    source: str | None = None

    @model_validator(mode="after")
    def _enough(self) -> FineTuning:
        if self.gpu_hours is None and self.energy is None:
            raise ValueError("give gpu_hours (with hardware) or energy")
        if self.gpu_hours is not None and self.hardware is None:
            raise ValueError("gpu_hours needs hardware (the id of the GPU it ran on)")
        return self


class Fleet(Strict):
    accelerators: int = Field(ge=1, le=1_000_000)


class ApiPriceQuote(Strict):
    """An API option's own price per token (a negotiated rate), in place of its offering's; written per
    million tokens (`0.5 USD/Mtoken`), kept per token. A side left out keeps the offering's price."""

    input: Annotated[Money, Unit("USD/token")] | None = None
    output: Annotated[Money, Unit("USD/token")] | None = None


class Option(SiteFields):
    id: Id
    name: str | None = None
    deployment: Literal["on-prem", "cloud", "api"]
    profile: Id | None = None  # model profile (on-prem, cloud)
    api: Id | None = None  # API offering (api)
    api_price: ApiPriceQuote | None = None  # api only: its own price per token, in place of the offering's
    batch_size: int | None = Field(default=None, ge=1, le=65536)  # default: from the latency targets
    # a configuration of a multi-configuration profile, or `best`: the cheapest meeting the targets
    parallelism: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)] | None = None
    fleet: Literal["auto"] | Fleet = "auto"
    # how the fleet follows the hourly load: a fleet policy of the deployment (tco.engine.fleet)
    scaling: str | None = Field(
        default=None, description=f"How the fleet follows the hourly load. {help_text()}"
    )
    fine_tuning: FineTuning | None = None
    # the option's own scores (one, or a list with one per task): each overrides the profile's for its task only
    quality: Annotated[list[Quality], AfterValidator(unique_quality_tasks)] = Field(default_factory=list)
    # this model's answer length (README, "Answer length per option"): output tokens per query, or `from
    # profile` (the median output tokens over its profile's points); default the workload's tokens_out; or
    # one of those per task, or one of those per task ({sentiment: 5, reasoning: from profile}: tasks not listed answer
    # at the task's length)
    tokens_out: Literal["from profile"] | Count | dict[str, Literal["from profile"] | Count] | None = None

    @field_validator("tokens_out")
    @classmethod
    def _answer_length(
        cls, v: float | str | dict[str, float | str] | None
    ) -> float | str | dict[str, float | str] | None:
        for task, n in v.items() if isinstance(v, dict) else [("", v)]:
            if isinstance(n, float) and n < 1:
                where = f"task {task}: " if task else ""
                raise ValueError(f"{where}got {n:g}, expected at least 1 token per query or 'from profile'")
        return v

    @field_validator("quality", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    def quality_for(self, task: str) -> Quality | None:
        return next((q for q in self.quality if q.task == task), None)

    @model_validator(mode="after")
    def _target(self) -> Option:
        if self.deployment == "api":
            if not self.api or self.profile:
                raise ValueError("an api option needs `api` (an offering id) and no `profile`")
        elif not self.profile or self.api:
            raise ValueError(f"an {self.deployment} option needs `profile` (a model profile id) and no `api`")
        if self.api_price is not None and self.deployment != "api":
            raise ValueError(
                f"api_price is for api options; a {self.deployment} option rents or buys hardware"
            )
        allowed = {**scalings(), "api": ()}
        if self.scaling is not None and self.scaling not in allowed[self.deployment]:
            expected = ", ".join(allowed[self.deployment]) or "nothing (an API has no fleet)"
            raise ValueError(
                f"scaling {self.scaling!r} does not fit a {self.deployment} option, expected {expected}"
            )
        return self


_YM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class OptionGrid(Strict):
    """Options written as lists of alternatives: every combination becomes one option.

    Written flat in YAML (`id` plus any option field); kept here as the id and the other fields.
    """

    id: str = Field(pattern=ID_PATTERN, max_length=60)
    fields: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if not isinstance(data, dict) or ("fields" in data and set(data) <= {"id", "fields"}):
            return data
        allowed = set(Option.model_fields)
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            raise ValueError(
                f"unknown option field {unknown[0]!r} in a grid, expected some of {', '.join(sorted(allowed))}"
            )
        return {"id": data.get("id"), "fields": {k: v for k, v in data.items() if k != "id"}}

    def axes(self) -> dict[str, list[Any]]:
        """The fields given as lists, in the order written."""
        return {k: v for k, v in self.fields.items() if isinstance(v, list)}


class Scenario(Strict):
    name: str
    description: str | None = None
    currency: CurrencySpec = Field(default_factory=CurrencySpec)
    start: str = "2026-01"
    horizon: Annotated[float, Unit("month", minimum=1, maximum=600)]
    discount_rate: Annotated[float, Unit("", minimum=0.0, maximum=1.0, why=DISCOUNT_WHY)] = 0.0  # per year
    carbon_price: Annotated[Money, Unit("USD/tCO2e")] | None = None
    carbon_price_trend: Trend = 0.0  # per year
    discounting: Literal["start", "middle", "end"] = "start"  # of each month's cash flows
    # prices dated more than this before `start` are flagged as stale in the assumptions
    stale_price_age: Annotated[float, Unit("month", minimum=0, maximum=600)] = 12.0
    tax_rate: Fraction | None = None  # corporate income tax: after-tax view
    workload: Workload
    defaults: SiteFields = Field(default_factory=SiteFields)
    options: list[Option] = Field(min_length=1, max_length=500)
    baseline: Id | None = None
    profile_files: list[str] = Field(default_factory=list)  # extra model profiles, relative to this file
    apis: list[ScenarioApi] = Field(default_factory=list, max_length=200)  # the scenario's own API offerings
    option_grids: list[OptionGrid] = []  # expanded into `options` before validation (tco.scenario.grids)
    sensitivity: SensitivitySpec | None = None
    uncertainty: UncertaintySpec | None = None
    plan: PlanSpec | None = None  # task portfolio routing (tco plan; tco.scenario.portfolio)

    @field_validator("start")
    @classmethod
    def _ym(cls, v: str) -> str:
        if not _YM.match(str(v)):
            raise ValueError(f"expected a month as YYYY-MM, got {v!r}")
        return str(v)

    @field_validator("horizon")
    @classmethod
    def _whole_months(cls, v: float) -> float:
        if abs(v - round(v)) > 1e-6:
            raise ValueError(f"expected a whole number of months, got {v:g} months")
        return float(round(v))

    @model_validator(mode="after")
    def _ids(self) -> Scenario:
        ids = [o.id for o in self.options]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"option ids must be unique, {dup} repeat")
        if self.baseline is not None and self.baseline not in ids:
            raise ValueError(f"baseline {self.baseline!r} is not an option id (options: {', '.join(ids)})")
        tasks = [t.task for t in self.workload.tasks or []] or [self.workload.task]
        # a portfolio's answer length per task names its tasks (a one-task workload, such as a portfolio's
        # task run on its own, may carry the lengths of the portfolio's other tasks)
        for i, o in enumerate(self.options if self.workload.tasks is not None else []):
            if isinstance(o.tokens_out, dict):
                for task in o.tokens_out:
                    if task not in tasks:
                        raise ValueError(
                            f"options[{i}].tokens_out.{task}: unknown task {task!r}, expected one of "
                            f"{', '.join(str(t) for t in tasks)}"
                        )
        if self.plan is not None:
            check_plan(self.plan, tasks, ids)
        if self.workload.tasks is not None:  # a portfolio is planned wherever it is shown
            deployments: list[str] = [o.deployment for o in self.options]
            check_plan_size(self.plan or PlanSpec(), tasks, deployments, round(self.horizon))
        return self


class DefaultValue(Strict):
    value: str
    source: str = Field(min_length=3)
    year: Year
    licence: str | None = None


class BuiltinDefaults(Strict):
    """profiles/methods/defaults.yaml: what an option gets when nothing sets a field, per deployment."""

    on_prem: dict[str, DefaultValue] = Field(alias="on-prem")
    cloud: dict[str, DefaultValue]
    api: dict[str, DefaultValue]

    def for_deployment(self, deployment: str) -> dict[str, DefaultValue]:
        return {"on-prem": self.on_prem, "cloud": self.cloud, "api": self.api}[deployment]
