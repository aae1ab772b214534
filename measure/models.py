"""Load a model with transformers (`from_pretrained`) and run one batch of prompts through it, timed.

Kinds: causal LM generation (AutoModelForCausalLM), seq2seq generation (AutoModelForSeq2SeqLM) and
sequence classification (AutoModelForSequenceClassification), detected from the config's architectures
unless given. torch and transformers are imported here only, when a model is loaded.
"""

from __future__ import annotations

import logging
import re
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from measure.tasks import Prompt, Task
from tco.errors import InputError

log = logging.getLogger(__name__)

Kind = Literal["causal-lm", "seq2seq", "classifier"]
KINDS: tuple[str, ...] = ("auto", "causal-lm", "seq2seq", "classifier")
DTYPES: dict[str, str] = {
    "float32": "float32",
    "fp32": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}
MAX_INPUT_TOKENS = 2048  # tokens; prompts are truncated beyond this (or the model's own limit)
# `from_pretrained(dtype=...)` exists from transformers 4.56 (older releases take `torch_dtype`); keep in
# step with the `measure` extra of pyproject.toml
TRANSFORMERS_MIN_VERSION = (4, 56)


def version_tuple(text: str) -> tuple[int, ...]:
    """ "4.56.0.dev0" -> (4, 56, 0): the leading numeric parts of a version string."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def check_transformers_version(version: str) -> None:
    """Raise a one-line ModelLoadError if `version` of transformers is older than we need."""
    if version_tuple(version) < TRANSFORMERS_MIN_VERSION:
        need = ".".join(map(str, TRANSFORMERS_MIN_VERSION))
        raise ModelLoadError(
            f"transformers {version} is too old, expected {need} or newer (pip install 'transformers>={need}')",
            field="transformers",
        )


class ModelLoadError(InputError):
    """A model cannot be found, recognised or loaded."""


def detect_kind(config: Any) -> Kind:
    """The model kind from a transformers config: its `architectures`, else encoder-decoder or causal."""
    archs = [str(a) for a in (getattr(config, "architectures", None) or [])]
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return "classifier"
    if getattr(config, "is_encoder_decoder", False) or any("ConditionalGeneration" in a for a in archs):
        return "seq2seq"
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs):
        return "causal-lm"
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if getattr(config, "model_type", None) in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return "causal-lm"
    raise ModelLoadError(
        f"cannot tell the model kind from architectures {archs or 'none'}, "
        "expected --kind causal-lm, seq2seq or classifier",
        field="kind",
    )


def resolve_device(device: str) -> str:
    """ "auto" -> "cuda:0" when CUDA is available, else "cpu"; "cuda" -> "cuda:0"; others as given."""
    import torch

    if device == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if device in ("cuda", "cuda-all"):
        if not torch.cuda.is_available():
            raise InputError(f"device {device!r} asked for, but torch sees no CUDA GPU", field="device")
        return "cuda:0" if device == "cuda" else device
    if device == "cpu" or re.fullmatch(r"cuda:\d+", device):
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device {device!r} asked for, but torch sees no CUDA GPU", field="device")
        return device
    raise InputError(
        f"unknown device {device!r}, expected auto, cpu, cuda, cuda:N or cuda-all", field="device"
    )


def resolve_dtype(dtype: str, device: str) -> str:
    """The torch dtype name to load with: "auto" is bfloat16 on GPUs that support it, float16 on other
    GPUs, float32 on CPU."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda"):
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float32"
    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r}, expected auto, {', '.join(sorted(set(DTYPES.values())))}")
    return DTYPES[dtype]


@dataclass
class LoadedModel:
    """A model ready to run, with what the profile needs to know about it."""

    model: Any
    tokenizer: Any
    kind: Kind
    name: str
    device: str  # "cpu", "cuda:0", "cuda-all"
    dtype: str
    parameters: int
    cuda_ordinals: list[int] = field(default_factory=list)  # GPUs the weights occupy
    cuda_uuids: list[str] | None = None  # torch's UUID of each of those GPUs, for NVML
    newly_initialised: list[str] = field(default_factory=list)  # weights not in the checkpoint


