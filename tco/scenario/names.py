"""The name people read for an option, built from what it is now: its words, model, hardware and region.

A scenario's `name` of an option says what the option is in words (the model, a fine-tune, how it is paid);
the hardware, the deployment and the region are added from the option's current inputs, so a what-if that
moves an option to another region or GPU renames it: `Fine-tuned DistilBERT, T4 cloud, India`. Hardware,
deployment and region a written name states at its end are dropped first (`label_of`), so `Fine-tuned
DistilBERT, T4 cloud, France` moved to India reads `Fine-tuned DistilBERT, T4 cloud, India`. An option
without a `name` is named by its model (the profile's model id without its organisation) or API offering.
Built here, in the scenario layer, because the engine inputs carry it to every table, chart, plan and report;
`tco.presentation.labels.option_name` is the same function.

    >>> option_name("Llama 3.1 70B", deployment="on-prem", hardware="H100", accelerators=4, region="Virginia")
    'Llama 3.1 70B, 4x H100 on-prem, Virginia'
    >>> option_name("Llama 3.1 70B", deployment="api")
    'Llama 3.1 70B via API'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tco.scenario.schema import Hardware, Region

VENDORS = ("NVIDIA", "AMD", "Instinct", "Intel")  # words dropped from the front of a hardware name
DEPLOYMENTS = ("on-prem", "cloud")
_HARDWARE_PART = re.compile(r"^(?:\d+x )?(?P<hw>.+?)(?: (?:on-prem|cloud))?$")


def hardware_words(hw: Hardware) -> str:
    """A hardware's short name: its `short_name`, else its name without the vendor and what follows the
    part number (`NVIDIA H100 SXM5 80GB` -> `H100`)."""
    if hw.short_name:
        return hw.short_name
    words = hw.name.split()
    while len(words) > 1 and words[0] in VENDORS:
        words = words[1:]
    return words[0]


def region_words(r: Region) -> str:
    """A region's short name: the part after its country (`United States, Virginia` -> `Virginia`)."""
    return r.name.rsplit(",", 1)[-1].strip()


def model_words(model_name: str) -> str:
    """A model's name without its organisation: `meta-llama/Llama-3.1-8B-Instruct` -> `Llama-3.1-8B-Instruct`."""
    return model_name.rsplit("/", 1)[-1]


def fact_words(hardware: Iterable[Hardware], regions: Iterable[Region]) -> frozenset[str]:
    """The words of every hardware and region a name may state (short and full), for `label_of`."""
    words = {w for hw in hardware for w in (hw.name, hardware_words(hw))}
    words |= {w for r in regions for w in (r.name, region_words(r))}
    return frozenset(words)


def label_of(name: str, facts: frozenset[str]) -> str:
    """A written option name without the hardware, deployment and region it states at its end
    (`Fine-tuned DistilBERT, T4 cloud, France` -> `Fine-tuned DistilBERT`): those are added again from the
    option's current inputs, so a name written before a what-if moved the option does not keep the old ones.
    The first comma-separated part is always kept."""
    parts = [p.strip() for p in name.split(",")]
    while len(parts) > 1:
        last = parts[-1]
        m = _HARDWARE_PART.match(last)
        if last in facts or last in DEPLOYMENTS or (m is not None and m["hw"] in facts):
            parts.pop()
        else:
            break
    return ", ".join(parts)


def option_name(
    label: str,
    *,
    deployment: str,
    hardware: str | None = None,
    accelerators: int = 1,
    region: str | None = None,
) -> str:
    """`label, [Nx ]HARDWARE DEPLOYMENT, REGION` for a hosted option; `label via API` for an API option
    (unless the label says API already): the name people read, from the option's current inputs."""
    if deployment == "api":
        return label if "API" in label else f"{label} via API"
    count = f"{accelerators}x " if accelerators > 1 else ""
    parts = [label, f"{count}{hardware} {deployment}" if hardware else deployment]
    if region:
        parts.append(region)
    return ", ".join(parts)


__all__ = ["fact_words", "hardware_words", "label_of", "model_words", "option_name", "region_words"]
