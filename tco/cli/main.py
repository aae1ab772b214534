"""The `tco` command line: reports, validation, profiles, measurement and analysis.

Every command turns slm-tco's own errors into one line on stderr and exit code 2; no traceback reaches
the user for bad input.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tco.errors import TcoError
from tco.scenario.yamlio import check_writable, write_error

F = TypeVar("F", bound=Callable[..., Any])

tco_app = typer.Typer(
    name="tco",
    help="Total cost of ownership and emissions of language-model inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
profiles_app = typer.Typer(
    help="Browse the model profiles, hardware and regions slm-tco knows.", no_args_is_help=True
)
tco_app.add_typer(profiles_app, name="profiles")

# a pipe or file gets long lines rather than table cells folded to rich's 80-column default.
# markup=False: names, ids, paths and values are user text, printed as written ("Plan [/b] 2026").
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one error line on stderr (the message literally, on one line) and return the Exit to raise."""
    line = " ".join(str(message).split())
    err.print(Text.assemble(("error:", "bold red"), " ", line), highlight=False)
    return typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn slm-tco errors into one line and exit 2, Ctrl-C into exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TcoError as e:
            raise fail(str(e)) from None
        except OSError as e:  # the system refused a path a user gave (too long, vanished, no permission)
            where = f"{e.filename}: " if e.filename else ""
            raise fail(f"{where}{e.strerror or e}") from None
        except KeyboardInterrupt:
            raise fail("interrupted, nothing written", 130) from None

    return wrapper  # type: ignore[return-value]


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario YAML file, or the name of a shipped scenario. Default: portfolio (the task portfolio)."
    ),
]
ProfileOpt = Annotated[
    list[Path] | None,
    typer.Option("--profile", "-p", help="Extra model profile YAML to load (repeatable)."),
]


@tco_app.command()
@friendly
def report(
    scenario: ScenarioArg = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, csv, json, xlsx or html.")] = "",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    profile: ProfileOpt = None,
    analysis: Annotated[bool, typer.Option(help="Include sensitivity and uncertainty results.")] = True,
) -> None:
    """Evaluate a scenario: a summary table, or a report file in one of several formats."""
    if not fmt and output is None:
        _terminal_report(scenario, profile)
        return
    # tco.api's names from their own modules: the facade also imports curves and the planner
    from tco.analysis.evaluate import evaluate
    from tco.presentation import reports
    from tco.scenario.load import load_scenario

    if fmt and fmt not in reports.FORMATS:
        raise fail(f"--format: unknown format {fmt!r}, expected one of {', '.join(reports.FORMATS)}")
    if not fmt and output is not None:
        fmt = output.suffix.lstrip(".").replace("markdown", "md") if output.suffix else "md"
        if fmt not in reports.FORMATS:
            raise fail(f"--output: cannot tell the format from {output.name!r}, give --format")
    if output is not None:  # before any work: a bad path fails in a second, not after the analysis
        check_writable(output, folder=fmt == "csv" and output.suffix.lower() != ".csv", field="--output")
    loaded = load_scenario(scenario, extra_profiles=profile or ())
    results = evaluate(loaded)
    tables = _analysis_tables(loaded) if analysis else None
    if output is None:
        if fmt in ("xlsx",):
            raise fail(f"--format {fmt} is binary: give -o PATH")
        sys.stdout.write(reports.render(results, fmt, analysis=tables).decode("utf-8"))
        return
    try:
        path = reports.write(results, fmt, output, analysis=tables)
    except OSError as e:  # a full disk or a folder removed meanwhile
        raise write_error(output, e, field="--output") from None
    err.print(f"wrote {path}", highlight=False)


def _terminal_report(scenario: str | None, profile: list[Path] | None) -> None:
    """Print the terminal view, from the cache of views (tco.cli.report_cache) when its inputs are unchanged."""
    from tco.cli import report_cache

    key = None if profile else report_cache.view_key(scenario)
    items = report_cache.cached_view(key)
    if items is not None:
        for item, highlight in items:
            out.print(item, highlight=highlight)
        return
    items = []
    with report_cache.watching() as quiet:
        for item, highlight in _terminal_view(scenario, profile):  # printed as it comes
            out.print(item, highlight=highlight)
            items.append((item, highlight))
    if quiet():
        report_cache.keep_view(key, items)


