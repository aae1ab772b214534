"""`tco measure`: measure a model's energy, latency, throughput and quality per batch size, write a profile.

Registered by tco/cli.py as `app.command("measure")(measure)`. Errors are one line and exit code 2;
Ctrl-C exits 130 and leaves no file behind (the profile is written atomically at the very end).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from measure.meters.factory import METER_NAMES, choose_meter
from tco.errors import InputError, TcoError
from tco.scenario.units import parse
from tco.scenario.yamlio import check_writable, write_error

log = logging.getLogger(__name__)


def parse_batch_sizes(text: str) -> tuple[int, ...]:
    """ "1,8,32" -> (1, 8, 32): positive, unique, in the order given."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError as e:
        raise InputError(
            f"expected comma-separated whole numbers such as 1,8,32, got {text!r}", field="--batch-sizes"
        ) from e
    if not sizes or any(s < 1 for s in sizes):
        raise InputError(f"expected batch sizes of at least 1, got {text!r}", field="--batch-sizes")
    if len(set(sizes)) != len(sizes):
        raise InputError(f"batch sizes repeat in {text!r}", field="--batch-sizes")
    return sizes


def parse_duration(text: str, option: str) -> float:
    """ "5s", "500 ms", "2 min" or a bare number of seconds -> seconds."""
    value = text.strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", value):  # linear, whatever the length
        value += " s"
    try:
        return parse(value, "s", minimum=0.0, maximum=24 * 3600)
    except InputError as e:
        raise InputError(e.detail, field=option) from e


def _hardware_tdp_w(hardware: str) -> float | None:
    """Board power (W) of `hardware` from the shipped reference data, for the estimate meter."""
    try:
        from tco.scenario.repository import load_repository

        hw = load_repository().hardware.get(hardware)
    except TcoError as e:
        log.debug("no reference data for the estimate meter: %s", e)
        return None
    return float(hw.power.max) if hw is not None else None


def _known_hardware() -> set[str] | None:
    try:
        from tco.scenario.repository import load_repository

        return set(load_repository().hardware)
    except TcoError:
        return None


def _say(text: str) -> None:
    typer.echo(text, err=True)


