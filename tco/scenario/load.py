"""Load a scenario: read the file, expand option grids, validate, attach extra profiles, resolve.

`LoadedScenario` is what every layer above works with: the validated scenario, the raw mapping it came from
(the app's what-if state), the reference data it refers to and, resolved once, its engine inputs.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tco.errors import InputError
from tco.scenario.analysis_checks import check_analysis_sections
from tco.scenario.cascade import MeasuredCascade, load_measured_cascades
from tco.scenario.files import DEFAULT_SCENARIO as DEFAULT_SCENARIO  # the default scenario's name
from tco.scenario.files import reads_other_files, scenario_name
from tco.scenario.grids import expand_grids
from tco.scenario.repository import (
    Repository,
    data_files,
    load_model_profile,
    load_repository,
    validate,
    with_scenario_apis,
)
from tco.scenario.resolve import Resolved, resolve
from tco.scenario.schema import Scenario, Workload
from tco.scenario.search import expand_search
from tco.scenario.yamlio import dump_yaml, read_yaml


@dataclass
class LoadedScenario:
    """A validated scenario, the raw mapping it came from (the what-if state), and the data it refers to."""

    spec: Scenario
    raw: dict[str, Any]
    file: str
    repo: Repository
    base_dir: Path | None = None
    # None: `profile_files` are read from disk. A tuple: the scenario came from elsewhere (an upload) and
    # may name only these profile files, already in `repo`; nothing is read from the disk.
    uploaded_profiles: tuple[str, ...] | None = None
    # the measured files of `plan.cascades` with `escalate: {measured: ...}`, by cascade id
    cascades: Mapping[str, MeasuredCascade] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def to_yaml(self) -> str:
        """YAML that reproduces this scenario (and its numbers) with `tco report`."""
        return dump_yaml(self.raw)

    @cached_property
    def resolved(self) -> Resolved:
        """Engine inputs and assumptions (resolved once per loaded scenario)."""
        return resolve(self.spec, self.repo, file=self.file, cascades=self.cascades)

    def with_changes(self, raw: Mapping[str, Any]) -> LoadedScenario:
        """The same scenario with another raw mapping, validated again."""
        return scenario_from_dict(
            raw,
            file=self.file,
            repo=self.repo,
            base_dir=self.base_dir,
            uploaded_profiles=self.uploaded_profiles,
        )

    def with_workload(self, raw: Mapping[str, Any], values: Mapping[str, Any]) -> LoadedScenario:
        """The same scenario with another workload section and no plan (a portfolio's task on its own).

        `raw` is the new section as written (kept in `raw`); `values` holds the same keys as values already
        parsed: numbers in the field's unit, `Parsed` for a quantity with a dimension. Only the workload is
        validated again, so no text is parsed again; everything else is this scenario's validated data, and
        the result is `with_changes` of the raw mapping with that section (and without `plan`).
        """
        changed = {k: v for k, v in self.raw.items() if k != "plan"}
        changed["workload"] = copy.deepcopy(dict(raw))
        workload = validate(Workload, dict(values), file=self.file, prefix="workload")
        spec = self.spec.model_copy(update={"workload": workload, "plan": None})
        check_analysis_sections(spec, self.file)
        result = LoadedScenario(
            spec, copy.deepcopy(changed), self.file, self.repo, self.base_dir, self.uploaded_profiles
        )
        # the same currency section: its exchange rates as parsed for this scenario
        result.resolved = resolve(spec, self.repo, file=self.file, rates=self.resolved.rates)
        return result


def _shipped_scenario(name: str, repo: Repository) -> Path:
    files = repo.scenario_files()
    if name not in files:
        raise InputError(
            f"no shipped scenario {name!r} and no such file, expected a path or one of {', '.join(files)}",
            file=name,
        )
    return files[name]


def load_scenario(
    source: str | Path | None = None,
    *,
    repo: Repository | None = None,
    extra_profiles: Iterable[str | Path] = (),
) -> LoadedScenario:
    """Load a scenario file (or a shipped scenario by name; the default one when `source` is None).

    A scenario loaded with the shipped data and no extra profiles is cached by content (tco.scenario.cache).
    """
    shipped = repo is None
    repo = repo if repo is not None else load_repository()
    extra = list(extra_profiles)
    for p in extra:
        repo = repo.with_profile(load_model_profile(p), str(p))
    name = scenario_name(source)
    path = _shipped_scenario(name, repo) if name is not None else Path(str(source))
    raw = read_yaml(path)
    if (
        shipped
        and not extra
        and isinstance(raw, Mapping)
        and not raw.get("profile_files")
        and not reads_other_files(raw)
    ):
        from tco.scenario import cache

        return cache.cached(
            [path, *data_files(repo.root)],
            lambda: scenario_from_dict(raw, file=str(path), repo=repo, base_dir=path.parent),
            kind="scenario",
            extra=f"{path}|{path.resolve()}",
        )
    return scenario_from_dict(raw, file=str(path), repo=repo, base_dir=path.parent)


def scenario_from_dict(
    raw: Any,
    *,
    file: str = "scenario",
    repo: Repository | None = None,
    base_dir: Path | None = None,
    uploaded_profiles: Collection[str] | None = None,
) -> LoadedScenario:
    """Validate a scenario given as a mapping (as parsed from YAML, or edited by the app).

    `uploaded_profiles`: for a scenario that did not come from this machine's disk (the app's upload), the
    file names of the profiles uploaded with it, already in `repo`. Its `profile_files` may name only
    those; no path it holds is ever opened, so it learns nothing about the server's files.
    """
    repo = repo if repo is not None else load_repository()
    # option grids and plan.search's candidates -> options; `raw` itself stays unexpanded
    expanded = expand_search(expand_grids(raw, file=file), repo, file=file)
    spec = validate(Scenario, expanded, file=file)
    check_analysis_sections(spec, file)  # cross-field: option ids, parameter order, ranges
    repo = with_scenario_apis(repo, spec.apis, file, int(spec.start[:4]))
    if uploaded_profiles is not None:
        _check_uploaded(spec.profile_files, tuple(uploaded_profiles), file)
        cascades = load_measured_cascades(spec.plan, file=file, base_dir=None)
        result = LoadedScenario(
            spec, copy.deepcopy(dict(raw)), file, repo, None, tuple(uploaded_profiles), cascades
        )
        result.resolved  # noqa: B018  (resolve now, so reference errors surface at load)
        return result
    for i, rel in enumerate(spec.profile_files):
        p = Path(rel)
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        try:
            repo = repo.with_profile(load_model_profile(p), str(p))
        except InputError as e:
            if e.file is None or (e.file == str(p) and "no such file" in e.detail):
                raise InputError(e.detail, file=file, field=f"profile_files[{i}] ({p})") from e
            raise
    cascades = load_measured_cascades(spec.plan, file=file, base_dir=base_dir)
    result = LoadedScenario(spec, copy.deepcopy(dict(raw)), file, repo, base_dir, cascades=cascades)
    result.resolved  # noqa: B018  (resolve now, so reference errors surface at load)
    return result


def _check_uploaded(profile_files: list[str], uploaded: tuple[str, ...], file: str) -> None:
    for i, name in enumerate(profile_files):
        if name not in uploaded:
            have = (
                f"uploaded in this session: {', '.join(repr(u) for u in uploaded)}"
                if uploaded
                else "none uploaded in this session yet"
            )
            raise InputError(
                "an uploaded scenario cannot read files on the server, expected the file name of a profile "
                f"uploaded on the Profiles page ({have}), or no entry and a shipped profile by id",
                file=file,
                field=f"profile_files[{i}]",
            )