def _terminal_view(scenario: str | None, profile: list[Path] | None) -> Iterator[tuple[Any, bool | None]]:
    """The terminal view: what to print, one renderable at a time, with its `highlight` (None: the console's)."""
    from tco.analysis.evaluate import evaluate
    from tco.presentation.reports import terminal
    from tco.scenario.load import load_scenario

    loaded = load_scenario(scenario, extra_profiles=profile or ())
    results = evaluate(loaded)
    yield Text.assemble((loaded.name, "bold"), f"  ({loaded.file})"), False
    for item in terminal.plan_view(results):  # a task portfolio only: the plan first
        yield item, False
    yield Text(terminal.answer_line(results)), False  # plain text: no markup read in it
    yield terminal.summary_table(results), None
    for line in terminal.comparison_lines(results):
        yield line, False


def _analysis_tables(loaded: Any) -> Any:
    try:
        from tco.analysis import analysis_tables
    except ImportError:  # analysis package not installed in this build
        return None
    return analysis_tables(loaded)


@tco_app.command()
@friendly
def validate(
    scenario: Annotated[list[str], typer.Argument(help="Scenario YAML files (or shipped names).")],
    profile: ProfileOpt = None,
) -> None:
    """Check scenarios (and the profiles they use) without evaluating them."""
    from tco.api import load_scenario

    for s in scenario:
        loaded = load_scenario(s, extra_profiles=profile or ())
        out.print(
            Text.assemble(("ok", "green"), f" {loaded.file}: {len(loaded.spec.options)} options"),
            highlight=False,
        )


@profiles_app.command("list")
@friendly
def profiles_list(
    kind: Annotated[str, typer.Argument(help="models, hardware, regions, apis or scenarios.")] = "models",
) -> None:
    """List reference data of one kind."""
    from tco.scenario.repository import load_repository

    repo = load_repository()
    table = Table(show_lines=False)
    if kind == "models":
        for col in ("id", "model", "kind", "hardware", "batch sizes", "method", "tasks"):
            table.add_column(col)
        for m in repo.models.values():
            table.add_row(
                m.id,
                m.model.name,
                m.model.kind,
                f"{m.accelerators}x {m.hardware}",
                ",".join(str(p.batch_size) for p in m.points),
                m.provenance.method,
                ",".join(q.task for q in m.quality),
            )
    elif kind == "hardware":
        for col in ("id", "name", "memory (GB)", "max power (W)", "idle power (W)", "purchase", "rent (/h)"):
            table.add_column(col)
        for h in repo.hardware.values():
            buy = h.prices.purchase
            price = f"{buy.price.value:,.0f} {buy.price.currency} ({buy.date})" if buy else "-"
            rent = h.prices.gpu_cloud or h.prices.hyperscaler
            tier = "gpu-cloud" if h.prices.gpu_cloud else "hyperscaler"
            cloud = f"{rent.price.value:.2f} {rent.price.currency} ({tier}, {rent.date})" if rent else "-"
            table.add_row(
                h.id, h.name, f"{h.memory:g}", f"{h.power.max:g}", f"{h.power.idle:g}", price, cloud
            )
    elif kind == "regions":
        for col in ("id", "name", "grid (gCO2e/kWh)", "year", "electricity", "year "):
            table.add_column(col)
        for r in repo.regions.values():
            p = r.electricity.price
            table.add_row(
                r.id,
                r.name,
                f"{r.grid.intensity:g}",
                str(r.grid.year),
                f"{p.value:.4g} {p.currency}/kWh",
                str(r.electricity.year),
            )
    elif kind == "apis":
        for col in ("id", "name", "provider", "input (/Mtoken)", "output (/Mtoken)"):
            table.add_column(col)
        for a in repo.apis.values():
            pi, po = a.price.input, a.price.output
            table.add_row(
                a.id,
                a.name,
                a.provider,
                f"{pi.value * 1e6:.3g} {pi.currency}",
                f"{po.value * 1e6:.3g} {po.currency}",
            )
    elif kind == "scenarios":
        table.add_column("name")
        table.add_column("file")
        for name, path in repo.scenario_files().items():
            table.add_row(name, str(path))
    else:
        raise fail(f"unknown kind {kind!r}, expected models, hardware, regions, apis or scenarios")
    out.print(table)


