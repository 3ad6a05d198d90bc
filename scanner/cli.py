"""The ``cldscan`` command line.

Heavy modules (boto3, the engine, the checks) are imported inside commands, so that
``--help`` and ``--version`` stay fast and need no cloud SDK.
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from scanner import __version__
from scanner.errors import CldscanError, ConfigurationError, ExitCode
from scanner.outputs import FORMATS

if TYPE_CHECKING:
    from providers.base import Progress
    from scanner.engine import ScanReport
    from scanner.inventory import Inventory
    from scanner.registry import Check

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = ("info", "low", "medium", "high", "critical")
STATUSES = ("PASS", "FAIL", "ERROR")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
DEMO_EXTRA = "the demo needs the demo extra: pip install 'cldscan[demo]'"

EXIT_CODES_EPILOG = """\b
Exit status:
  0  completed; no failing finding at or above --fail-on
  1  internal error (a bug: a traceback is printed)
  2  usage, configuration, credentials or snapshot error
  3  failing findings at or above --fail-on
  4  completed with gaps (some scopes not evaluated), nothing failing
     at the threshold
"""


# --- running and error handling ----------------------------------------------------------


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _error(message: str) -> None:
    click.echo(f"cldscan: error: {_one_line(message)}", err=True)


def _usage_hint(exc: click.UsageError) -> str:
    if exc.ctx is None:
        return ""
    return f" (see '{exc.ctx.command_path} --help')"


def _run(call: Callable[[], Any]) -> int:
    """Run the command line; turn expected faults into one line and an exit status."""
    try:
        rv = call()
    except CldscanError as exc:
        _error(str(exc))
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except click.UsageError as exc:
        _error(exc.format_message() + _usage_hint(exc))
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        _error(exc.format_message())
        return int(ExitCode.USAGE)
    except (click.Abort, KeyboardInterrupt):
        click.echo("cldscan: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:
        traceback.print_exc()
        _error(f"internal error ({type(exc).__name__}); please report this with the traceback")
        return int(ExitCode.INTERNAL)
    return rv if isinstance(rv, int) else int(ExitCode.OK)


class CldscanGroup(click.Group):
    """A group whose ``main`` applies cldscan's error and exit-status rules."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = _run(
            lambda: super(CldscanGroup, self).main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


# --- shared options ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutputOptions:
    fmt: str | None
    output: Path | None
    check_ids: tuple[str, ...]
    controls: tuple[str, ...]
    severity: str | None
    fail_on: str
    statuses: tuple[str, ...]
    admin_ports: tuple[int, ...]
    key_max_age_days: int
    unused_days: int