def measure(
    model: Annotated[
        str, typer.Argument(help="Hub id or local folder of the model (loaded with from_pretrained).")
    ],
    task: Annotated[
        str,
        typer.Option(help="sentiment, summarisation, qa, arithmetic, code, or your own name with --prompts."),
    ] = "sentiment",
    prompts: Annotated[
        Path | None, typer.Option(help="Your own prompt file (.jsonl or .yaml) with input and reference.")
    ] = None,
    metric: Annotated[
        str,
        typer.Option(
            help="Metric for a task we do not ship: accuracy, exact-match, exact-match-number, token-f1."
        ),
    ] = "token-f1",
    batch_sizes: Annotated[
        str, typer.Option("--batch-sizes", help="Comma-separated batch sizes, e.g. 1,8,32.")
    ] = "1,8,32",
    max_new_tokens: Annotated[
        int | None,
        typer.Option("--max-new-tokens", min=1, help="Output budget per query (tokens); default per task."),
    ] = None,
    fixed_output_length: Annotated[
        bool,
        typer.Option("--fixed-output-length", help="Force exactly max-new-tokens per query while measuring."),
    ] = False,
    kind: Annotated[str, typer.Option(help="auto, causal-lm, seq2seq or classifier.")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto, float32, float16 or bfloat16.")] = "auto",
    device: Annotated[
        str, typer.Option(help="auto, cpu, cuda, cuda:N, or cuda-all (spread over visible GPUs).")
    ] = "auto",
    hardware: Annotated[
        str | None,
        typer.Option(
            help="Hardware id in profiles/hardware.yaml; default from the GPU name, cpu-epyc-2s (the shipped CPU server) on CPU."
        ),
    ] = None,
    min_queries: Annotated[
        int, typer.Option("--min-queries", min=1, help="Queries per measurement window, at least.")
    ] = 32,
    min_window: Annotated[
        str, typer.Option("--min-window", help="Length of a measurement window, at least (e.g. 5s).")
    ] = "5s",
    windows: Annotated[int, typer.Option(min=1, help="Measurement windows per batch size.")] = 3,
    warmup: Annotated[
        int, typer.Option(min=0, help="Warm-up queries per batch size (at least one batch is run).")
    ] = 4,
    cooldown: Annotated[
        str, typer.Option(help="Pause before each window, against thermal drift (e.g. 2s).")
    ] = "2s",
    idle: Annotated[str, typer.Option(help="Idle-power baseline measured first (e.g. 3s).")] = "3s",
    meter: Annotated[str, typer.Option(help="auto, nvml-counter, nvml-sampled, rapl or estimate.")] = "auto",
    tdp: Annotated[
        float | None, typer.Option(help="TDP in W for --meter estimate; default from the hardware data.")
    ] = None,
    weights: Annotated[
        str, typer.Option(help="pretrained, fine-tuned or random-init (written to provenance).")
    ] = "pretrained",
    profile_id: Annotated[
        str | None, typer.Option("--id", help="Profile id; default from the output file name.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Profile YAML to write (atomically).")
    ] = None,
) -> None:
    """Measure energy per query, latency, throughput and quality of MODEL at each batch size; write a profile."""
    try:
        _measure(**locals())
    except KeyboardInterrupt:
        _say("interrupted: no profile written")
        raise typer.Exit(130) from None
    except TcoError as e:
        _say(f"error: {e}")
        raise typer.Exit(2) from None


def _measure(**o: object) -> None:
    from measure.models import Engine, load_model
    from measure.profile import (
        build_profile,
        hardware_id_for,
        profile_id_from_path,
        write_profile,
    )
    from measure.runner import SweepConfig, run_sweep
    from measure.tasks import ALIASES, TASKS, custom_task, get_task, load_prompts, load_shipped_prompts

    task_name = str(o["task"])
    prompts_path = o["prompts"]
    if task_name in TASKS or task_name in ALIASES or prompts_path is None:
        task = get_task(task_name)
    else:
        task = custom_task(task_name, str(o["metric"]))
    prompt_list = load_prompts(prompts_path) if isinstance(prompts_path, Path) else load_shipped_prompts(task)
    prompts_label = str(prompts_path) if prompts_path is not None else f"measure/tasks/{task.name}.jsonl"
    if o["meter"] not in METER_NAMES:
        raise InputError(
            f"unknown meter {o['meter']!r}, expected one of {', '.join(METER_NAMES)}", field="--meter"
        )
    if o["weights"] not in ("pretrained", "fine-tuned", "random-init"):
        raise InputError(
            f"unknown weights {o['weights']!r}, expected pretrained, fine-tuned or random-init",
            field="--weights",
        )
    config = SweepConfig(
        batch_sizes=parse_batch_sizes(str(o["batch_sizes"])),
        min_queries=int(o["min_queries"]),  # type: ignore[call-overload]
        min_window_s=parse_duration(str(o["min_window"]), "--min-window"),
        windows=int(o["windows"]),  # type: ignore[call-overload]
        warmup_queries=int(o["warmup"]),  # type: ignore[call-overload]
        cooldown_s=parse_duration(str(o["cooldown"]), "--cooldown"),
        idle_s=parse_duration(str(o["idle"]), "--idle"),
    )
    output = o["output"] if isinstance(o["output"], Path) else None
    # before loading and measuring (minutes): a path that cannot be written fails now, not at the end
    if output is not None:
        check_writable(output, field="--output")
    else:
        check_writable(Path.cwd(), folder=True, field="--output (default: the current folder)")
    pid = str(o["profile_id"]) if o["profile_id"] else (profile_id_from_path(output) if output else None)
    max_new = int(o["max_new_tokens"]) if o["max_new_tokens"] else task.max_new_tokens  # type: ignore[call-overload]

    _say(f"loading {o['model']} ...")
    loaded = load_model(str(o["model"]), kind=str(o["kind"]), dtype=str(o["dtype"]), device=str(o["device"]))
    engine = Engine(loaded, task, max_new_tokens=max_new, fixed_output_length=bool(o["fixed_output_length"]))
    on_gpu = loaded.device.startswith("cuda")
    gpu_name = "GPU"
    if on_gpu:
        import torch

        gpu_name = torch.cuda.get_device_name(loaded.cuda_ordinals[0] if loaded.cuda_ordinals else 0)
    hw = str(o["hardware"]) if o["hardware"] else None
    tdp = float(o["tdp"]) if o["tdp"] is not None else (_hardware_tdp_w(hw) if hw else None)  # type: ignore[arg-type]
    choice = choose_meter(
        str(o["meter"]),
        device="cuda" if on_gpu else "cpu",
        cuda_ordinals=tuple(loaded.cuda_ordinals or [0]),
        tdp_w=tdp,
        gpu_name=gpu_name,
    )
    m = choice.meter
    try:
        for line in choice.fallbacks:
            _say(f"meter fallback: {line}")
        nvml_names = [g.name for g in getattr(m, "gpus", [])]
        if hw is None:
            found = hardware_id_for(nvml_names or ([gpu_name] if on_gpu else []))
            if found is None:
                raise InputError(
                    f"unknown GPU {', '.join(nvml_names or [gpu_name])!r}, pass --hardware ID",
                    field="--hardware",
                )
            hw = found
        if tdp is None and m.method == "estimated":
            tdp = _hardware_tdp_w(hw)
            if tdp is not None:
                m.tdp_w = tdp  # type: ignore[attr-defined]
        known = _known_hardware()
        if known is not None and hw not in known:
            _say(
                f"note: hardware {hw!r} is not in profiles/hardware.yaml; add it before using this profile in a scenario"
            )
        _say(f"energy: {m.name} ({m.method}) on {', '.join(m.devices())}")
        if pid is None:
            pid = profile_id_from_path(f"{Path(loaded.name).name}-{hw}")
        out_path = output or Path(f"{pid}.yaml")

        from tqdm import tqdm

        total = 2 + len(config.batch_sizes) * config.windows
        with tqdm(
            total=total, file=sys.stderr, unit="step", disable=bool(os.environ.get("TCO_NO_PROGRESS"))
        ) as bar:
            result = run_sweep(engine, prompt_list, task, m, config, progress=bar)
        notes = [f"meter fallback: {f}" for f in choice.fallbacks]
        describe = getattr(m, "describe", None)
        if callable(describe):
            notes.append(str(describe()))
        if not on_gpu:
            notes.append("peak_memory is the process's peak resident memory")
        if o["fixed_output_length"]:
            notes.append(f"output length forced to {max_new} tokens while measuring")
        mig = bool(getattr(m, "mig", False))
        if mig:
            notes.append("MIG: NVML reports the whole GPU's energy, not this instance's")
        driver = m.driver() if hasattr(m, "driver") else None
        data = build_profile(
            profile_id=pid,
            model_name=loaded.name,
            kind=loaded.kind,
            parameters=loaded.parameters,
            hardware=hw,
            accelerators=max(1, len(loaded.cuda_ordinals)) if on_gpu else 1,
            dtype=loaded.dtype,
            result=result,
            config=config,
            meter_name=m.name,
            meter_method=m.method,
            meters=m.scopes(),
            devices=m.devices(),
            driver=driver,
            mig=mig,
            weights=str(o["weights"]),
            prompts=f"{prompts_label} ({len(prompt_list)} prompts)",
            max_new_tokens=max_new,
            notes=notes,
        )
    finally:
        m.close()
    if not any(p.status == "ok" for p in result.points):
        reasons = "; ".join(f"batch {p.batch_size}: {p.note}" for p in result.points)
        raise InputError(f"no batch size ran ({reasons}); no profile written")
    try:
        write_profile(out_path, data)
    except OSError as err:  # a disk that filled up while measuring
        raise write_error(out_path, err, field="--output") from None
    for p in result.points:
        if p.status != "ok":
            _say(f"batch {p.batch_size:>5}: {p.status} ({p.note})")
            continue
        e = sum(p.energy_per_query_j()) / len(p.windows)
        _say(f"batch {p.batch_size:>5}: {e:.4g} J/query, {p.throughput_qps():.4g} queries/s")
    if result.quality is not None:
        _say(f"quality: {result.quality.metric} {result.quality.value:.3f} on {result.quality.n} prompts")
    _say(f"wrote {out_path} (id {pid}, {'measured' if m.method == 'measured' else 'estimated'} energy)")
