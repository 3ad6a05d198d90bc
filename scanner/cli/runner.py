"""How the command line runs: one-line errors, exit statuses, the shared epilog."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import click

from scanner.errors import CldscanError, ExitCode, one_line

EXIT_CODES_EPILOG = """\b
Exit status:
  0  completed; no failing finding at or above --fail-on
  1  internal error (a bug: a traceback is printed)
  2  usage, configuration, credentials or snapshot error
  3  failing findings at or above --fail-on
  4  completed with gaps (some scopes not evaluated), nothing failing
     at the threshold
  5  findings written to the output file, but SIEM delivery failed
     (takes precedence over 3 and 4)
"""

COLLECT_EXIT_CODES_EPILOG = """\b
Exit status:
  0  the snapshot was written and is complete
  1  internal error (a bug: a traceback is printed)
  2  usage, configuration or credentials error: nothing was written
  4  the snapshot was written, with gaps (some scopes not collected)
"""


def _error(message: str) -> None:
    click.echo(f"cldscan: error: {one_line(message)}", err=True)


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


def exit_with(code: int) -> int:
    """End the current command with ``code`` (returned through ``CldscanGroup.main``)."""
    click.get_current_context().exit(int(code))
    return int(code)  # pragma: no cover - ctx.exit raises