def _stack(func: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that evaluates: filters, format, thresholds."""
    options: list[Callable[[Any], Any]] = [
        click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(tuple(FORMATS), case_sensitive=False),
            help="Output format [default: table on a terminal, else json].",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write findings to FILE (atomically) instead of stdout.",
        ),
        click.option(
            "--check",
            "check_ids",
            multiple=True,
            metavar="ID",
            help="Run only checks whose id matches (glob, repeatable).",
        ),
        click.option(
            "--control",
            "controls",
            multiple=True,
            metavar="CLD.x",
            help="Run only checks of this control (repeatable).",
        ),
        click.option(
            "--severity",
            type=click.Choice(SEVERITIES, case_sensitive=False),
            help="Report only findings at or above this severity.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice((*SEVERITIES, "none"), case_sensitive=False),
            default="low",
            show_default=True,
            help="Exit 3 when a FAIL at or above this severity is found.",
        ),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(STATUSES, case_sensitive=False),
            help="Show only findings with this status (repeatable) [default: all].",
        ),
        click.option(
            "--admin-port",
            "admin_ports",
            multiple=True,
            type=click.IntRange(0, 65535),
            help="An administrative port (repeatable) [default: 22 and 3389].",
        ),
        click.option(
            "--key-max-age-days",
            type=click.IntRange(min=1),
            default=90,
            show_default=True,
            help="Maximum age of an access key or service-account key.",
        ),
        click.option(
            "--unused-days",
            type=click.IntRange(min=1),
            default=45,
            show_default=True,
            help="A credential unused this long is stale.",
        ),
    ]

    def wrapper(**kwargs: Any) -> Any:
        out = OutputOptions(
            fmt=_lower(kwargs.pop("fmt")),
            output=kwargs.pop("output"),
            check_ids=tuple(kwargs.pop("check_ids")),
            controls=tuple(c.upper() for c in kwargs.pop("controls")),
            severity=_lower(kwargs.pop("severity")),
            fail_on=kwargs.pop("fail_on").lower(),
            statuses=tuple(s.upper() for s in kwargs.pop("statuses")),
            admin_ports=tuple(kwargs.pop("admin_ports")),
            key_max_age_days=kwargs.pop("key_max_age_days"),
            unused_days=kwargs.pop("unused_days"),
        )
        return func(out=out, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return _stack(wrapper, options)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


# --- checks, evaluation and output -------------------------------------------------------


def select_checks(out: OutputOptions, provider: str | None = None) -> list[Check]:
    """Load the checks and apply ``--check`` / ``--control``; a filter that matches
    nothing is a usage error, not an empty (and falsely clean) scan."""
    from scanner.controls import CONTROLS
    from scanner.registry import load_checks
    from scanner.registry import select_checks as select

    every = load_checks()
    for control in out.controls:
        if control not in CONTROLS:
            raise ConfigurationError(
                f"unknown control {control!r} (choose from {', '.join(CONTROLS)})"
            )
    for pattern in out.check_ids:
        if not select(every, ids=[pattern]):
            raise ConfigurationError(f"--check {pattern!r} matches no check (see 'cldscan checks')")
    chosen = select(
        every,
        ids=out.check_ids,
        controls=out.controls,
        providers=[provider] if provider else (),
    )
    if not chosen and (out.check_ids or out.controls):
        raise ConfigurationError("no check matches the --check / --control filters")
    if not chosen:
        where = f" for {provider}" if provider else ""
        raise ConfigurationError(f"no checks are installed{where}")
    return chosen


def _write(path: Path | None, emit: Callable[[TextIO], None]) -> None:
    """To stdout, or atomically to ``path``: a failed run leaves an old file intact."""
    if path is None:
        emit(sys.stdout)
        sys.stdout.flush()
        return
    import tempfile

    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            emit(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def exit_status(report: ScanReport, fail_on: str) -> ExitCode:
    from scanner.results import Severity

    threshold = None if fail_on == "none" else Severity(fail_on)
    if report.failing(threshold):
        return ExitCode.FAILED
    if not report.complete:
        # Gaps count where they left a selected check unevaluated (ERROR findings).
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def evaluate_and_report(
    inv: Inventory, checks: Sequence[Check], out: OutputOptions, started: float
) -> int:
    """Evaluate, write the chosen format, log a summary; return the exit status."""
    import dataclasses
    from collections import Counter

    import structlog

    from scanner.engine import evaluate
    from scanner.outputs import renderer
    from scanner.registry import CheckConfig
    from scanner.results import Severity

    cfg = CheckConfig(
        admin_ports=frozenset(out.admin_ports or (22, 3389)),
        credential_max_age_days=out.key_max_age_days,
        credential_unused_days=out.unused_days,
    )
    report = evaluate(
        inv, checks, cfg, min_severity=Severity(out.severity) if out.severity else None
    )
    shown = report
    if out.statuses:
        shown = dataclasses.replace(
            report,
            findings=tuple(f for f in report.findings if f.status.value in out.statuses),
            _summary=list(report.control_summaries()),
        )
    to_terminal = out.output is None and sys.stdout.isatty()
    fmt = out.fmt or ("table" if to_terminal else "json")
    render = renderer(fmt)
    _write(out.output, lambda stream: render(shown, stream))

    counts = Counter(f.status.value for f in report.findings)
    code = exit_status(report, out.fail_on)
    structlog.get_logger(__name__).info(
        "scan_finished",
        findings=len(report.findings),
        passed=counts["PASS"],
        failed=counts["FAIL"],
        errors=counts["ERROR"],
        gaps=len(report.gaps),
        checks=len(report.checks),
        duration_s=round(time.monotonic() - started, 3),
        exit_status=int(code),
    )
    if fmt == "table":
        click.echo(
            f"cldscan: {len(report.findings)} findings: {counts['FAIL']} FAIL, "
            f"{counts['ERROR']} ERROR, {counts['PASS']} PASS; {len(report.gaps)} gaps",
            err=True,
        )
    return int(code)


@contextmanager
def _progress() -> Iterator[Progress]:
    from scanner.progress import ProgressLine

    line = ProgressLine(sys.stderr)
    try:
        yield line
    finally:
        line.clear()


# --- providers ---------------------------------------------------------------------------

Collector = Callable[["Progress"], "Inventory"]


@dataclass(frozen=True)
class ProviderCommand:
    """How one provider plugs into ``scan`` and ``collect``: its options and a factory
    turning their values into a collector."""

    name: str
    help: str
    options: Sequence[Callable[[Any], Any]]
    make_collector: Callable[..., Collector]


def _aws_collector(
    profile: str | None,
    role_arn: str | None,
    external_id: str | None,
    regions: tuple[str, ...],
    max_workers: int,
) -> Collector:
    from providers.aws.options import AwsOptions

    if external_id and not role_arn:
        raise click.UsageError("--external-id needs --role-arn")
    options = AwsOptions(
        profile=profile,
        role_arn=role_arn,
        external_id=external_id,
        regions=tuple(dict.fromkeys(regions)),
        max_workers=max_workers,
    )

    def collect(progress: Progress) -> Inventory:
        from providers.aws import collect as aws_collect

        return aws_collect(options, progress)

    return collect


AWS_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--profile", help="Named profile from the AWS config files."),
    click.option("--role-arn", help="Assume this IAM role for the scan."),
    click.option("--external-id", help="External id for --role-arn."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        help="Region to scan (repeatable) [default: every enabled region].",
    ),
    click.option(
        "--max-workers",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Concurrent API calls.",
    ),
]

PROVIDERS: list[ProviderCommand] = [
    ProviderCommand(
        name="aws",
        help="Amazon Web Services: one account (yours, or an assumed role's).",
        options=AWS_OPTIONS,
        make_collector=_aws_collector,
    ),
]


def _collect_with_progress(collector: Collector) -> Inventory:
    with _progress() as progress:
        return collector(progress)


def _scan_command(provider: ProviderCommand) -> click.Command:
    def run(out: OutputOptions, **options: Any) -> int:
        started = time.monotonic()
        collector = provider.make_collector(**options)
        checks = select_checks(out, provider.name)
        inv = _collect_with_progress(collector)
        return _exit(evaluate_and_report(inv, checks, out, started))

    run.__doc__ = f"Collect and evaluate: {provider.help}"
    return click.command(provider.name, epilog=EXIT_CODES_EPILOG)(
        _stack(output_options(run), provider.options)
    )


def _collect_command(provider: ProviderCommand) -> click.Command:
    def run(output: Path, **options: Any) -> int:
        import structlog

        from scanner.snapshot import write_snapshot

        started = time.monotonic()
        collector = provider.make_collector(**options)
        inv = _collect_with_progress(collector)
        try:
            write_snapshot(inv, output)
        except OSError as exc:
            raise ConfigurationError(f"cannot write {output}: {exc.strerror or exc}") from None
        structlog.get_logger(__name__).info(
            "collect_finished",
            entities=len(inv.entities),
            gaps=len(inv.gaps),
            snapshot=str(output),
            duration_s=round(time.monotonic() - started, 3),
        )
        return _exit(ExitCode.INCOMPLETE if inv.gaps else ExitCode.OK)

    run.__doc__ = f"Write an inventory snapshot: {provider.help}"
    snapshot_option = click.option(
        "--output",
        "-o",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Snapshot file to write (JSON).",
    )
    return click.command(provider.name, epilog=EXIT_CODES_EPILOG)(
        _stack(run, [snapshot_option, *provider.options])
    )


def _exit(code: int) -> int:
    click.get_current_context().exit(int(code))
    return int(code)  # pragma: no cover - ctx.exit raises


# --- commands ----------------------------------------------------------------------------


@click.group(
    "cldscan",
    cls=CldscanGroup,
    epilog=EXIT_CODES_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", "-V", prog_name="cldscan")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Log level on stderr [default: $CLDSCAN_LOG_LEVEL or warning].",
)
def cli(log_level: str | None) -> None:
    """Cloud posture scanner for the ISO/IEC 27017 cloud controls.

    Findings go to stdout; logs and progress to stderr.
    """
    from scanner.logs import configure

    configure(log_level)


@cli.group(epilog=EXIT_CODES_EPILOG)
def scan() -> None:
    """Collect a cloud's configuration and evaluate it."""


@cli.group(epilog=EXIT_CODES_EPILOG)
def collect() -> None:
    """Collect a cloud's configuration into a snapshot file, without evaluating."""


for _provider in PROVIDERS:
    scan.add_command(_scan_command(_provider))
    collect.add_command(_collect_command(_provider))


@cli.command("evaluate", epilog=EXIT_CODES_EPILOG)
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@output_options
def evaluate_cmd(snapshot: Path, out: OutputOptions) -> int:
    """Evaluate a snapshot written by 'cldscan collect', offline."""
    from scanner.snapshot import read_snapshot

    started = time.monotonic()
    inv = read_snapshot(snapshot)
    checks = select_checks(out)
    return _exit(evaluate_and_report(inv, checks, out, started))


@cli.command(epilog=EXIT_CODES_EPILOG)
@output_options
def demo(out: OutputOptions) -> int:
    """Scan a built-in demo account (a local fake AWS; needs the demo extra)."""
    import importlib.util

    if importlib.util.find_spec("moto") is None:
        raise ConfigurationError(DEMO_EXTRA)
    from scanner.demo import demo_environment  # type: ignore[import-not-found,unused-ignore]

    started = time.monotonic()
    checks = select_checks(out, "aws")
    with demo_environment() as account, _environment(account.env):
        collector = _aws_collector(None, None, None, tuple(account.regions), 8)
        inv = _collect_with_progress(collector)
    return _exit(evaluate_and_report(inv, checks, out, started))


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@cli.command("checks")
@click.option("--provider", type=click.Choice(("aws", "azure", "gcp")), help="Only this provider.")
@click.option("--control", "control", metavar="CLD.x", help="Only checks of this control.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
)
def checks_cmd(provider: str | None, control: str | None, fmt: str) -> None:
    """List the available checks."""
    import json

    from scanner.controls import CONTROLS
    from scanner.registry import load_checks
    from scanner.registry import select_checks as select

    if control and control.upper() not in CONTROLS:
        raise ConfigurationError(f"unknown control {control!r} (choose from {', '.join(CONTROLS)})")
    chosen = select(
        load_checks(),
        controls=[control.upper()] if control else (),
        providers=[provider] if provider else (),
    )
    if fmt == "json":
        records = [
            {
                "id": c.id,
                "title": c.title,
                "severity": c.severity.value,
                "controls": list(c.controls),
                "providers": list(c.providers),
                "needs": list(c.needed_kinds),
                "rationale": c.rationale,
                "remediation": c.remediation,
                "references": list(c.references),
            }
            for c in chosen
        ]
        click.echo(json.dumps(records, indent=2))
        return
    from scanner.outputs.table import Table

    Table(sys.stdout).rows(
        ("ID", "SEVERITY", "CONTROLS", "PROVIDERS", "TITLE"),
        [
            (c.id, c.severity.value, ",".join(c.controls), ",".join(c.providers), c.title)
            for c in chosen
        ],
    )


@cli.command("controls")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
)
def controls_cmd(fmt: str) -> None:
    """Show the control catalogue: what is automated, what stays manual, which checks."""
    import json

    from scanner.controls import FRAMEWORK
    from scanner.registry import load_checks

    every = load_checks()
    evidence = {
        cid: [c.id for c in every.values() if cid in c.controls] for cid in FRAMEWORK.controls
    }
    if fmt == "json":
        doc = {
            "framework": FRAMEWORK.name,
            "source": FRAMEWORK.source,
            "controls": [
                {
                    "id": c.id,
                    "title": c.title,
                    "objective": c.objective,
                    "automated": list(c.automated),
                    "manual": list(c.manual),
                    "checks": evidence[c.id],
                }
                for c in FRAMEWORK.controls.values()
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{FRAMEWORK.name} ({FRAMEWORK.source})")
    for c in FRAMEWORK.controls.values():
        click.echo(f"\n{c.id}  {c.title}")
        click.echo(f"  {c.objective}")
        click.echo("  automated:")
        for part in c.automated:
            click.echo(f"    - {part}")
        click.echo("  manual (not evaluated by cldscan):")
        for part in c.manual:
            click.echo(f"    - {part}")
        click.echo(f"  checks: {', '.join(evidence[c.id]) or '(none)'}")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="cldscan")


if __name__ == "__main__":
    main()
