"""`tco import`: turn other tools' measurements into model profiles (logic in measure/importers/).

The importers are a registry: each is one command function here (typer-annotated, its docstring the help),
registered with `@importer(NAME, reads=...)`, beside its logic module in measure/importers/. `tco import`, its
help and the list of importers it offers all read `IMPORTERS`; an importer registered at run time (a
plugin) shows up the same way. See the README, "Extending slm-tco".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tco.cli.console import friendly, note

GROUP_HELP = "Import energy measurements of other tools as model profiles"


@dataclass(frozen=True)
class Importer:
    """One importer: its name (`tco import NAME`), what it reads (for the group's help) and its command."""

    name: str
    reads: str
    command: Callable[..., None]


IMPORTERS: dict[str, Importer] = {}
import_group = typer.Typer(help=GROUP_HELP, no_args_is_help=True)


def _group_help() -> str:
    listed = "; ".join(f"{i.name}: {i.reads}" for i in IMPORTERS.values())
    return f"{GROUP_HELP} ({listed})." if listed else f"{GROUP_HELP}."


def register(entry: Importer) -> Importer:
    """Add an importer (or replace the one of the same name) to the registry and to `tco import`."""
    unregister(entry.name)
    IMPORTERS[entry.name] = entry
    import_group.command(entry.name)(friendly(entry.command))
    import_group.info.help = _group_help()
    return entry


def unregister(name: str) -> None:
    IMPORTERS.pop(name, None)
    import_group.registered_commands = [c for c in import_group.registered_commands if c.name != name]
    import_group.info.help = _group_help()


def importer(name: str, *, reads: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated command as the importer `name`, reading `reads` (a few words)."""

    def add(command: Callable[..., None]) -> Callable[..., None]:
        register(Importer(name, reads, command))
        return command

    return add


@importer("mlenergy", reads="ML.ENERGY Leaderboard v3 JSON")
def mlenergy(
    files: Annotated[
        list[Path], typer.Argument(help="ML.ENERGY v3 model/task JSON files, or folders of them.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write one profile YAML per GPU setup into.")
    ] = Path("."),
    commit: Annotated[
        str | None, typer.Option(help="Commit of github.com/ml-energy/leaderboard the files come from.")
    ] = None,
    source_path: Annotated[
        str, typer.Option("--source-path", help="Folder of the files in that repository.")
    ] = "public/data/models",
) -> None:
    """One profile per model, task, GPU model and GPU count; one point per max_num_seqs."""
    from measure.importers.mlenergy import import_files
    from tco.scenario.yamlio import check_writable, write_error

    check_writable(out, folder=True, field="--out")  # before reading: a bad folder fails at once
    try:
        written = import_files(files, out, commit=commit, source_path=source_path)
    except OSError as err:  # a full disk: nothing was moved into place
        raise write_error(out, err, field="--out") from None
    for path in written:
        note(f"wrote {path}")
    note(f"{len(written)} profile(s) written to {out}")


@importer("codecarbon", reads="a CodeCarbon emissions.csv run")
def codecarbon(
    file: Annotated[Path, typer.Argument(help="CodeCarbon emissions.csv.")],
    queries: Annotated[
        int, typer.Option("--queries", help="Queries served during the run (all pooled runs with --pool).")
    ],
    model_name: Annotated[str, typer.Option("--model-name", help="Model that served them.")],
    parameters: Annotated[str, typer.Option(help="Its parameter count, e.g. 8e9.")],
    kind: Annotated[str, typer.Option(help="Model kind: causal-lm, seq2seq or classifier.")] = "causal-lm",
    hardware: Annotated[
        str | None,
        typer.Option(help="Hardware id; default from CodeCarbon's gpu_model, cpu-vcpu without GPU."),
    ] = None,
    accelerators: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Accelerators per replica; default CodeCarbon's gpu_count (its cpu_count without GPU).",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Batch size the run used.")] = 1,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="The run to import when the file holds several.")
    ] = None,
    pool: Annotated[
        bool, typer.Option("--pool", help="Add up every run of the file (same hardware) into one.")
    ] = False,
    rapl: Annotated[
        bool,
        typer.Option("--rapl", help="CodeCarbon's log said it read RAPL: the CPU energy is measured."),
    ] = False,
    power_check: Annotated[
        bool,
        typer.Option(
            "--power-check/--no-power-check",
            help="Refuse a run whose implied power exceeds the hardware entry's max power by over 10 %.",
        ),
    ] = True,
    profile_id: Annotated[
        str | None, typer.Option("--id", help="Profile id; default from the output name.")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Profile YAML to write.")] = Path(
        "codecarbon-profile.yaml"
    ),
) -> None:
    """A profile (meter codecarbon) from a CodeCarbon run and the number of queries it served."""
    from measure.importers.codecarbon import gpu_models, profile_from_run, read_run
    from measure.profile import hardware_id_for, profile_id_from_path
    from tco.errors import InputError
    from tco.scenario.repository import load_repository
    from tco.scenario.yamlio import check_writable, dump_yaml, write_atomic, write_error

    check_writable(output, field="--output")  # before reading: a bad path fails at once
    try:
        n_params = float(parameters)
    except ValueError as e:
        raise InputError(f"expected a number such as 8e9, got {parameters!r}", field="--parameters") from e
    kinds = ("causal-lm", "seq2seq", "classifier")
    if kind not in kinds:
        raise InputError(f"got {kind!r}, expected one of {', '.join(kinds)}", field="--kind")
    run = read_run(file, run_id, pool=pool)
    hw = hardware
    if hw is None:
        if not run.on_gpu:
            hw = "cpu-vcpu"
        else:
            models = gpu_models(run.gpu_model, run.gpu_count)
            ids = {hardware_id_for([name]) for _, name in models if name}
            if len(models) > 1 and len(ids) != 1:
                listed = ", ".join(f"{n} x {name}" for n, name in models)
                raise InputError(
                    f"the run used different GPUs ({listed}); a profile is one kind of accelerator: "
                    "import a run on one kind, or pass --hardware",
                    file=str(file),
                    field="gpu_model",
                )
            hw = ids.pop() if len(ids) == 1 else None
            if hw is None:
                raise InputError(f"unknown GPU {run.gpu_model!r}, pass --hardware ID", field="--hardware")
    entry = load_repository().hardware.get(hw)
    pid = profile_id or profile_id_from_path(output)
    data = profile_from_run(
        run,
        file=str(file),
        queries=queries,
        profile_id=pid,
        model_name=model_name,
        parameters=n_params,
        hardware=hw,
        accelerators=accelerators,
        batch_size=batch_size,
        kind=kind,
        rapl=rapl,
        max_power_w=float(entry.power.max) if entry is not None else None,
        power_check=power_check,
    )
    try:
        write_atomic(output, "# Imported by `tco import codecarbon`; edit with care.\n" + dump_yaml(data))
    except OSError as err:  # a full disk: the profile is written whole or not at all
        raise write_error(output, err, field="--output") from None
    note(
        f"wrote {output} (id {pid}, {data['points'][0]['energy_per_query']}/query, {data['provenance']['method']})"
    )


@importer("inferencex", reads="InferenceX result JSON")
def inferencex(
    files: Annotated[
        list[Path], typer.Argument(help="InferenceX result JSON: agg_*.json, agg_bmk.json or app rows.")
    ],
    parameters: Annotated[
        str, typer.Option(help="The model's parameter count, e.g. 117e9 (not in the rows).")
    ],
    active_parameters: Annotated[
        str | None, typer.Option("--active-parameters", help="Active parameters of an MoE model, e.g. 5.1e9.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Only rows whose model or model prefix contains this.")
    ] = None,
    hardware: Annotated[
        list[str] | None,
        typer.Option("--hardware", help="Map a runner name to a hardware id: mi355x=mi355x (repeatable)."),
    ] = None,
    power: Annotated[
        str | None,
        typer.Option("--power", help="Power per GPU for runs without power, e.g. '650 W' (you state it)."),
    ] = None,
    power_from: Annotated[
        str | None,
        typer.Option("--power-from", help="Borrow power per GPU from this measured profile of the same GPU."),
    ] = None,
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", help="Where the file comes from (run, artifact or commit URL)."),
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Date of the runs, YYYY-MM-DD (agg rows carry none).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write one profile YAML per configuration into.")
    ] = Path("."),
) -> None:
    """One profile per hardware, model, precision, framework and parallel configuration; one point per run
    (ISL/OSL, concurrency). Runs without power get no invented energy: give --power or --power-from."""
    from measure.importers.inferencex import import_files
    from tco.errors import InputError
    from tco.scenario.units import parse
    from tco.scenario.yamlio import check_writable, write_error

    check_writable(out, folder=True, field="--out")  # before reading: a bad folder fails at once
    maps = {}
    for item in hardware or []:
        name, sep, hw_id = item.partition("=")
        if not sep or not name or not hw_id:
            raise InputError(f"expected NAME=ID, got {item!r}", field="--hardware")
        maps[name.lower()] = hw_id
    n_params = _count(parameters, "--parameters")
    n_active = _count(active_parameters, "--active-parameters") if active_parameters else None
    try:
        watts = parse(power, "W") if power is not None else None
    except InputError as e:
        raise e.located(field="--power") from e
    borrowed = None
    if power_from is not None:
        from tco.scenario.repository import load_repository

        repo = load_repository()
        borrowed = repo.models.get(power_from)
        if borrowed is None:
            raise InputError(f"unknown profile {power_from!r}", field="--power-from")
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise InputError(f"expected YYYY-MM-DD, got {date!r}", field="--date")
    try:
        summary = import_files(
            files,
            out,
            parameters=n_params,
            active_parameters=n_active,
            model=model,
            hardware=maps,
            power_w=watts,
            power_from=borrowed,
            source_url=source_url,
            date=date,
        )
    except OSError as err:  # a full disk: nothing was moved into place
        raise write_error(out, err, field="--out") from None
    for path in summary.written:
        note(f"wrote {path}")
    skipped = "; ".join(f"{n} {why}" for why, n in sorted(summary.skipped.items()))
    note(f"{len(summary.written)} profile(s) written to {out}" + (f"; skipped {skipped}" if skipped else ""))


def _count(text: str, flag: str) -> float:
    from tco.errors import InputError

    try:
        value = float(text)
    except ValueError as e:
        raise InputError(f"expected a number such as 117e9, got {text!r}", field=flag) from e
    if not value > 0:
        raise InputError(f"expected more than 0, got {text!r}", field=flag)
    return value
