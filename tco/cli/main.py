"""The `tco` command line: reports, validation, profiles, measurement and analysis.

Every command prints through `tco.cli.console` (markup off for user text) and turns slm-tco's own errors
into one line on stderr and exit code 2 (`console.fail`, `console.friendly`); no traceback reaches the user
for bad input. Reports compute their view once (`tco.analysis.view.compute_view`) and hand it to
`tco.presentation`; the formats `--format` takes are the registry's (`tco.presentation.reports.formats`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from tco.cli.console import drop_stdout, err, fail, friendly, out
from tco.presentation.reports import formats
from tco.scenario.yamlio import check_writable, write_error

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


def _formats_help() -> str:
    return f"Report format: {formats.describe()}. Default: from the --output file name, else md."


# the --format option of `tco report`; its help is the registry's, read again when the command line is built
FORMAT_OPTION = typer.Option("--format", "-f", help=_formats_help())


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
    fmt: Annotated[str, FORMAT_OPTION] = "",
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
    # the views' entry and the loader from their own modules: tco.api also imports curves and the planner
    from tco.analysis.view import compute_view
    from tco.presentation import reports
    from tco.scenario.load import load_scenario

    chosen = formats.find(fmt) if fmt else None
    if fmt and chosen is None:
        raise fail(f"--format: unknown format {fmt!r}, expected one of {', '.join(formats.FORMATS)}")
    if chosen is None and output is not None:
        chosen = formats.from_suffix(output.suffix) if output.suffix else formats.get("md")
        if chosen is None:
            raise fail(f"--output: cannot tell the format from {output.name!r}, give --format")
    assert chosen is not None
    if output is None and chosen.binary:
        raise fail(f"--format {chosen.name} is binary: give -o PATH")
    if output is not None:  # before any work: a bad path fails in a second, not after the analysis
        folder = chosen.folder and output.suffix.lower() != chosen.extension
        check_writable(output, folder=folder, field="--output")
    loaded = load_scenario(scenario, extra_profiles=profile or ())
    view = compute_view(loaded, analysis=analysis, charts=chosen.charts, workbook=chosen.workbook)
    if output is None:
        sys.stdout.write(reports.render(view, chosen.name).decode("utf-8"))
        return
    try:
        path = reports.write(view, chosen.name, output)
    except OSError as e:  # a full disk or a folder removed meanwhile
        raise write_error(output, e, field="--output") from None
    err.print(f"wrote {path}")


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
    """The terminal view: what to print, one renderable at a time, with its `highlight` (None: the console's).
    The view is computed once (the results, and the plan of a task portfolio: the planner runs once)."""
    from tco.analysis.view import compute_view
    from tco.presentation.reports import terminal
    from tco.scenario.load import load_scenario

    loaded = load_scenario(scenario, extra_profiles=profile or ())
    view = compute_view(loaded)
    results = view.results
    yield Text.assemble((loaded.name, "bold"), f"  ({loaded.file})"), False
    for item in terminal.plan_view(view):  # a task portfolio only: the plan first
        yield item, False
    yield Text(terminal.answer_line(results)), False
    yield terminal.summary_table(results), None
    for line in terminal.comparison_lines(results):
        yield line, False


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
    kind: Annotated[
        str, typer.Argument(help="models, hardware, regions, apis or scenarios (the Profiles page's tabs).")
    ] = "models",
) -> None:
    """List reference data of one kind: the same table as the app's Profiles page."""
    from tco.presentation.reference import KINDS
    from tco.presentation.reports.terminal import frame_table
    from tco.scenario.repository import load_repository

    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}, expected {', '.join(KINDS)}")
    out.print(frame_table(KINDS[kind].table(load_repository())))


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
    from tco.cli import analysis as analysis_cli
    from tco.cli.data import data_app
    from tco.cli.imports import import_group
    from tco.cli.plan import plan

    tco_app.add_typer(import_group, name="import")
    from tco.cli.sweep import sweep

    tco_app.command("sweep")(friendly(sweep))  # Ctrl-C while it starts (Ray) is one line, not a silent 130
    tco_app.add_typer(data_app, name="data")
    for name in ("compare", "sensitivity", "uncertainty", "breakeven", "curve"):
        tco_app.command(name)(friendly(getattr(analysis_cli, name)))
    tco_app.command("plan")(friendly(plan))
    from tco.cli.diff import diff

    tco_app.command("diff")(friendly(diff))


def _sync_help() -> None:
    """Help texts read from the registries again (a format registered since the module was imported)."""
    FORMAT_OPTION.help = _formats_help()


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, every command registered
        _register_optional()
        _sync_help()
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
    _sync_help()
    try:
        result = tco_app(args=args, prog_name="tco", standalone_mode=False)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not as a traceback at exit
    except OSError as e:
        # writing stdout failed (`tco plan -f json > /dev/full`), or a path no command caught
        drop_stdout()
        why = e.strerror or str(e)
        fail(f"{e.filename}: {why}" if e.filename else f"stdout: cannot be written ({why})")
        return 2
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
