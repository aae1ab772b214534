"""Where scenarios and reference data are on disk: the shipped folder, its files, a scenario's path.

Light on purpose (no pydantic, no numpy): a cached `tco report` finds its inputs through it without loading
the layers that validate them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

PROFILES_ENV = "SLM_TCO_PROFILES"
DEFAULT_SCENARIO = "portfolio"


def default_profiles_dir() -> Path:
    """The reference-data folder: $SLM_TCO_PROFILES if set, else the `profiles/` shipped with the package."""
    override = os.environ.get(PROFILES_ENV)
    if override:
        return Path(override)
    return Path(str(resources.files("slm_tco_profiles")))


def data_files(root: Path) -> list[Path]:
    """The files a repository under `root` is built from (the cache keys on their content)."""
    files = [root / "hardware.yaml", root / "regions.yaml", root / "apis.yaml"]
    files += [root / "methods" / "api-energy.yaml", root / "methods" / "defaults.yaml"]
    files += [root / "methods" / "serving.yaml", root / "methods" / "electricity-impacts.yaml"]
    return [f for f in files if f.exists()] + sorted((root / "models").glob("*.yaml"))


def shipped_scenarios(root: Path) -> dict[str, Path]:
    """Shipped scenarios under `root` by name (file stem)."""
    folder = root / "scenarios"
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def _exists(path: Path) -> bool:
    """Whether `path` exists; False for a name the system cannot even look up (too long, say)."""
    try:
        return path.exists()
    except OSError:
        return False


def scenario_name(source: str | Path | None) -> str | None:
    """The shipped scenario `source` names (the default one for None), or None when it is a path: a file
    that exists, or a name ending in .yaml/.yml or holding a slash."""
    if source is None:
        return DEFAULT_SCENARIO
    if _exists(Path(source)) or str(source).endswith((".yaml", ".yml")) or "/" in str(source):
        return None
    return str(source)


def reads_other_files(raw: Mapping[str, Any]) -> bool:
    """Whether the scenario reads files besides itself and the reference data (a measured cascade's file,
    `plan.cascades[].escalate.measured`): their content is in no cache key, so such a scenario is not cached."""
    plan = raw.get("plan")
    cascades = plan.get("cascades") if isinstance(plan, Mapping) else None
    return isinstance(cascades, list) and any(
        isinstance(c, Mapping) and isinstance(c.get("escalate"), Mapping) for c in cascades
    )
