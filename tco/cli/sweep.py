"""`tco sweep SCENARIO SWEEP.yaml`: run a scenario at many points (a grid or samples of its inputs), in this
process, on local worker processes or on a Ray cluster, into one Parquet file with one row per point.

A plain function with typer-annotated parameters, registered by tco/cli/main.py. Bad input (the sweep file,
the scenario, a flag) is one line on stderr and exit code 2, before anything runs; Ctrl-C keeps every
finished block and exits 130; a worker that dies keeps them too and exits 1; `--resume` goes on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from tco.cli.console import err, fail
from tco.cli.console import out as stdout
from tco.errors import TcoError

INTERRUPTED_CODE = 130
WORKER_LOST_CODE = 1


def _rate(task: Task) -> float | None:
    """Points computed by this run per second since it started (resumed points not counted)."""
    computed = task.fields.get("computed", 0)
    elapsed = task.elapsed or 0.0
    return computed / elapsed if computed and elapsed > 0 else None


class RateColumn(ProgressColumn):
    """Points per second of this run, averaged since it started (blocks finish in bursts)."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        return Text("-- points/s" if rate is None else f"{rate:,.2f} points/s", style="cyan")


class LeftColumn(ProgressColumn):
    """Time left at this run's average rate."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if rate is None or task.total is None:
            return Text("left -:--:--", style="cyan")
        left = int(max(0.0, task.total - task.completed) / rate)
        return Text(f"left {left // 3600}:{left % 3600 // 60:02d}:{left % 60:02d}", style="cyan")


def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file, or the name of a shipped scenario.")],
    sweep_file: Annotated[
        Path, typer.Argument(help="Sweep YAML file: the inputs to vary, how, and what to run.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Parquet file to write. Default: SWEEP's name with .parquet, here."
        ),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            "-w",
            help="Run on N local worker processes (auto: this machine's cores). Default: in this process.",
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run on a Ray cluster: its address, auto (the one `ray start --head` started here) or local "
            "(a private one for this run).",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Go on with an interrupted sweep of OUTPUT.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Start again, replacing OUTPUT.")] = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Where to write the chart. Default: OUTPUT with .png.")
    ] = None,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Write no chart.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a scenario at every point of a sweep (grid or samples), in parallel, into a Parquet table."""
    from tco.analysis.sweep import CHART_AXES, WorkerLost, prepare
    from tco.analysis.sweep_backends import check_flags, execute, make_backend
    from tco.scenario.load import load_scenario
    from tco.scenario.sweep import block_size, sweep_from_dict
    from tco.scenario.sweep_store import FORMAT, SweepStore
    from tco.scenario.yamlio import check_writable, read_yaml

    if resume and overwrite:
        raise fail("--resume and --overwrite: expected one of them, not both")
    out = output or Path(sweep_file.stem + ".parquet")
    png: Path | None = None
    try:
        check_flags(workers, ray)
        check_writable(out, field="--output")  # a folder (`-o ''` is '.') is refused here
        png = None if no_chart else (chart or out.with_suffix(".png"))
        if png is not None:
            check_writable(png, field="--chart")
        data = read_yaml(sweep_file)
        sw = sweep_from_dict(data, file=str(sweep_file))
        base = load_scenario(scenario)
        backend = make_backend(workers, ray)
    except TcoError as e:
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"{e.filename or ''}: {e.strerror or e}") from None
    try:
        plan = prepare(sw, data, base, workers=backend.workers)
    except TcoError as e:
        backend.close()  # leave a Ray cluster joined for nothing
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"{e.filename or ''}: {e.strerror or e}") from None
    kind = plan.kind
    axes = [
        next((c.name for c in plan.outputs if c.name.startswith(a + " [")), None) for a in CHART_AXES[kind]
    ]
    meta: dict[str, Any] = {
        "format": FORMAT,
        "scenario": base.file,
        "scenario_name": base.name,
        "sweep_file": str(sweep_file),
        "sweep_name": sw.spec.name,
        "run": kind,
        "method": sw.method,
        "count": sw.count,
        "block": block_size(sw),
        "digest": plan.job.key,
        "currency": plan.currency,
        "inputs": [c.name for c in plan.inputs],
        "objectives": {c.name: c.sense for c in plan.outputs if c.sense},
        "units": plan.units,
        "chart": axes if all(axes) else None,
    }
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], meta)
    try:
        done = store.start(resume=resume, overwrite=overwrite)
    except TcoError as e:
        backend.close()
        raise fail(str(e)) from None
    left = sw.count - len(done)
    where = backend.name + (f" x{backend.workers}" if backend.name != "in-process" else "")
    if resume:
        err.print(
            f"resuming: {len(done):,} of {sw.count:,} points already written, {left:,} to compute ({where})"
        )
    else:
        err.print(f"{sw.count:,} points ({kind}, {sw.method}), {where}, writing {out}")
    t0 = time.perf_counter()
    progress = Progress(
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        RateColumn(),
        TimeElapsedColumn(),
        LeftColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )
    state = None
    try:
        with progress:
            task = progress.add_task("sweep", total=sw.count, completed=len(done), computed=0)

            def on_block(p: Any) -> None:
                progress.update(task, completed=p.done, computed=p.computed)

            state = execute(plan, store, backend, done=done, on_block=on_block)
    except KeyboardInterrupt:
        rows = store.finish(sw.count)
        raise fail(
            f"interrupted: {rows:,} of {sw.count:,} points are written to {out}; run the same command "
            "with --resume to compute the rest",
            INTERRUPTED_CODE,
        ) from None
    except WorkerLost as e:
        rows = store.finish(sw.count)
        raise fail(
            f"{e}: {rows:,} of {sw.count:,} points are written to {out}; run the same command with "
            "--resume to compute the rest",
            WORKER_LOST_CODE,
        ) from None
    except TcoError as e:
        store.finish(sw.count)
        raise fail(str(e)) from None
    seconds = time.perf_counter() - t0
    rows = store.finish(sw.count)
    computed = state.computed if state else 0
    rate = f", {computed / seconds:,.2f} points/s" if computed and seconds > 0 else ""
    err.print(f"{computed:,} points computed in {seconds:,.1f} s{rate} ({where}); {out}: {rows:,} rows")
    _summary(out, meta, png)


