"""The ML.ENERGY Leaderboard v3 result file, as `tco import mlenergy` accepts it: read through the file gate,
parsed as JSON of bounded nesting, and every field checked by a pydantic model, before any conversion.

Validation only: what the numbers mean is measure/importers/mlenergy.py's business. The models list every
field the v3 files hold (extra="forbid": a key the format does not have is refused, since the importer
could not know whether it changes what the numbers mean), in strict mode (a count is a JSON integer, never
"8", 8.0, true or null), with finite numbers (no NaN, no Infinity) in plausible ranges and texts of bounded
length. A file is the user's data, not a scenario: messages name the file and the field, never its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.yamlio import parse_json_text, read_text_checked

MAX_BYTES = 20 * 1024 * 1024  # the largest v3 file is 107 kB
MAX_DEPTH = 8  # the format nests 4 deep: file, configurations, a configuration, its histogram
MAX_CONFIGURATIONS = 10_000  # the largest v3 file has 50
MAX_BINS = 10_000  # histogram bins; v3 files have 50
MAX_GPUS = 1024  # a profile's accelerators per replica, at most
MAX_BATCH = 65_536  # a profile's batch size, at most

WHAT = "an ML.ENERGY v3 JSON file"


class _Format(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length)]


Positive = Annotated[float, Field(gt=0.0, le=1e12)]
NonNegative = Annotated[float, Field(ge=0.0, le=1e12)]
Milliseconds = Annotated[float, Field(ge=0.0, le=1e9)]


class Histogram(_Format):
    """Output lengths (tokens): `counts[i]` requests between `bins[i]` and `bins[i + 1]`."""

    bins: list[Annotated[float, Field(ge=0.0, le=1e9)]] = Field(min_length=2, max_length=MAX_BINS + 1)
    counts: list[Annotated[int, Field(ge=0, le=10**12)]] = Field(min_length=1, max_length=MAX_BINS)

    @model_validator(mode="after")
    def _consistent(self) -> Histogram:
        if len(self.bins) != len(self.counts) + 1:
            raise ValueError(
                f"{len(self.bins)} bin edges for {len(self.counts)} counts, expected {len(self.counts) + 1}"
            )
        if any(b <= a for a, b in zip(self.bins, self.bins[1:], strict=False)):
            raise ValueError("bin edges not increasing, expected each edge above the one before")
        if sum(self.counts) <= 0:
            raise ValueError("every count is 0, expected some requests")
        return self


class Parallelization(_Format):
    tensor_parallel: int = Field(ge=1, le=MAX_GPUS)
    expert_parallel: int | None = Field(default=None, ge=1, le=MAX_GPUS)
    data_parallel: int | None = Field(default=None, ge=1, le=MAX_GPUS)
    notes: _text(1000) | None = None  # type: ignore[valid-type]


class Configuration(_Format):
    """One server configuration of one model on one task: GPU, GPU count, batch cap, and its figures."""

    gpu_model: _text(40, 1)  # type: ignore[valid-type]
    num_gpus: int = Field(ge=1, le=MAX_GPUS)
    max_num_seqs: int = Field(ge=1, le=MAX_BATCH)
    energy_per_request_joules: Positive
    energy_per_token_joules: NonNegative | None = None
    avg_output_len: Positive
    output_throughput_tokens_per_sec: Positive
    median_itl_ms: Milliseconds
    p90_itl_ms: Milliseconds | None = None
    p95_itl_ms: Milliseconds
    p99_itl_ms: Milliseconds | None = None
    avg_batch_size: NonNegative | None = None
    avg_power_watts: NonNegative | None = None
    output_length_distribution: Histogram
    parallelization: Parallelization | None = None


class MlEnergyFile(_Format):
    """One model on one task (`{org}__{model}__{task}.json` of the leaderboard's data)."""

    model_id: _text(300, 1)  # type: ignore[valid-type]
    task: _text(80, 1)  # type: ignore[valid-type]
    total_params_billions: Annotated[float, Field(gt=0.0, le=1e6)]
    activated_params_billions: Annotated[float, Field(gt=0.0, le=1e6)] | None = None
    weight_precision: _text(40) | None = None  # type: ignore[valid-type]
    architecture: _text(200) | None = None  # type: ignore[valid-type]
    output_length_distribution: Histogram | None = None
    configurations: list[Configuration] = Field(min_length=1, max_length=MAX_CONFIGURATIONS)


def read_mlenergy_file(path: Path) -> dict[str, Any]:
    """The checked content of one ML.ENERGY v3 file, as parsed (fields the file leaves out stay out).

    One InputError line naming the file and the field for anything else: not a regular file, over
    MAX_BYTES, not UTF-8, a control character, not JSON, nested deeper than MAX_DEPTH, a field missing,
    unknown, of the wrong type or out of range."""
    file = str(path)
    text = read_text_checked(path, max_bytes=MAX_BYTES, what=WHAT)
    data = parse_json_text(text, file=file, max_depth=MAX_DEPTH)
    if not isinstance(data, dict):
        raise InputError(
            f"expected a JSON object with model_id, task and configurations, got a {type(data).__name__}",
            file=file,
        )
    validate(MlEnergyFile, data, file=file, private=True)
    return data
