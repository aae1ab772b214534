"""Reference data: hardware, regions, API offerings, model profiles and scenarios shipped under `profiles/`.

Every file is validated against tco.scenario.schema; duplicates and dangling references are rejected with a message
naming the file and the key. Loading is explicit (nothing happens at import time) and cheap enough to
cache in the app.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from tco.errors import InputError, ReferenceDataError
from tco.scenario.files import PROFILES_ENV as PROFILES_ENV  # where it was first defined
from tco.scenario.files import data_files, default_profiles_dir, shipped_scenarios
from tco.scenario.schema import (
    ApiEnergyMethod,
    ApiOffering,
    BuiltinDefaults,
    ElectricityImpacts,
    Hardware,
    ModelProfile,
    Region,
    ScenarioApi,
    ServingMethod,
    SiteFields,
)
from tco.scenario.yamlio import FIELD_NAME, QUOTED, read_yaml

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Identified = TypeVar("Identified", bound=_HasId)


def format_loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_error(e: ValidationError, *, file: str, prefix: str = "", private: bool = False) -> InputError:
    """One line out of a pydantic ValidationError: the first problem, with file and field.

    `private`: the file is not one the user wrote as a scenario (a profile, a cascade measurement, an
    imported file): keys are shown only when they look like field names, and no text of the file is quoted
    (numbers are: they say what was out of range, and hold nothing to leak)."""
    errors = e.errors()
    # A typo shows up as an unknown field plus a missing one: name the typo first, with a suggestion.
    errors.sort(key=lambda x: x["type"] != "extra_forbidden")
    err = errors[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and ("function-" in p or p.startswith("tuple[")))]
    if private and err["type"] == "extra_forbidden" and loc and not FIELD_NAME.match(str(loc[-1])):
        loc = loc[:-1]  # said in the message instead
    if private:
        loc = [p if isinstance(p, int) or FIELD_NAME.match(str(p)) else "(key not shown)" for p in loc]
    field_path = format_loc(loc)
    if prefix:
        field_path = (
            f"{prefix}.{field_path}" if field_path and not field_path.startswith("[") else prefix + field_path
        )
    msg = str(err["msg"])
    for lead in ("Value error, ", "Assertion failed, "):
        if msg.startswith(lead):
            msg = msg[len(lead) :]
    if err["type"] == "missing":
        msg = "missing, this field is required"
    elif err["type"] == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else ""
        parent = tuple(err["loc"][:-1])
        missing = [
            str(x["loc"][-1]) for x in errors if x["type"] == "missing" and tuple(x["loc"][:-1]) == parent
        ]
        close = difflib.get_close_matches(name, missing, n=1)
        hint = (
            f"did you mean {close[0]!r}?" if close else "check the spelling against the format in README.md"
        )
        msg = f"unknown field, {hint}"
        if private and not FIELD_NAME.match(name):
            msg = "a key that is not a field name of this format (its text is not shown)"
    elif private:
        msg = _redacted(msg, err.get("input"))
        value = err.get("input")
        if "input" in err and _is_number(value) and err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg}, got {value!r}"
    elif (
        "input" in err
        and err["type"] not in ("value_error", "assertion_error")
        and not msg.startswith("got ")
    ):
        shown = repr(err["input"])
        msg = f"{msg}, got {shown[:80]}"
    more = len(errors) - 1
    if err["type"] == "extra_forbidden" and len(errors) == 2 and errors[1]["type"] == "missing":
        more = 0  # the missing field is the same typo
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(msg + suffix, file=file, field=field_path or None)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _redacted(msg: str, value: Any) -> str:
    """`msg` with every quoted part of a text `value` replaced (validators say "got '5 W'", "unit 'x'")."""
    if not isinstance(value, str):
        return msg
    text = value.strip()

    def hide(m: re.Match[str]) -> str:
        inner = m.group()[1:-1]
        return "(value not shown)" if inner and (inner in repr(value) or inner in text) else m.group()

    return QUOTED.sub(hide, msg)


def validate(model: type[T], data: Any, *, file: str, prefix: str = "", private: bool = False) -> T:
    """Validate `data` as `model`, raising one-line InputErrors (`private`: see `validation_error`)."""
    if data is None and not prefix:
        raise InputError("file is empty, expected a YAML mapping of fields", file=file)
    if not isinstance(data, Mapping):
        raise InputError(
            f"expected a mapping of fields, got {type(data).__name__}", file=file, field=prefix or None
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file=file, prefix=prefix, private=private) from e
    except InputError as e:  # raised by a validator outside pydantic's wrapping
        raise e.located(file=file, field=prefix or None) from e


def _load_list(path: Path, key: str, model: type[T]) -> list[T]:
    data = read_yaml(path)
    if not isinstance(data, Mapping) or key not in data:
        raise InputError(f"expected a top-level key {key!r} holding a list", file=str(path))
    items = data[key]
    if not isinstance(items, list):
        raise InputError(f"expected a list, got {type(items).__name__}", file=str(path), field=key)
    extra = sorted(set(data) - {key})
    if extra:
        raise InputError(f"unknown top-level keys {extra}, expected only {key!r}", file=str(path))
    out = [validate(model, item, file=str(path), prefix=f"{key}[{i}]") for i, item in enumerate(items)]
    return out


def _index(items: Iterable[Identified], *, file_of: Mapping[int, str], what: str) -> dict[str, Identified]:
    out: dict[str, Identified] = {}
    where: dict[str, str] = {}
    for i, item in enumerate(items):
        key = item.id
        if key in out:
            raise ReferenceDataError(f"duplicate {what} id {key!r} (also in {where[key]})", file=file_of[i])
        out[key] = item
        where[key] = file_of[i]
    return out


@dataclass
class Repository:
    """All reference data, validated and cross-checked."""

    root: Path
    hardware: dict[str, Hardware]
    regions: dict[str, Region]
    apis: dict[str, ApiOffering]
    models: dict[str, ModelProfile]
    api_energy: ApiEnergyMethod
    defaults: BuiltinDefaults
    model_files: dict[str, Path] = field(default_factory=dict)
    # `defaults` validated once per deployment (their text parsed), by deployment
    site_defaults: dict[str, SiteFields] = field(default_factory=dict)
    # the prefill model and benchmark input lengths (methods/serving.yaml); None: no input-length model
    serving: ServingMethod | None = None
    # grid ADPe, PE and water per kWh by country (methods/electricity-impacts.yaml); None: not given (zeros)
    electricity_impacts: ElectricityImpacts | None = None
    # ids of `apis` a scenario declared (`with_scenario_apis`): a scenario validated again replaces them
    scenario_api_ids: frozenset[str] = frozenset()

    def scenario_files(self) -> dict[str, Path]:
        """Shipped scenarios by name (file stem)."""
        return shipped_scenarios(self.root)

    def with_profile(self, profile: ModelProfile, file: str) -> Repository:
        """A copy with one more (or a replaced) model profile, checked like shipped ones."""
        _check_profile_refs(profile, self.hardware, file)
        models = {**self.models, profile.id: profile}
        files = {**self.model_files, profile.id: Path(file)}
        return Repository(
            self.root,
            self.hardware,
            self.regions,
            self.apis,
            models,
            self.api_energy,
            self.defaults,
            files,
            self.site_defaults,
            self.serving,
            self.electricity_impacts,
            self.scenario_api_ids,
        )


def with_scenario_apis(repo: Repository, apis: list[ScenarioApi], file: str, year: int) -> Repository:
    """A copy of `repo` with a scenario's own API offerings (`apis:`), checked like shipped ones: one clear
    line for an id the data already has or a region it lacks."""
    if not apis:
        return repo
    added: dict[str, ApiOffering] = {}
    for i, a in enumerate(apis):
        where = f"apis[{i}]"
        if (a.id in repo.apis and a.id not in repo.scenario_api_ids) or a.id in added:
            raise ReferenceDataError(
                f"API offering {a.id!r} is already defined, expected an id of its own", file=file, field=where
            )
        if a.region not in repo.regions:
            raise ReferenceDataError(
                f"unknown region {a.region!r}, expected one of {', '.join(sorted(repo.regions))}",
                file=file,
                field=f"{where}.region",
            )
        added[a.id] = validate(ApiOffering, a.offering_data(file, year), file=file, prefix=where)
    return dataclasses.replace(
        repo, apis={**repo.apis, **added}, scenario_api_ids=repo.scenario_api_ids | frozenset(added)
    )


def _check_profile_refs(profile: ModelProfile, hardware: Mapping[str, Hardware], file: str) -> None:
    if profile.hardware not in hardware:
        raise ReferenceDataError(
            f"unknown hardware {profile.hardware!r}, expected one of {', '.join(sorted(hardware))}",
            file=file,
            field="hardware",
        )


def load_model_profile(path: Path | str) -> ModelProfile:
    """Load one model profile file (as written by `tco measure` or by hand).

    A profile may be any file a scenario or `--profile` names, so its messages never quote its text."""
    return validate(ModelProfile, read_yaml(path, private=True), file=str(path), private=True)


def load_repository(root: Path | str | None = None, extra_profiles: Iterable[Path | str] = ()) -> Repository:
    """Load and cross-check all reference data under `root` (default: the shipped `profiles/`).

    Validated data is cached by the content of its files (tco.scenario.cache): unchanged data loads
    without validating again.
    """
    from tco.scenario import cache

    root = Path(root) if root is not None else default_profiles_dir()
    if not root.is_dir():
        raise InputError("no such folder, expected the profiles/ folder of slm-tco", file=str(root))
    extra = [Path(p) for p in extra_profiles]
    return cache.cached(data_files(root) + extra, lambda: _load_repository(root, extra))


def _load_repository(root: Path, extra_profiles: list[Path]) -> Repository:
    hw_file = root / "hardware.yaml"
    hardware_list = _load_list(hw_file, "hardware", Hardware)
    hardware = _index(
        hardware_list, file_of={i: str(hw_file) for i in range(len(hardware_list))}, what="hardware"
    )
    rg_file = root / "regions.yaml"
    region_list = _load_list(rg_file, "regions", Region)
    regions = _index(region_list, file_of={i: str(rg_file) for i in range(len(region_list))}, what="region")
    api_file = root / "apis.yaml"
    api_list = _load_list(api_file, "apis", ApiOffering) if api_file.exists() else []
    apis = _index(api_list, file_of={i: str(api_file) for i in range(len(api_list))}, what="API offering")
    for i, a in enumerate(api_list):
        if a.region not in regions:
            raise ReferenceDataError(
                f"unknown region {a.region!r}, expected one of {', '.join(sorted(regions))}",
                file=str(api_file),
                field=f"apis[{i}].region",
            )
    method_file = root / "methods" / "api-energy.yaml"
    api_energy = validate(ApiEnergyMethod, read_yaml(method_file), file=str(method_file))

    defaults_file = root / "methods" / "defaults.yaml"
    defaults = validate(BuiltinDefaults, read_yaml(defaults_file), file=str(defaults_file))
    site_defaults: dict[str, SiteFields] = {}
    for dep in ("on-prem", "cloud", "api"):
        table = defaults.for_deployment(dep)
        missing = sorted(set(SiteFields.model_fields) - SiteFields.NO_DEFAULT - set(table))
        if missing:
            raise ReferenceDataError(f"missing defaults {missing}", file=str(defaults_file), field=dep)
        site_defaults[dep] = validate(
            SiteFields, {k: v.value for k, v in table.items()}, file=str(defaults_file), prefix=dep
        )

    serving_file = root / "methods" / "serving.yaml"
    serving = (
        validate(ServingMethod, read_yaml(serving_file), file=str(serving_file))
        if serving_file.exists()
        else None
    )

    impacts_file = root / "methods" / "electricity-impacts.yaml"
    electricity_impacts = (
        validate(ElectricityImpacts, read_yaml(impacts_file), file=str(impacts_file))
        if impacts_file.exists()
        else None
    )

    model_paths = sorted((root / "models").glob("*.yaml")) + [Path(p) for p in extra_profiles]
    profiles = [load_model_profile(p) for p in model_paths]
    models = _index(profiles, file_of={i: str(p) for i, p in enumerate(model_paths)}, what="model profile")
    for p, path in zip(profiles, model_paths, strict=True):
        _check_profile_refs(p, hardware, str(path))
    files = {p.id: path for p, path in zip(profiles, model_paths, strict=True)}
    log.debug(
        "loaded %d hardware, %d regions, %d APIs, %d profiles",
        len(hardware),
        len(regions),
        len(apis),
        len(models),
    )
    return Repository(
        root,
        hardware,
        regions,
        apis,
        models,
        api_energy,
        defaults,
        files,
        site_defaults,
        serving,
        electricity_impacts,
    )
