"""``cldscan schedule``: the long-running container mode (scanner/schedule.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from scanner.errors import ConfigurationError

SCHEDULE_EPILOG = """\b
Examples:
  cldscan schedule --cron '0 */6 * * *' -- scan aws --state-dir /data/state \\
      --format ocsf -o /data/findings.ocsf.jsonl
  cldscan schedule --every 1h --run-now -- scan aws --region eu-west-1

\b
Each run is a child process; its exit status is logged (0 clean, 3 failing
findings, 4 gaps, 2 usage). Runs never overlap: a tick that passes during a
run is skipped. SIGTERM/SIGINT stop the scheduler (a run in progress gets the
signal too). Exit status: 0 after a clean stop, 2 for a bad schedule or command.
"""


NOT_SCHEDULABLE = frozenset({"schedule", "demo", "checks", "controls"})
EAGER_FLAGS = frozenset({"--help", "-h", "--version", "-V"})


def check_scheduled_command(group: click.Group, args: tuple[str, ...]) -> None:
    """Parse ``args`` as the scheduler's runs will, so a bad command line fails now
    (exit 2) rather than at every tick."""
    first = args[0]
    if first in NOT_SCHEDULABLE or (not first.startswith("-") and first not in group.commands):
        raise ConfigurationError(
            f"cannot schedule {first!r}: give a cldscan command such as 'scan aws'"
        )
    if EAGER_FLAGS.intersection(args):
        return  # --help / --version print and exit: nothing to check
    try:
        ctx = group.make_context("cldscan", list(args))
        command: click.Command = group
        while isinstance(command, click.Group):
            rest = [*ctx._protected_args, *ctx.args]
            name, command, rest = command.resolve_command(ctx, rest)  # type: ignore[assignment]
            if command is None:
                break
            ctx = command.make_context(name or "", rest, parent=ctx)
    except click.exceptions.NoArgsIsHelpError as exc:
        incomplete = exc.ctx.command
        needs = (
            "a command: " + ", ".join(incomplete.list_commands(exc.ctx))
            if isinstance(incomplete, click.Group)
            else "arguments"
        )
        raise ConfigurationError(
            f"scheduled command: '{exc.ctx.command_path}' needs {needs}"
        ) from None
    except click.ClickException as exc:
        raise ConfigurationError(f"scheduled command: {exc.format_message()}") from None


@click.command(
    "schedule",
    epilog=SCHEDULE_EPILOG,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("--cron", "cron_expr", metavar="EXPR", help="Five-field cron expression or @daily.")
@click.option("--every", metavar="DURATION", help="Fixed interval instead: 15m, 1h, 1h30m, 1d.")
@click.option(
    "--timezone",
    "zone_name",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="IANA time zone the cron expression is read in.",
)
@click.option("--run-now", is_flag=True, help="Also run once at start-up.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- COMMAND...")
@click.pass_context
def schedule_command(
    ctx: click.Context,
    *,
    cron_expr: str | None,
    every: str | None,
    zone_name: str,
    run_now: bool,
    command: tuple[str, ...],
) -> int:
    """Run a cldscan command line on a cron schedule, until stopped."""
    from scanner.cron import CronSchedule
    from scanner.logs import ENV_LEVEL, configure
    from scanner.schedule import Cron, Every, Scheduler, parse_every, parse_zone

    if (cron_expr is None) == (every is None):
        raise ConfigurationError("give exactly one of --cron EXPR and --every DURATION")
    args = command[1:] if command[:1] == ("--",) else command
    if not args:
        raise ConfigurationError("no command to schedule: add it after '--', e.g. -- scan aws")
    group = ctx.parent.command if ctx.parent else None
    if isinstance(group, click.Group):
        check_scheduled_command(group, args)
    now = datetime.now(UTC)
    trigger: Cron | Every
    if cron_expr is not None:
        trigger = Cron(CronSchedule.parse(cron_expr), parse_zone(zone_name))
        trigger.next_after(now)
    else:
        trigger = Every(parse_every(every or ""), now)
    level = ctx.parent.params.get("log_level") if ctx.parent else None
    if level:
        os.environ[ENV_LEVEL] = level
    elif not os.environ.get(ENV_LEVEL):
        configure("info")
    scheduler = Scheduler(trigger, tuple(args), run_now=run_now)
    scheduler.install_signal_handlers()
    return scheduler.loop()