def check_config(name_or_path: str) -> None:
    """Raise the one-line ModelLoadError `load_model` would, where the model's config cannot be read."""
    import transformers

    try:
        transformers.AutoConfig.from_pretrained(name_or_path)
    except (OSError, ValueError, KeyError, ImportError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {first[:300]}", field="model") from e


def load_model(
    name_or_path: str, *, kind: str = "auto", dtype: str = "auto", device: str = "auto"
) -> LoadedModel:
    """Load `name_or_path` (hub id or local folder) with its tokenizer through `from_pretrained`."""
    import torch
    import transformers

    check_transformers_version(transformers.__version__)
    if kind not in KINDS:
        raise ModelLoadError(f"unknown kind {kind!r}, expected one of {', '.join(KINDS)}", field="kind")
    dev = resolve_device(device)
    dtype_name = resolve_dtype(dtype, dev)
    try:
        config = transformers.AutoConfig.from_pretrained(name_or_path)
        model_kind: Kind = detect_kind(config) if kind == "auto" else kind  # type: ignore[assignment]
        auto_cls = {
            "causal-lm": transformers.AutoModelForCausalLM,
            "seq2seq": transformers.AutoModelForSeq2SeqLM,
            "classifier": transformers.AutoModelForSequenceClassification,
        }[model_kind]
        tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path)
        kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype_name)}
        if dev == "cuda-all":
            kwargs["device_map"] = "auto"
        model, info = auto_cls.from_pretrained(name_or_path, output_loading_info=True, **kwargs)
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError, ImportError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {first[:300]}", field="model") from e
    if dev != "cuda-all":
        model.to(dev)
    model.eval()
    if model_kind == "causal-lm":
        tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(
                f"tokenizer of {name_or_path!r} has neither a pad nor an eos token", field="model"
            )
        tokenizer.pad_token = tokenizer.eos_token
    ordinals: list[int] = []
    if dev == "cuda-all":
        dm = getattr(model, "hf_device_map", {}) or {}
        ordinals = sorted(
            {int(v) for v in dm.values() if isinstance(v, int)}
            | {int(str(v).split(":")[1]) for v in dm.values() if str(v).startswith("cuda:")}
        )
    elif dev.startswith("cuda"):
        ordinals = [int(dev.split(":")[1])]
    name = name_or_path if not Path(name_or_path).exists() else Path(name_or_path).resolve().name
    parameters = int(sum(p.numel() for p in model.parameters()))
    missing = sorted(str(k) for k in (info or {}).get("missing_keys", []) or [])
    return LoadedModel(
        model,
        tokenizer,
        model_kind,
        name,
        dev,
        dtype_name,
        parameters,
        ordinals,
        cuda_uuids=_cuda_uuids(ordinals) if ordinals else None,
        newly_initialised=missing,
    )


def _cuda_uuids(ordinals: Sequence[int]) -> list[str] | None:
    """torch's UUID of each CUDA device, or None where this torch does not tell."""
    import torch

    out: list[str] = []
    for i in ordinals:
        uuid = getattr(torch.cuda.get_device_properties(i), "uuid", None)
        if uuid is None:
            return None
        out.append(str(uuid))
    return out


@dataclass(frozen=True)
class BatchResult:
    """One batch run: outputs and token counts per query; times in s for the whole batch."""

    outputs: list[str]
    input_tokens: list[int]
    output_tokens: list[int]
    latency_s: float  # end to end: tokenise, run, decode
    ttft_s: float | None  # time to first token (generation only)
    tpot_s: float | None  # time per output token after the first (generation only)


