"""``tritonops doctor``: build-time versions vs the serving side, and what will break."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.exits import ExitCode, TritonOpsCommand, leave
from tritonops.cli.output import console
from tritonops.doctor import diagnose, serving_environment

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.command("doctor", cls=TritonOpsCommand)
@options.project_file("The project file (its lineage records are compared).")
@click.option("--no-server", is_flag=True, help="Don't start tritonserver to ask its version.")
def doctor_command(project_file: Path, no_server: bool) -> None:
    """Compare what the artifacts were built with to what will serve them.

    Exit status 1 when something will break (a FAIL line).

    \b
    Examples:
      tritonops doctor
      tritonops doctor -f examples/quickstart/tritonops.yaml --no-server
    """
    out = console()
    env = serving_environment(start_server=not no_server)
    out.print("serving side:")
    for key, value in env.items():
        out.print(f"  {key:<20} {value}")
    checks = diagnose(project_file.resolve().parent, env)
    out.print("checks:")
    for check in checks:
        out.print(f"  {_MARK[check.status]} {check.name:<24} {check.detail}")
    leave(ExitCode.ERROR if any(c.status == "fail" for c in checks) else ExitCode.OK)
