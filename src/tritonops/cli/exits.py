"""Exit codes, all in one place: what each number means, and how an error becomes one.

Every command is a ``TritonOpsCommand``: a ``TritonOpsError`` it raises becomes one clean message
on stderr (``--debug`` shows the traceback instead) and the code its ``error_codes`` name for
that error class, else ``ExitCode.ERROR``. A command that ends with a verdict rather than an
error calls ``leave(code)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, NoReturn

import click

from tritonops.errors import TritonOpsError, ValidationFailed
from tritonops.redact import scrub, url_secrets


class ExitCode(IntEnum):
    OK = 0  # done; ab-test: promote; ramp: completed
    ERROR = 1  # a TritonOpsError, or what was checked failed (validate, doctor, perf compare)
    UNUSABLE_INPUT = 2  # click's bad options; validate: the repository cannot be read
    HOLD = 3  # ab-test: hold (not enough samples, inconclusive); perf tune: no config met the SLO
    ROLLBACK = 4  # ab-test: rollback; ramp: rolled back


def leave(code: int) -> NoReturn:
    """End the command with ``code`` (a verdict, not an error)."""
    raise click.exceptions.Exit(int(code))


def report(ctx: click.Context, exc: TritonOpsError, code: int = ExitCode.ERROR) -> NoReturn:
    """The one place an error is shown and turned into an exit code."""
    if ctx.meta.get("tritonops.debug"):
        raise exc
    secrets = _secrets(ctx.params)
    if isinstance(exc, ValidationFailed):  # the diagnostics ARE the message
        for diagnostic in exc.diagnostics:
            click.echo(scrub(str(diagnostic), secrets), err=True)
    # a library's error text may quote the URL it was given, credentials and all
    click.echo(scrub(f"error: {exc}", secrets), err=True)
    leave(code)


def _secrets(params: Mapping[str, Any]) -> list[str]:
    """What must never be printed: URL credentials and ``--header`` values among the options."""
    found: list[str] = []
    for name, value in params.items():
        if name == "headers" and isinstance(value, list | tuple):
            found.extend(
                str(pair[1]) for pair in value if isinstance(pair, tuple) and len(pair) == 2
            )
            continue
        for item in value if isinstance(value, list | tuple) else (value,):
            if item is not None and not isinstance(item, bool | int | float):
                found.extend(url_secrets(str(item)))
    return found


class TritonOpsCommand(click.Command):
    """A command whose ``TritonOpsError`` exits through ``report``; ``error_codes`` maps error
    classes to codes other than ``ExitCode.ERROR`` (the most specific class wins)."""

    def __init__(
        self, *args: Any, error_codes: Mapping[type[TritonOpsError], int] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.error_codes = dict(error_codes or {})

    def code_for(self, exc: TritonOpsError) -> int:
        for kind in type(exc).__mro__:
            if kind in self.error_codes:
                return self.error_codes[kind]
        return ExitCode.ERROR

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TritonOpsError as exc:
            report(ctx, exc, self.code_for(exc))