@profiles_app.command("show")
@friendly
def profiles_show(
    ident: Annotated[str, typer.Argument(help="Id of a model profile, hardware, region or API.")],
) -> None:
    """Show one entry of the reference data as written in its file (every number with its unit), with its sources."""
    from tco.scenario.repository import load_repository
    from tco.scenario.yamlio import dump_yaml, read_yaml

    repo = load_repository()
    lists: dict[str, dict[str, Any]] = {"hardware": repo.hardware, "regions": repo.regions, "apis": repo.apis}
    if ident in repo.models:
        path = repo.model_files[ident]
        out.print(f"# {path}", highlight=False)
        out.print(dump_yaml(read_yaml(path)), highlight=False)
        return
    for key, table in lists.items():
        if ident in table:
            path = repo.root / f"{key}.yaml"
            data: Any = read_yaml(path)
            entry = next(e for e in data[key] if isinstance(e, dict) and e.get("id") == ident)
            out.print(f"# {path}", highlight=False)
            out.print(dump_yaml(entry), highlight=False)
            return
    known = sorted({*repo.models, *repo.hardware, *repo.regions, *repo.apis})
    raise fail(f"unknown id {ident!r}, expected one of {', '.join(known)}")


# the commands defined in this module; any other command's module is imported only when it may run
OWN_COMMANDS = frozenset({"report", "validate", "profiles"})
_registered = False


def _register_optional() -> None:
    """Register the commands defined in other modules (analysis, plan, import, measure: pandas, scipy or
    optional dependencies), once. `run` skips it for this module's own commands, so `tco report` does not
    import them; `--help`, any other command and `app` (tests, embedding) register them all."""
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from measure.cli import measure
    except ImportError as e:  # pragma: no cover - measure is part of the package
        logging.getLogger(__name__).debug("measure unavailable: %s", e)
    else:
        tco_app.command("measure")(measure)
    try:
        from measure.cascade_cli import measure_cascade
    except ImportError as e:  # pragma: no cover - measure is part of the package
        logging.getLogger(__name__).debug("measure-cascade unavailable: %s", e)
    else:
        tco_app.command("measure-cascade")(measure_cascade)
    try:
        from tco.cli.imports import import_app
    except ImportError as e:  # pragma: no cover
        logging.getLogger(__name__).debug("import unavailable: %s", e)
    else:
        tco_app.add_typer(import_app, name="import")
    try:
        from tco.cli import analysis as analysis_cli
    except ImportError as e:  # pragma: no cover
        logging.getLogger(__name__).debug("analysis unavailable: %s", e)
    else:
        for name in ("compare", "sensitivity", "uncertainty", "breakeven", "curve"):
            fn = getattr(analysis_cli, name, None)
            if fn is not None:
                tco_app.command(name)(fn)
    from tco.cli.plan import plan

    tco_app.command("plan")(plan)
    from tco.cli.sweep import sweep

    tco_app.command("sweep")(sweep)
    from tco.cli.data import data_app

    tco_app.add_typer(data_app, name="data")


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, every command registered
        _register_optional()
        return tco_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(argv: list[str] | None = None) -> int:
    """Run the `tco` command line on `argv` (default: sys.argv) and return the exit code.

    Usage errors (an unknown flag, a flag value of the wrong type) are one line and exit 2, like every
    other bad input; Ctrl-C is one line and exit 130.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in OWN_COMMANDS:
        _register_optional()
    try:
        result = tco_app(args=args, prog_name="tco", standalone_mode=False)
    except typer.Abort:  # typer's form of Ctrl-C
        fail("interrupted, nothing written")
        return 130
    except typer.TyperException as e:  # usage errors: unknown flag, bad flag value, missing argument
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "tco"
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        message = message.replace("Value error, ", "")  # pydantic's prefix, as typer passes it on
        if message:  # empty after `tco` alone: the help is the answer
            fail(f"{where}: {message} (see {where} --help)")
        return int(getattr(e, "exit_code", 2))
    return result if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the `tco` command (see tco.cli.main for the one that also guards start-up)."""
    sys.exit(run())


if __name__ == "__main__":
    main()