def _summary(out: Path, meta: dict[str, Any], png: Path | None) -> None:
    """The terminal summary of the file's rows (all of them, resumed ones included), and the chart."""
    from tco.analysis.sweep_summary import best_points, importance, ok_rows, scatter_frame
    from tco.presentation.sweep import chart_png, inputs_text, label, scatter_chart, value_text
    from tco.scenario.sweep_store import read_table
    from tco.scenario.yamlio import write_atomic

    df = read_table(out).to_pandas()
    console = stdout
    inputs = list(meta["inputs"])
    objectives: dict[str, str] = dict(meta["objectives"])
    failed = df[df["error"].notna()]
    if len(failed):
        first = failed.iloc[0]
        err.print(
            f"note: {len(failed):,} points failed (their rows hold the error); first, point {first['point']}: {first['error']}"
        )
    best = best_points(df, objectives, inputs)
    if not best.empty:
        t = Table(title="Best point per objective")
        for c in ("objective", "best", "point", "inputs"):
            t.add_column(c, overflow="fold")
        for _, r in best.iterrows():
            t.add_row(
                f"{'lowest' if r['sense'] == 'min' else 'highest'} {label(r['objective'])}",
                value_text(r["value"]),
                str(r["point"]),
                inputs_text(r["inputs"]),
            )
        console.print(t)
    imp = importance(df, list(objectives), inputs)
    if not imp.empty:
        t = Table(title="Inputs that moved the answer most (share of variance explained alone, eta^2)")
        t.add_column("input")
        for o in imp.columns:
            t.add_column(label(o), justify="right")
        for name, r in imp.iterrows():
            t.add_row(label(str(name)), *("" if v != v else f"{v:.2f}" for v in r))
        console.print(t)
    if png is not None and meta.get("chart") and len(ok_rows(df)):
        colour = str(imp.index[0]) if not imp.empty else (inputs[0] if inputs else None)
        title = f"Sweep of {meta.get('scenario_name') or meta['scenario']}: cost vs emissions"
        cost, emissions = meta["chart"][0], meta["chart"][1]
        frame = scatter_frame(df, cost, emissions)
        chart = scatter_chart(frame, cost, emissions, colour=colour, inputs=inputs, title=title)
        write_atomic(png, chart_png(chart))
        err.print(f"wrote {png}")