def is_out_of_memory(e: BaseException) -> bool:
    """True for CUDA OOM, host MemoryError, and allocator failures torch reports as RuntimeError."""
    import torch

    if isinstance(e, torch.cuda.OutOfMemoryError | MemoryError):
        return True
    text = str(e).lower()
    return isinstance(e, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


class Engine:
    """Runs batches of prompts through a loaded model for one task."""

    def __init__(
        self, loaded: LoadedModel, task: Task, *, max_new_tokens: int, fixed_output_length: bool = False
    ) -> None:
        self.loaded = loaded
        self.task = task
        self.max_new_tokens = max_new_tokens
        self.fixed_output_length = fixed_output_length
        cfg = loaded.model.config
        limit = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
        limit = int(limit) if limit else MAX_INPUT_TOKENS
        if loaded.kind == "causal-lm":
            limit -= max_new_tokens
        self.max_input_tokens = max(8, min(limit, MAX_INPUT_TOKENS))

    @property
    def cuda(self) -> bool:
        return self.loaded.device.startswith("cuda")

    def synchronize(self) -> None:
        """Wait for queued GPU work (a no-op on CPU), so that a window edge is a real edge."""
        if self.cuda:
            import torch

            for i in self.loaded.cuda_ordinals or [0]:
                torch.cuda.synchronize(i)

    def reset_peak_memory(self) -> None:
        if self.cuda:
            import torch

            for i in self.loaded.cuda_ordinals or [0]:
                torch.cuda.reset_peak_memory_stats(i)

    def peak_memory_gb(self) -> float:
        """Peak GPU memory allocated by torch since the last reset, summed over GPUs (GB); on CPU the
        process's peak resident memory so far (GB; it never resets)."""
        if self.cuda:
            import torch

            return sum(torch.cuda.max_memory_allocated(i) for i in self.loaded.cuda_ordinals or [0]) / 1e9
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1e9 if sys.platform == "darwin" else rss * 1024 / 1e9  # bytes on macOS, KiB on Linux

    def texts(self, prompts: Sequence[Prompt]) -> list[str]:
        if self.loaded.kind == "classifier":
            return [p.input for p in prompts]
        return [self.task.template.format(input=p.input) for p in prompts]

    def _encode(self, prompts: Sequence[Prompt]) -> Any:
        """The batch's prompts tokenised as one padded tensor batch, cut at `max_input_tokens`."""
        return self.loaded.tokenizer(
            self.texts(prompts),
            padding=True,
            truncation=True,
            max_length=self.max_input_tokens,
            return_tensors="pt",
        )

    def run(self, prompts: Sequence[Prompt], *, fixed_output_length: bool | None = None) -> BatchResult:
        """Run one batch; `fixed_output_length` overrides the engine's setting (quality runs use False)."""
        import torch

        fixed = self.fixed_output_length if fixed_output_length is None else fixed_output_length
        tok = self.loaded.tokenizer
        model = self.loaded.model
        t0 = time.perf_counter()
        enc = self._encode(prompts)
        if self.loaded.kind != "classifier" or "token_type_ids" not in _forward_args(model):
            enc.pop("token_type_ids", None)
        first_device = next(model.parameters()).device
        enc = {k: v.to(first_device) for k, v in enc.items()}
        input_tokens = [int(x) for x in enc["attention_mask"].sum(dim=1).tolist()]
        with torch.inference_mode():
            if self.loaded.kind == "classifier":
                logits = model(**enc).logits
                ids = logits.argmax(dim=-1).tolist()
                outputs = [self._label(int(i)) for i in ids]
                self.synchronize()
                return BatchResult(
                    outputs, input_tokens, [0] * len(outputs), time.perf_counter() - t0, None, None
                )
            clock = _TokenClock(self.synchronize)
            gen_kwargs: dict[str, Any] = {
                "max_new_tokens": self.max_new_tokens,
                "do_sample": False,
                "pad_token_id": tok.pad_token_id,
                "stopping_criteria": _stopping([clock]),
            }
            if fixed:
                gen_kwargs["min_new_tokens"] = self.max_new_tokens
            out = model.generate(**enc, **gen_kwargs)
            gen = out[:, enc["input_ids"].shape[1] :] if self.loaded.kind == "causal-lm" else out[:, 1:]
            output_tokens = self._count(gen.tolist(), tok.eos_token_id, tok.pad_token_id)
            outputs = tok.batch_decode(gen, skip_special_tokens=True)
        self.synchronize()
        t_end = time.perf_counter()
        ttft = clock.times[0] - t0 if clock.times else None
        tpot = (clock.times[-1] - clock.times[0]) / (len(clock.times) - 1) if len(clock.times) > 1 else None
        return BatchResult(list(outputs), input_tokens, output_tokens, t_end - t0, ttft, tpot)

    def prefill(self, prompts: Sequence[Prompt]) -> tuple[int, float]:
        """One prefill-only pass over a batch (no token generated): the prompt tokens it processed (padding
        not counted) and its wall time, s. Causal LMs run the prompt through the model with its KV cache
        built; seq2seq models run the encoder and the first decoder step."""
        import torch

        model = self.loaded.model
        t0 = time.perf_counter()
        enc = self._encode(prompts)
        enc.pop("token_type_ids", None)
        first_device = next(model.parameters()).device
        enc = {k: v.to(first_device) for k, v in enc.items()}
        tokens = int(enc["attention_mask"].sum().item())
        with torch.inference_mode():
            if self.loaded.kind == "seq2seq":
                start = model.config.decoder_start_token_id or 0
                first = torch.full((enc["input_ids"].shape[0], 1), start, device=first_device)
                model(**enc, decoder_input_ids=first, use_cache=True)
            else:
                model(**enc, use_cache=True)
        self.synchronize()
        return tokens, time.perf_counter() - t0

    def _label(self, i: int) -> str:
        id2label = getattr(self.loaded.model.config, "id2label", None) or {}
        label = str(id2label.get(i, f"LABEL_{i}"))
        m = re.fullmatch(r"LABEL_(\d+)", label)
        if m and self.task.labels and int(m.group(1)) < len(self.task.labels):
            return self.task.labels[int(m.group(1))]  # generic names: the task's usual label order
        return label.lower()

    @staticmethod
    def _count(rows: list[list[int]], eos: int | list[int] | None, pad: int | None) -> list[int]:
        """Generated tokens per row: up to and including the first EOS, else the whole row.

        Padding only ever follows a row's EOS (generation pads rows that finished early), so a token that
        equals the pad id before any EOS is a real output token (random models emit it) and counts."""
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        return [next((i + 1 for i, t in enumerate(row) if t in eos_ids), len(row)) for row in rows]


def _forward_args(model: Any) -> set[str]:
    import inspect

    return set(inspect.signature(model.forward).parameters)


def _stopping(criteria: list[Any]) -> Any:
    from transformers import StoppingCriteriaList

    return StoppingCriteriaList(criteria)


def _make_token_clock_cls() -> type:
    import torch
    from transformers import StoppingCriteria

    class TokenClock(StoppingCriteria):
        """Records when each new token exists (after a sync); never stops generation."""

        def __init__(self, sync: Any) -> None:
            self.sync = sync
            self.times: list[float] = []

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            self.sync()
            self.times.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return TokenClock


_TOKEN_CLOCK: type | None = None


def _TokenClock(sync: Any) -> Any:
    global _TOKEN_CLOCK
    if _TOKEN_CLOCK is None:
        _TOKEN_CLOCK = _make_token_clock_cls()
    return _TOKEN_CLOCK(sync)
