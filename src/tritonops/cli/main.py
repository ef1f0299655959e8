"""The ``tritonops`` command: a thin click layer over the library API.

Each command parses its options, calls one library function, and leaves error handling to
``tritonops.cli.exits``: a ``TritonOpsError`` becomes one clean message on stderr and its exit
code (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from tritonops import __version__
from tritonops.cli.exits import report
from tritonops.errors import TritonOpsError

EXAMPLES = """
\b
Examples:
  tritonops build -f tritonops.yaml             build the models, render model_repository/
  tritonops render --out /tmp/repo              lay out the built models somewhere else
  tritonops validate model_repository           check any Triton model repository
  tritonops validate repo --format json         machine-readable diagnostics
  tritonops serve model_repository              serve it on the embedded Triton
"""


# name -> "module:attribute"; imported on first use, so `tritonops validate` never pays for the
# A/B statistics stack (scipy, matplotlib) and start-up stays short
COMMANDS = {
    "build": "tritonops.cli.build:build_command",
    "render": "tritonops.cli.render:render_command",
    "validate": "tritonops.cli.validate:validate_command",
    "serve": "tritonops.cli.serve:serve_command",
    "deploy": "tritonops.cli.deploy:deploy_command",
    "ab-test": "tritonops.cli.abtest:ab_test_command",
    "quickstart": "tritonops.cli.quickstart:quickstart_command",
    "perf": "tritonops.cli.perf:perf_group",
    "tune": "tritonops.cli.perf:tune_alias",  # hidden: the old name of `perf tune`
    "history": "tritonops.cli.history:history_command",
    "doctor": "tritonops.cli.doctor:doctor_command",
    "schema": "tritonops.cli.schema:schema_command",
}


class TritonOpsGroup(click.Group):
    """Commands loaded lazily; a ``TritonOpsError`` becomes a clean exit instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self.get_command(ctx, name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # a real import error inside the command: show it
                raise
            return None  # the command is not part of this install
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TritonOpsError as exc:  # from a command not built as a TritonOpsCommand
            report(ctx, exc)


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["tritonops.debug"] = value
    return value


@click.group(cls=TritonOpsGroup, epilog=EXAMPLES)
@click.version_option(__version__, prog_name="tritonops")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show the full traceback of an error.",
)
def cli() -> None:
    """Build, render, validate and serve many models on NVIDIA Triton Inference Server."""


def main() -> None:
    cli(prog_name="tritonops")


if __name__ == "__main__":
    main()
