"""`tco measure`: measure a model's energy, latency, throughput and quality per batch size, write a profile.

Two modes: MODEL (a local folder or hub id) is loaded with transformers and run in batches here; or
`--endpoint URL --served-model NAME` loads an OpenAI-compatible server with concurrent streaming clients
(measure/endpoint.py). Both write the same profile format, with the power timeline as CSV (and a PNG plot)
next to it. Registered by tco/cli as `app.command("measure")(measure)`. Errors are one line and exit code
2; Ctrl-C exits 130 and leaves no file behind (the profile is written atomically at the very end).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from measure.meters.factory import METER_NAMES, choose_meter
from tco.errors import InputError, TcoError
from tco.scenario.units import parse
from tco.scenario.yamlio import check_writable, write_error, write_files_atomic

log = logging.getLogger(__name__)


def max_batch_size() -> int:
    """The largest batch size a profile may hold (OperatingPoint.batch_size's upper bound)."""
    from tco.scenario.schema import OperatingPoint

    for meta in OperatingPoint.model_fields["batch_size"].metadata:
        le = getattr(meta, "le", None)
        if le is not None:
            return int(le)
    raise AssertionError("OperatingPoint.batch_size has no upper bound")  # pragma: no cover


def parse_batch_sizes(text: str, option: str = "--batch-sizes") -> tuple[int, ...]:
    """ "1,8,32" -> (1, 8, 32): positive, at most the profile format's maximum, unique, in order given."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError as e:
        raise InputError(
            f"expected comma-separated whole numbers such as 1,8,32, got {text!r}", field=option
        ) from e
    if not sizes or any(s < 1 for s in sizes):
        raise InputError(f"expected values of at least 1, got {text!r}", field=option)
    top = max_batch_size()
    if any(s > top for s in sizes):
        raise InputError(
            f"expected values of at most {top} (the profile format's limit), got {text!r}", field=option
        )
    if len(set(sizes)) != len(sizes):
        raise InputError(f"values repeat in {text!r}", field=option)
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


def _hardware_power_w(hardware: str) -> tuple[float, float] | None:
    """Board power (max, idle) in W of `hardware` from the shipped reference data, for the estimate meter."""
    try:
        from tco.scenario.repository import load_repository

        hw = load_repository().hardware.get(hardware)
    except TcoError as e:
        log.debug("no reference data for the estimate meter: %s", e)
        return None
    return (float(hw.power.max), float(hw.power.idle)) if hw is not None else None


def _known_hardware() -> set[str] | None:
    try:
        from tco.scenario.repository import load_repository

        return set(load_repository().hardware)
    except TcoError:
        return None


def _say(text: str) -> None:
    typer.echo(text, err=True)


# options `tco measure` shares with `tco measure-cascade` (measure/cascade_cli.py)
TaskOpt = Annotated[
    str, typer.Option(help="sentiment, summarisation, qa, arithmetic, code, or your own name with --prompts.")
]
PromptsOpt = Annotated[
    Path | None, typer.Option(help="Your own prompt file (.jsonl or .yaml) with input and reference.")
]
MetricOpt = Annotated[
    str,
    typer.Option(
        help="Metric for a task we do not ship: accuracy, exact-match, exact-match-number, token-f1."
    ),
]
MaxNewTokensOpt = Annotated[
    int | None,
    typer.Option("--max-new-tokens", min=1, help="Output budget per query (tokens); default per task."),
]
DtypeOpt = Annotated[str, typer.Option(help="auto, float32, float16 or bfloat16.")]


def measure(
    model: Annotated[
        str | None,
        typer.Argument(
            help="Hub id or local folder of the model (loaded with from_pretrained); omit with --endpoint."
        ),
    ] = None,
    task: TaskOpt = "sentiment",
    prompts: PromptsOpt = None,
    metric: MetricOpt = "token-f1",
    batch_sizes: Annotated[
        str, typer.Option("--batch-sizes", help="Comma-separated batch sizes, e.g. 1,8,32.")
    ] = "1,8,32",
    max_new_tokens: MaxNewTokensOpt = None,
    fixed_output_length: Annotated[
        bool,
        typer.Option("--fixed-output-length", help="Force exactly max-new-tokens per query while measuring."),
    ] = False,
    kind: Annotated[str, typer.Option(help="auto, causal-lm, seq2seq or classifier.")] = "auto",
    dtype: DtypeOpt = "auto",
    device: Annotated[
        str, typer.Option(help="auto, cpu, cuda, cuda:N, or cuda-all (spread over visible GPUs).")
    ] = "auto",
    hardware: Annotated[
        str | None,
        typer.Option(
            help="Hardware id in profiles/hardware.yaml; default from the GPU name, or cpu-vcpu (x the cores used) on CPU."
        ),
    ] = None,
    min_queries: Annotated[
        int,
        typer.Option(
            "--min-queries", min=1, help="Queries per window (local) or per level (endpoint), at least."
        ),
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
    idle: Annotated[
        str, typer.Option(help="Idle-power measurement, re-checked before each batch size (e.g. 10s).")
    ] = "10s",
    settle: Annotated[
        str, typer.Option(help="Wait with nothing running before each idle measurement (e.g. 5s).")
    ] = "5s",
    meter: Annotated[str, typer.Option(help="auto, nvml-counter, nvml-sampled, rapl or estimate.")] = "auto",
    tdp: Annotated[
        float | None,
        typer.Option(
            help="--meter estimate: power at full load in W (GPU TDP, or all used CPU cores together)."
        ),
    ] = None,
    weights: Annotated[
        str,
        typer.Option(
            help="pretrained, fine-tuned, random-init, or auto (random-init if weights were missing, else not stated)."
        ),
    ] = "auto",
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="Measure a served model: OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1."
        ),
    ] = None,
    served_model: Annotated[
        str | None, typer.Option("--served-model", help="Model name the endpoint serves (with --endpoint).")
    ] = None,
    concurrency: Annotated[
        str, typer.Option(help="With --endpoint: comma-separated concurrency levels (clients), e.g. 1,8,32.")
    ] = "1,8,32",
    steady_window: Annotated[
        str, typer.Option("--steady-window", help="With --endpoint: steady-state window per level, at least.")
    ] = "30s",
    input_tokens: Annotated[
        str | None,
        typer.Option(
            "--input-tokens",
            help="With --endpoint: prompt lengths to sweep, e.g. 128,1024,8192 (every concurrency at each).",
        ),
    ] = None,
    request_rate: Annotated[
        str | None,
        typer.Option(
            "--request-rate",
            help="With --endpoint: open-loop levels instead of concurrency ones, Poisson arrivals at each "
            "rate in requests/s, e.g. 0.5,2,8.",
        ),
    ] = None,
    api: Annotated[str, typer.Option(help="With --endpoint: completions or chat.")] = "completions",
    request_timeout: Annotated[
        str,
        typer.Option(
            "--request-timeout",
            help="With --endpoint: the longest the server may stay silent (its first byte, between two "
            "events), e.g. 20s; connecting gets at most 10 s of it, a whole request 30 times it.",
        ),
    ] = "20s",
    gpus: Annotated[
        str | None,
        typer.Option(
            help="With --endpoint: the server's GPUs as NVML indices or UUIDs (e.g. 0,1); default from --server-pid."
        ),
    ] = None,
    server_pid: Annotated[
        int | None,
        typer.Option(
            "--server-pid", help="With --endpoint: the server's process id (finds its GPUs; CPU estimate)."
        ),
    ] = None,
    parameters: Annotated[
        str | None, typer.Option(help="With --endpoint: parameter count of the served model (e.g. 8e9).")
    ] = None,
    timeline: Annotated[
        bool,
        typer.Option(
            "--timeline/--no-timeline", help="Write the power timeline CSV and plot next to the profile."
        ),
    ] = True,
    prefill: Annotated[
        bool,
        typer.Option(
            "--prefill/--no-prefill",
            help="Generative models in-process: also time a prefill-only pass (time and energy per input token).",
        ),
    ] = True,
    profile_id: Annotated[
        str | None, typer.Option("--id", help="Profile id; default from the output file name.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Profile YAML to write (atomically).")
    ] = None,
) -> None:
    """Measure energy per query, latency, throughput and quality of MODEL at each batch size (or of a served
    endpoint at each concurrency); write a profile."""
    try:
        if endpoint is not None:
            _measure_endpoint(**locals())
        else:
            _measure(**locals())
    except KeyboardInterrupt:
        _say("interrupted: no profile written")
        raise typer.Exit(130) from None
    except TcoError as e:
        _say(f"error: {e}")
        raise typer.Exit(2) from None


def _task_and_prompts(o: dict[str, object]) -> tuple[Any, list[Any], str]:
    from measure.tasks import ALIASES, TASKS, custom_task, get_task, load_prompts, load_shipped_prompts

    task_name = str(o["task"])
    prompts_path = o["prompts"]
    if task_name in TASKS or task_name in ALIASES or prompts_path is None:
        task = get_task(task_name)
    else:
        task = custom_task(task_name, str(o["metric"]))
    prompt_list = load_prompts(prompts_path) if isinstance(prompts_path, Path) else load_shipped_prompts(task)
    label = str(prompts_path) if prompts_path is not None else f"measure/tasks/{task.name}.jsonl"
    return task, prompt_list, label


def _check_choices(o: dict[str, object]) -> None:
    if o["meter"] not in METER_NAMES:
        raise InputError(
            f"unknown meter {o['meter']!r}, expected one of {', '.join(METER_NAMES)}", field="--meter"
        )
    if o["weights"] not in WEIGHTS:
        raise InputError(
            f"unknown weights {o['weights']!r}, expected {', '.join(WEIGHTS[:-1])} or {WEIGHTS[-1]}",
            field="--weights",
        )


def _write_outputs(
    out_path: Path, data: dict[str, Any], timelines: list[Any], want_timeline: bool
) -> list[Path]:
    """Write the profile and, if any, the timeline CSV and plot referencing it; the paths written.

    Everything is made first (the profile validated, the plot drawn), then written together: all files or
    none (a profile refused, a full disk), so a failed run leaves nothing in the output folder."""
    from measure.profile import profile_text
    from measure.timeline import timeline_csv, timeline_png

    files: list[tuple[Path, str | bytes]] = []
    if want_timeline and timelines:
        csv_path = out_path.with_name(out_path.name.split(".")[0] + ".timeline.csv")
        text = timeline_csv(timelines)
        data["provenance"]["timeline"] = csv_path.name
        files.append((csv_path, text))
        try:
            files.append((csv_path.with_suffix(".png"), timeline_png(text, csv_path.name)))
        except Exception as e:  # a plot is a convenience; the CSV holds the data
            _say(f"note: no timeline plot ({type(e).__name__}: {e})")
    files.insert(0, (out_path, profile_text(out_path, data)))
    return write_files_atomic(files)


def _checked_output(o: dict[str, object]) -> Path | None:
    """The --output path, checked before loading and measuring (minutes): a path that cannot be written
    fails now, not at the end."""
    output = o["output"] if isinstance(o["output"], Path) else None
    if output is not None:
        check_writable(output, field="--output")
    else:
        check_writable(Path.cwd(), folder=True, field="--output (default: the current folder)")
    return output


def _measure(**o: object) -> None:
    from measure.meters.estimate import usable_cores
    from measure.models import Engine, load_model
    from measure.profile import build_profile, hardware_id_for, profile_id_from_path
    from measure.runner import SweepConfig, describe_idle, run_sweep

    if not o["model"]:
        raise InputError(
            "expected MODEL (a folder or hub id), or --endpoint URL with --served-model", field="model"
        )
    if o.get("request_rate"):
        raise InputError(
            "drives a served model with Poisson arrivals: use it with --endpoint", field="--request-rate"
        )
    if o.get("input_tokens"):
        raise InputError(
            "sweeps the prompt lengths of a served model: use it with --endpoint (in process, the task's "
            "prompts are measured as they are, and a prefill-only pass gives the time per input token)",
            field="--input-tokens",
        )
    task, prompt_list, prompts_label = _task_and_prompts(o)
    _check_choices(o)
    config = SweepConfig(
        batch_sizes=parse_batch_sizes(str(o["batch_sizes"])),
        min_queries=int(o["min_queries"]),  # type: ignore[call-overload]
        min_window_s=parse_duration(str(o["min_window"]), "--min-window"),
        windows=int(o["windows"]),  # type: ignore[call-overload]
        warmup_queries=int(o["warmup"]),  # type: ignore[call-overload]
        cooldown_s=parse_duration(str(o["cooldown"]), "--cooldown"),
        idle_s=parse_duration(str(o["idle"]), "--idle"),
        settle_s=parse_duration(str(o["settle"]), "--settle"),
        prefill=bool(o.get("prefill", True)),
    )
    output = _checked_output(o)
    pid = str(o["profile_id"]) if o["profile_id"] else (profile_id_from_path(output) if output else None)
    max_new = int(o["max_new_tokens"]) if o["max_new_tokens"] else task.max_new_tokens  # type: ignore[call-overload]

    _say(f"loading {o['model']} ...")
    loaded = load_model(str(o["model"]), kind=str(o["kind"]), dtype=str(o["dtype"]), device=str(o["device"]))
    weights = _weights(str(o["weights"]), loaded.newly_initialised)
    engine = Engine(loaded, task, max_new_tokens=max_new, fixed_output_length=bool(o["fixed_output_length"]))
    on_gpu = loaded.device.startswith("cuda")
    gpu_name = "GPU"
    gpu_names: list[str] | None = None
    if on_gpu:
        import torch

        gpu_names = [torch.cuda.get_device_name(i) for i in loaded.cuda_ordinals or [0]]
        gpu_name = gpu_names[0]
    hw = str(o["hardware"]) if o["hardware"] else None
    cores = usable_cores()
    gpu_power = _hardware_power_w(hw) if (hw and on_gpu) else None
    if on_gpu and hw is None:
        hw = hardware_id_for(gpu_names or [gpu_name])
        gpu_power = _hardware_power_w(hw) if hw else None
    tdp = float(o["tdp"]) if o["tdp"] is not None else (gpu_power[0] if gpu_power else None)  # type: ignore[arg-type]
    choice = choose_meter(
        str(o["meter"]),
        device="cuda" if on_gpu else "cpu",
        cuda_ordinals=tuple(loaded.cuda_ordinals or [0]),
        cuda_uuids=loaded.cuda_uuids,
        tdp_w=tdp,
        idle_w=gpu_power[1] if gpu_power else None,
        gpu_name=gpu_name,
        cores=cores,
    )
    m = choice.meter
    host_meter = _host_meter() if on_gpu else None
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
        known = _known_hardware()
        if known is not None and hw not in known:
            _say(
                f"note: hardware {hw!r} is not in profiles/hardware.yaml; add it before using this profile in a scenario"
            )
        _say(f"energy: {m.name} ({m.method}) on {', '.join(m.devices())}")
        if host_meter is not None:
            _say(f"host energy: {host_meter.name} on {', '.join(host_meter.devices())}")
        if pid is None:
            pid = profile_id_from_path(f"{Path(loaded.name).name}-{hw}")
        out_path = output or Path(f"{pid}.yaml")

        from tqdm import tqdm

        total = 2 + len(config.batch_sizes) * config.windows
        with tqdm(
            total=total, file=sys.stderr, unit="step", disable=bool(os.environ.get("TCO_NO_PROGRESS"))
        ) as bar:
            result = run_sweep(engine, prompt_list, task, m, config, progress=bar, host_meter=host_meter)
        notes = [f"meter fallback: {f}" for f in choice.fallbacks]
        describe = getattr(m, "describe", None)
        if callable(describe):
            notes.append(str(describe()))
        if weights is None:
            notes.append("weights not stated (pass --weights)")
        elif loaded.newly_initialised and o["weights"] == "auto":
            notes.append(
                f"{len(loaded.newly_initialised)} weight tensor(s) not in the checkpoint, randomly initialised"
            )
        cpu_profile = not on_gpu and hw == CPU_PER_CORE_HARDWARE
        if not on_gpu:
            notes.append("peak_memory is the process's peak resident memory")
            if cpu_profile:
                notes.append(f"measured on {cores} vCPU(s): accelerators = vCPUs used, hardware = one vCPU")
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
            accelerators=max(1, len(loaded.cuda_ordinals)) if on_gpu else (cores if cpu_profile else 1),
            dtype=loaded.dtype,
            result=result,
            config=config,
            meter_name=m.name,
            meter_method=m.method,
            meters={**m.scopes(), **(host_meter.scopes() if host_meter else {})},
            devices=m.devices() + (host_meter.devices() if host_meter else []),
            driver=driver,
            mig=mig,
            weights=weights,
            prompts=f"{prompts_label} ({len(prompt_list)} prompts)",
            max_new_tokens=max_new,
            notes=notes,
        )
    finally:
        m.close()
        if host_meter is not None:
            host_meter.close()
    if not any(p.status == "ok" for p in result.points):
        reasons = "; ".join(f"batch {p.batch_size}: {p.note}" for p in result.points)
        raise InputError(f"no batch size ran ({reasons}); no profile written")
    try:
        written = _write_outputs(out_path, data, result.timelines(), bool(o["timeline"]))
    except OSError as err:  # a disk that filled up while measuring
        raise write_error(out_path, err, field="--output") from None
    _say(describe_idle(result.idle_checks))
    for p in result.points:
        if p.status != "ok":
            _say(f"batch {p.batch_size:>5}: {p.status} ({p.note})")
            continue
        e = p.energy_per_query_j()
        tput = p.throughput_qps()
        _say(f"batch {p.batch_size:>5}: {e:.4g} J/query, {tput:.4g} queries/s, mean power {e * tput:.4g} W")
    if result.quality is not None:
        _say(f"quality: {result.quality.metric} {result.quality.value:.3f} on {result.quality.n} prompts")
    for extra in written[1:]:
        _say(f"wrote {extra}")
    _say(f"wrote {out_path} (id {pid}, {'measured' if m.method == 'measured' else 'estimated'} energy)")


WEIGHTS = ("pretrained", "fine-tuned", "random-init", "auto")
CPU_PER_CORE_HARDWARE = "cpu-vcpu"


def _weights(option: str, newly_initialised: list[str]) -> str | None:
    """What the profile states about the weights: the user's word, random-init where loading found
    weights missing from the checkpoint, else nothing (a saved random model looks like any other)."""
    if option != "auto":
        return option
    return "random-init" if newly_initialised else None


def _host_meter() -> Any:
    """RAPL for the host CPU/DRAM beside a GPU meter, or None where it is not readable."""
    from measure.meters.base import MeterError
    from measure.meters.rapl import RaplMeter

    try:
        return RaplMeter.open()
    except MeterError as e:
        log.info("no host energy: %s", e)
        return None


def _measure_endpoint(**o: object) -> None:
    from measure.bounded_http import Timeouts
    from measure.endpoint import EndpointConfig, OpenAIClient, level_point, run_endpoint_sweep
    from measure.lengths import parse_input_tokens
    from measure.meters.estimate import usable_cores
    from measure.meters.process_tree import describe_tree
    from measure.profile import build_endpoint_profile, hardware_id_for, profile_id_from_path

    if o["model"]:
        raise InputError("give MODEL or --endpoint, not both", field="--endpoint")
    if not o["served_model"]:
        raise InputError(
            "--endpoint needs --served-model NAME (the model id the server serves)", field="--served-model"
        )
    if o["api"] not in ("completions", "chat"):
        raise InputError(f"unknown api {o['api']!r}, expected completions or chat", field="--api")
    task, prompt_list, prompts_label = _task_and_prompts(o)
    _check_choices(o)
    _checked_output(o)
    levels = parse_batch_sizes(str(o["concurrency"]), "--concurrency")
    max_new = int(o["max_new_tokens"]) if o["max_new_tokens"] else task.max_new_tokens  # type: ignore[call-overload]
    config = EndpointConfig(
        concurrency=levels,
        window_s=parse_duration(str(o["steady_window"]), "--steady-window"),
        min_requests=int(o["min_queries"]),  # type: ignore[call-overload]
        max_new_tokens=max_new,
        fixed_output_length=bool(o["fixed_output_length"]),
        cooldown_s=parse_duration(str(o["cooldown"]), "--cooldown"),
        input_tokens=parse_input_tokens(str(o["input_tokens"])) if o.get("input_tokens") else (),
        request_rates=_request_rates(o.get("request_rate")),
    )
    n_params = _parameters(o["parameters"])
    timeout_s = parse_duration(str(o["request_timeout"]), "--request-timeout")
    if not 0.1 <= timeout_s <= 3600:
        raise InputError(
            f"got {o['request_timeout']!r}, expected 0.1 s to 1 h (e.g. 20s)", field="--request-timeout"
        )
    client = OpenAIClient(
        str(o["endpoint"]),
        str(o["served_model"]),
        api=o["api"],  # type: ignore[arg-type]
        timeouts=Timeouts.from_request_timeout(timeout_s),
    )
    served = client.models()
    if str(o["served_model"]) not in served:
        listed = ", ".join(served[:10]) + (f" and {len(served) - 10} more" if len(served) > 10 else "")
        raise InputError(
            f"{o['endpoint']} serves {listed or 'no model'}, not {o['served_model']!r}",
            field="--served-model",
        )
    server_pid = int(o["server_pid"]) if o["server_pid"] is not None else None  # type: ignore[call-overload]
    tree = _server_tree(server_pid) if server_pid is not None else []
    gpu_entries = _gpu_entries(o["gpus"], tree)
    on_gpu = bool(gpu_entries)
    hw = str(o["hardware"]) if o["hardware"] else None
    gpu_power = _hardware_power_w(hw) if (hw and on_gpu) else None
    env = {"CUDA_VISIBLE_DEVICES": ",".join(gpu_entries), "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    if not on_gpu and o["meter"] == "estimate" and server_pid is None:
        raise InputError(
            "estimating a server's CPU energy needs --server-pid (its process id)", field="--server-pid"
        )
    cores = usable_cores()
    choice = choose_meter(
        str(o["meter"]),
        device="cuda" if on_gpu else "cpu",
        cuda_ordinals=tuple(range(len(gpu_entries))) or (0,),
        env=env,
        tdp_w=float(o["tdp"]) if o["tdp"] is not None else (gpu_power[0] if gpu_power else None),  # type: ignore[arg-type]
        idle_w=gpu_power[1] if gpu_power else None,
        cpu_pid=server_pid,
        cores=cores,
    )
    m = choice.meter
    if not on_gpu and m.method == "estimated" and server_pid is None:
        m.close()
        raise InputError(
            "no energy counter for the server here (no GPU named, no RAPL); pass --gpus, or --server-pid "
            "for a CPU estimate",
            field="--gpus",
        )
    try:
        for line in choice.fallbacks:
            _say(f"meter fallback: {line}")
        nvml_names = [g.name for g in getattr(m, "gpus", [])]
        if hw is None:
            hw = hardware_id_for(nvml_names) if on_gpu else CPU_PER_CORE_HARDWARE
            if hw is None:
                raise InputError(
                    f"unknown GPU {', '.join(nvml_names)!r}, pass --hardware ID", field="--hardware"
                )
        _say(f"energy: {m.name} ({m.method}) on {', '.join(m.devices())}")
        output = o["output"] if isinstance(o["output"], Path) else None
        pid = str(o["profile_id"]) if o["profile_id"] else (profile_id_from_path(output) if output else None)
        if pid is None:
            pid = profile_id_from_path(f"{str(o['served_model']).split('/')[-1]}-{hw}")
        out_path = output or Path(f"{pid}.yaml")

        def report(level: Any) -> None:
            at = f"input {level.input_tokens_nominal}, " if level.input_tokens_nominal is not None else ""
            name = f"concurrency {level.concurrency:>4}" if level.request_rate is None else level.label
            if level.status == "ok":
                in_flight = (
                    f", {level.mean_in_flight:.3g} in flight" if level.mean_in_flight is not None else ""
                )
                _say(
                    f"{at}{name}: {level.energy_per_request_j():.4g} J/request{in_flight}, "
                    f"{level.throughput_rps():.4g} requests/s, {level.mean_power_w():.4g} W over a "
                    f"{level.window_s:.3g} s steady state{_server_line(level.server_metrics)}"
                )
            else:
                _say(f"{at}{name}: error ({level.note})")

        scraper, metrics_note = _server_metrics(client)
        host_meter = _host_meter() if on_gpu else None
        try:
            results = run_endpoint_sweep(
                client, prompt_list, task, m, config, on_level=report, host_meter=host_meter, scraper=scraper
            )
        finally:
            if host_meter is not None:
                host_meter.close()
        _distinct_in_flight(results)
        notes = [f"meter fallback: {f}" for f in choice.fallbacks]
        notes.append(f"server metrics: {metrics_note}")
        describe = getattr(m, "describe", None)
        if callable(describe):
            notes.append(str(describe()))
        if not on_gpu and m.method == "estimated":
            notes.append(
                f"CPU estimate follows the server's process tree, {describe_tree(tree)}, over {cores} vCPU(s)"
            )
        if on_gpu and tree and o["gpus"] is None:
            notes.append(f"GPUs found as those held by the server's process tree, {describe_tree(tree)}")
        data = build_endpoint_profile(
            profile_id=pid,
            model_name=str(o["served_model"]),
            parameters=n_params,
            hardware=hw,
            accelerators=max(1, len(gpu_entries)) if on_gpu else cores,
            points=[level_point(r) for r in results],
            endpoint=str(o["endpoint"]),
            api=str(o["api"]),
            meter_name=m.name,
            meter_method=m.method,
            meters=m.scopes(),
            devices=m.devices(),
            driver=m.driver() if hasattr(m, "driver") else None,
            prompts=f"{prompts_label} ({len(prompt_list)} prompts)",
            max_new_tokens=max_new,
            window_s=config.window_s,
            notes=notes,
        )
    finally:
        m.close()
    if not any(r.status == "ok" for r in results):
        reasons = "; ".join(f"{r.label}: {r.note}" for r in results)
        kind = "request-rate" if config.request_rates else "concurrency"
        raise InputError(f"no {kind} level ran ({reasons}); no profile written")
    _say(f"server metrics: {metrics_note}")
    try:
        written = _write_outputs(out_path, data, [r.timeline for r in results], bool(o["timeline"]))
    except OSError as err:  # a disk that filled up while measuring
        raise write_error(out_path, err, field="--output") from None
    for extra in written[1:]:
        _say(f"wrote {extra}")
    _say(f"wrote {out_path} (id {pid}, {'measured' if m.method == 'measured' else 'estimated'} energy)")


def _server_line(m: Any) -> str:
    """The server's gauges over a level, for its progress line ("" without them)."""
    if m is None:
        return ""
    parts = []
    if m.running_mean is not None:
        parts.append(f"{m.running_mean:.3g} running")
    if m.waiting_mean is not None:
        parts.append(f"{m.waiting_mean:.3g} waiting")
    if m.kv_cache_mean is not None:
        parts.append(f"KV cache {100 * m.kv_cache_mean:.3g} % used")
    bound = " (queue-bound)" if m.queue_bound else ""
    return f"; server: {', '.join(parts)} on average{bound}"


def _server_metrics(client: Any) -> tuple[Any, str]:
    """The scraper of the server's Prometheus /metrics and the note saying what it records, or None and
    the note saying why nothing is (one scrape tried: a server without the page is measured as before)."""
    from measure.server_metrics import MetricsScraper, ScrapeError

    scraper = MetricsScraper.for_endpoint(client.base_url, timeouts=client.timeouts, clock=client.clock)
    try:
        first = scraper.scrape()
    except ScrapeError as e:
        return None, f"none recorded ({scraper.url}: {e})"
    have = [
        name
        for name, value in (
            ("running", first.running),
            ("waiting", first.waiting),
            ("KV-cache use", first.kv_cache),
        )
        if value is not None
    ]
    return scraper, f"{', '.join(have)} from {scraper.url} every {scraper.interval_s:g} s"


def _distinct_in_flight(results: list[Any]) -> None:
    """Open-loop levels become points at their mean requests in flight: two rates that ran the same
    (rounded) number cannot both be points of one profile; one line naming them."""
    seen: dict[tuple[int | None, int], float] = {}
    for r in results:
        if r.request_rate is None or r.status != "ok":
            continue
        key = (r.input_tokens_nominal, r.concurrency)
        if key in seen:
            raise InputError(
                f"request rates {seen[key]:g}/s and {r.request_rate:g}/s both ran about {r.concurrency} requests "
                "in flight, and a profile holds one point per concurrency: choose rates further apart; no "
                "profile written",
                field="--request-rate",
            )
        seen[key] = r.request_rate


def _request_rates(text: object) -> tuple[float, ...]:
    """--request-rate "0.5,2,8": distinct rates in requests/s, each above 0 and at most 10,000."""
    if not text:
        return ()
    try:
        rates = tuple(float(r) for r in str(text).split(","))
    except ValueError:
        rates = ()
    if not rates or any(not 0 < r <= 10_000 for r in rates) or len(set(rates)) != len(rates):
        raise InputError(
            f"expected distinct request rates per second above 0 and at most 10000, such as 0.5,2,8, got {text!r}",
            field="--request-rate",
        )
    return rates


def _parameters(text: object) -> int | None:
    if text is None:
        return None
    try:
        value = float(str(text).replace("_", ""))
    except ValueError as e:
        raise InputError(f"expected a number such as 8e9, got {text!r}", field="--parameters") from e
    if not value >= 1:
        raise InputError(f"expected a positive parameter count, got {text!r}", field="--parameters")
    return int(value)


def _gpu_entries(gpus: object, tree: list[int]) -> list[str]:
    """The server's GPUs as NVML indices or UUIDs: as named, or those any process of the server's tree
    (`--server-pid` and its descendants) holds."""
    if gpus is not None:
        entries = [g.strip() for g in str(gpus).split(",") if g.strip()]
        bad = [g for g in entries if not (g.isdigit() or g.startswith(("GPU-", "MIG-")))]
        if not entries or bad:
            raise InputError(
                f"expected NVML indices or GPU-/MIG- UUIDs such as 0,1, got {gpus!r}", field="--gpus"
            )
        return entries
    if not tree:
        return []
    from measure.meters.base import MeterUnavailable
    from measure.meters.nvml_common import gpus_of_process, import_pynvml

    try:
        nvml = import_pynvml()
        return [str(i) for i in gpus_of_process(nvml, tree)]
    except MeterUnavailable as e:
        log.info("no GPU found for process %d's tree: %s", tree[0], e)
        return []


def _server_tree(server_pid: int) -> list[int]:
    """The server's process and its descendants (the model often runs in a child), or one line."""
    from measure.meters.base import MeterReadError
    from measure.meters.process_tree import process_tree

    try:
        return process_tree(server_pid)
    except MeterReadError as e:
        raise InputError(str(e), field="--server-pid") from e
