"""`plan.search`: candidate deployments generated from the catalogue, added to the scenario's options.

For each search block, every (profile, configuration, region, tier) the catalogue allows becomes one option
(deployment `on-prem` for `buy`, else `cloud` in that tier), added on the raw mapping before validation (as
option grids are) and to `plan.candidates` of the tasks the block serves. What is left out, and why, and
what pruning removed, come from the same pure function (`search_catalogue`), so the plan's report lists them.

Rules (README, "Candidate deployments from the catalogue"):

- a model is a profile id, or a model name matching `model.name` of profiles (case-insensitive): every
  measured profile of it on a searched GPU type is a candidate; a model with none on a GPU type is left out
  there ("not measured on it": a model that does not fit a GPU's memory has no measurement on it);
- parallelism `best`: every configuration of those profiles; a list: only configurations with those keys
  (`1x`, `2x`, `tp2`, ...), the others left out;
- pay `buy`: the `purchase` tier (on-prem); `on-demand`: `gpu-cloud` and `hyperscaler`; `committed`: the
  1- and 3-year tiers of both markets; `spot`: `spot`. A GPU type without a price in a tier is never proposed
  in it (left out, "no <tier> price"); no discount stands in for a missing spot price; `owner` (an owner's
  all-in hourly cost) is not a way to pay and is never searched;
- pruning (dominance): among candidates differing only in their tier within one way to pay, a tier is
  dropped when another has an hourly price no higher, the same contract term, an upfront share no higher and
  an on-demand price above the commitment no higher (each compared in the same currency), one of them lower
  or the other listed first: every month of the dropped candidate costs at least as much as the kept one's
  for the same fleet, energy and emissions, so the optimum never needs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tco.errors import InputError
from tco.scenario.names import model_words
from tco.scenario.portfolio import PlanSpec, SearchSpec
from tco.scenario.repository import Repository, validate
from tco.scenario.schema import TIER_ON_DEMAND, TIER_TERM_MONTHS, Hardware, HourlyTier, ModelProfile

# the price tiers each way to pay may use, in the order tried
PAY_TIERS: dict[str, tuple[str, ...]] = {
    "buy": ("purchase",),
    "on-demand": ("gpu-cloud", "hyperscaler"),
    "committed": ("gpu-cloud-1y", "gpu-cloud-3y", "hyperscaler-1y", "hyperscaler-3y"),
    "spot": ("spot",),
}
_MAX_ID = 80


@dataclass(frozen=True)
class Candidate:
    """One generated deployment: the option it becomes and what it is made of."""

    id: str
    profile: str
    model: str
    gpu: str
    configuration: str
    accelerators: int  # per replica
    region: str
    pay: str
    tier: str
    tasks: tuple[str, ...] | None  # None: every task
    label: str = ""  # the profile, where the model has several on this GPU type

    def option(self, multi_config: bool) -> dict[str, Any]:
        """The option mapping (validated with the scenario)."""
        out: dict[str, Any] = {
            "id": self.id,
            # the model's words and how it is paid: the hardware and region are added from the option's
            # inputs (`option_name`), as for an option written by hand
            "name": f"{model_words(self.model)}{self.label}, {self.pay}"
            + (f" ({self.tier})" if self.tier != self.pay else ""),
            "deployment": "on-prem" if self.pay == "buy" else "cloud",
            "profile": self.profile,
            "region": self.region,
        }
        if multi_config:
            out["parallelism"] = self.configuration
        if self.pay != "buy":
            out["cloud_tier"] = self.tier
            out["pricing"] = self.pay
        return out


@dataclass(frozen=True)
class SearchResult:
    """The candidates kept, those pruned as dominated (id, by which id) and what was left out (why)."""

    candidates: tuple[Candidate, ...]
    pruned: tuple[tuple[str, str], ...]
    left_out: tuple[str, ...]


def _profiles_of(name: str, repo: Repository) -> list[ModelProfile]:
    if name in repo.models:
        return [repo.models[name]]
    low = name.lower()
    return [p for p in repo.models.values() if p.model.name.lower() == low]


def _usd(tier: HourlyTier, attr: str = "price") -> tuple[str, float]:
    money = getattr(tier, attr)
    return money.currency, float(money.value)


def _dominates(a: str, b: str, hw: Hardware) -> bool:
    """Tier `a` of `hw` costs no more than tier `b` in every month, for the same fleet (the pruning rule)."""
    ta, tb = hw.prices.get(a), hw.prices.get(b)
    if not isinstance(ta, HourlyTier) or not isinstance(tb, HourlyTier):
        return False
    if ta.price.currency != tb.price.currency:
        return False
    term_a = ta.term if ta.term is not None else TIER_TERM_MONTHS.get(a)
    term_b = tb.term if tb.term is not None else TIER_TERM_MONTHS.get(b)
    if term_a != term_b or float(ta.price.value) > float(tb.price.value):
        return False
    if (ta.upfront or 0.0) > (tb.upfront or 0.0):
        return False
    od_a, od_b = TIER_ON_DEMAND.get(a), TIER_ON_DEMAND.get(b)
    if od_a != od_b:
        pa, pb = hw.prices.get(od_a) if od_a else None, hw.prices.get(od_b) if od_b else None
        if pb is None:  # b's excess pays b's own price: no on-demand price to beat
            return pa is None or (
                isinstance(pa, HourlyTier)
                and pa.price.currency == tb.price.currency
                and float(pa.price.value) <= float(tb.price.value)
            )
        if not isinstance(pa, HourlyTier) or not isinstance(pb, HourlyTier):
            return False
        if pa.price.currency != pb.price.currency or float(pa.price.value) > float(pb.price.value):
            return False
    return True


def _candidate_id(profile: str, config: str, multi: bool, pay: str, tier: str, region: str) -> str:
    """`<profile>[-<configuration>]-<pay or tier>-<region>`; where the profile id must be cut to keep the id
    within `_MAX_ID` characters, a short stable hash of (profile, configuration, tier, region) follows the cut
    so that two long profile ids cut alike still give two ids."""
    tier_part = pay if tier in ("purchase", "spot") else tier
    tail = "-".join(p for p in ((config if multi else ""), tier_part, region) if p)
    if len(profile) + 1 + len(tail) <= _MAX_ID:
        return f"{profile}-{tail}"
    digest = hashlib.sha256("|".join((profile, config, tier, region)).encode()).hexdigest()[:8]
    head = profile[: _MAX_ID - len(tail) - len(digest) - 2].rstrip("-.")
    return f"{head}-{digest}-{tail}"


def _tiers(hw: Hardware, pay: str, prune: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """The priced tiers of `pay` on `hw` kept, and those pruned as (tier, dominated by tier)."""
    tiers = [t for t in PAY_TIERS[pay] if hw.prices.get(t) is not None]
    if not prune:
        return tiers, []
    kept, beaten = [], []
    for t in tiers:
        by = next(
            (
                u
                for u in tiers
                if u != t
                and _dominates(u, t, hw)
                and (not _dominates(t, u, hw) or tiers.index(u) < tiers.index(t))
            ),
            None,
        )
        if by is None:
            kept.append(t)
        else:
            beaten.append((t, by))
    return kept, beaten


def search_catalogue(
    blocks: list[SearchSpec], repo: Repository, *, prune: bool = True, file: str = "scenario"
) -> SearchResult:
    """Every feasible candidate of the search blocks, pruned (unless `prune` is False), with the left-out.

    Unknown GPU types and regions are input errors (one line naming the field); a model with no profile at
    all is one too. What the catalogue lacks for a combination (a measurement, a configuration, a price tier)
    is left out with its reason."""
    kept: list[Candidate] = []
    pruned: list[tuple[str, str]] = []
    left: list[str] = []
    seen: dict[str, tuple[str, str, str, str]] = {}  # id -> (profile, configuration, tier, region)
    for b, block in enumerate(blocks):
        where = f"plan.search[{b}]"
        for listed, kind, names, in_catalogue in (
            ("gpus", "GPU type", block.gpus, repo.hardware),
            ("regions", "region", block.regions, repo.regions),
        ):
            for j, name in enumerate(names):
                if name not in in_catalogue:
                    raise InputError(
                        f"unknown {kind} {name!r}, expected one of {', '.join(in_catalogue)}",
                        file=file,
                        field=f"{where}.{listed}[{j}]",
                    )
        for j, model in enumerate(block.models):
            profiles = _profiles_of(model, repo)
            if not profiles:
                raise InputError(
                    f"no profile or model named {model!r} (expected a profile id or a profile's model.name, "
                    "as `tco profiles` lists)",
                    file=file,
                    field=f"{where}.models[{j}]",
                )
            by_id = model in repo.models
            if by_id and profiles[0].hardware not in block.gpus:
                left.append(f"{model}: measured on {profiles[0].hardware}, not one of the GPU types searched")
            for gpu in block.gpus:
                hw = repo.hardware[gpu]
                on_gpu = [p for p in profiles if p.hardware == gpu]
                if not on_gpu and by_id:
                    continue
                if not on_gpu:
                    left.append(
                        f"{model} on {gpu}: not measured on it (no profile; a model must be measured "
                        "on a GPU type, which also shows it fits its memory)"
                    )
                    continue
                measured = sorted({k for prof in on_gpu for k in prof.configuration_keys()})
                if block.parallelism != "best":
                    missing = [k for k in block.parallelism if k not in measured]
                    if missing:
                        left.append(
                            f"{model} on {gpu}: no measured configuration {', '.join(missing)} "
                            f"(measured: {', '.join(measured)})"
                        )
                sizes = [
                    prof.configuration(k).accelerators for prof in on_gpu for k in prof.configuration_keys()
                ]
                for prof in on_gpu:
                    keys = prof.configuration_keys()
                    wanted = (
                        keys if block.parallelism == "best" else [k for k in keys if k in block.parallelism]
                    )
                    for key in wanted:
                        accelerators = prof.configuration(key).accelerators
                        multi = len(keys) > 1
                        for pay in block.pay:
                            tiers, beaten = _tiers(hw, pay, prune)
                            if not tiers:
                                left.append(
                                    f"{gpu} ({pay}): no price in {' or '.join(PAY_TIERS[pay])} in the "
                                    "hardware data, not proposed"
                                )
                                continue
                            for region in block.regions:
                                pruned += [
                                    (
                                        _candidate_id(prof.id, key, multi, pay, t, region),
                                        _candidate_id(prof.id, key, multi, pay, by, region),
                                    )
                                    for t, by in beaten
                                ]
                            for t in tiers:
                                for region in block.regions:
                                    cid = _candidate_id(prof.id, key, multi, pay, t, region)
                                    what = (prof.id, key, t, region)
                                    tasks = tuple(block.tasks) if block.tasks is not None else None
                                    if cid in seen:
                                        if seen[cid] != what:  # never drop a candidate silently
                                            raise InputError(
                                                f"two generated candidates have the id {cid!r} "
                                                f"({seen[cid]} and {what}), expected distinct ids",
                                                file=file,
                                                field=where,
                                            )
                                        # the same deployment from another block or model name: it serves
                                        # the tasks of both
                                        i = next(n for n, c in enumerate(kept) if c.id == cid)
                                        old = kept[i].tasks
                                        both = None if old is None or tasks is None else (*old, *tasks)
                                        kept[i] = replace(
                                            kept[i],
                                            tasks=None if both is None else tuple(dict.fromkeys(both)),
                                        )
                                        continue
                                    seen[cid] = what
                                    label = f" [{prof.id}]" if sizes.count(accelerators) > 1 else ""
                                    kept.append(
                                        Candidate(
                                            cid,
                                            prof.id,
                                            prof.model.name,
                                            gpu,
                                            key,
                                            accelerators,
                                            region,
                                            pay,
                                            t,
                                            tasks,
                                            label,
                                        )
                                    )
    return SearchResult(tuple(kept), tuple(dict.fromkeys(pruned)), tuple(dict.fromkeys(left)))


def _shortened(reasons: tuple[str, ...], most: int = 3) -> str:
    """The first `most` reasons, each without its explanation in parentheses, and how many more."""
    short = [why.split(" (no profile")[0] for why in reasons[:most]]
    more = f" and {len(reasons) - most} more" if len(reasons) > most else ""
    return "; ".join(short) + more if short else "nothing left out, nothing generated"


def expand_search(raw: Any, repo: Repository, *, file: str = "scenario", prune: bool = True) -> Any:
    """`raw` with the search's candidates appended to `options` and to each served task's candidates.

    Returns `raw` itself when it has no `plan.search`. Every task gets an explicit candidate list: the options
    written by hand it may use (its `plan.candidates`, else every hand-written option) plus the generated ones
    of the blocks that serve it."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("plan"), Mapping):
        return raw
    plan_raw = raw["plan"]
    if not plan_raw.get("search"):
        return raw
    spec = validate(PlanSpec, dict(plan_raw), file=file, prefix="plan")
    result = search_catalogue(spec.search, repo, prune=prune, file=file)
    options = raw.get("options") or []
    if not isinstance(options, list):
        return raw  # validation reports it
    if not result.candidates and not options:
        raise InputError(
            f"no candidate deployment: {_shortened(result.left_out)}, expected a model measured on a GPU type "
            "searched with a price in a way to pay searched",
            file=file,
            field="plan.search",
        )
    hand = [o.get("id") for o in options if isinstance(o, Mapping)]
    clash = sorted({c.id for c in result.candidates} & set(hand))
    if clash:
        raise InputError(
            f"a generated candidate has the id of an option written by hand: {clash[0]!r}, expected another id",
            file=file,
            field="plan.search",
        )
    workload = raw.get("workload") if isinstance(raw.get("workload"), Mapping) else {}
    tasks_raw = workload.get("tasks") if isinstance(workload, Mapping) else None
    if isinstance(tasks_raw, list):
        tasks = [str(t.get("task")) for t in tasks_raw if isinstance(t, Mapping)]
    else:
        single = workload.get("task") if isinstance(workload, Mapping) else None
        tasks = [str(single)] if single else []
    for b, block in enumerate(spec.search):
        for j, name in enumerate(block.tasks or []):
            if name not in tasks:
                raise InputError(
                    f"unknown task {name!r}, expected one of {', '.join(tasks)}",
                    file=file,
                    field=f"plan.search[{b}].tasks[{j}]",
                )
    multi = {p.id: len(p.configuration_keys()) > 1 for p in repo.models.values()}
    generated = [c.option(multi[c.profile]) for c in result.candidates]
    given = dict(spec.candidates)
    candidates: dict[str, list[Any]] = {}
    for t in tasks:
        mine = [c.id for c in result.candidates if c.tasks is None or t in c.tasks]
        candidates[t] = [*given.get(t, hand), *mine]
    new_plan = {**plan_raw, "candidates": candidates}
    return {**raw, "options": [*options, *generated], "plan": new_plan}
