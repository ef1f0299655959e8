"""The ``tritonops`` command: a thin click layer over the library API.

Each command parses its options, calls one library function, and leaves error handling to
``TritonOpsGroup``: a ``TritonOpsError`` becomes one clean message on stderr and exit 1
(``--debug`` shows the traceback instead).
"""

from __future__ import annotations

from typing import Any

import click

from tritonops import __version__
from tritonops.errors import TritonOpsError

EXAMPLES = """
\b
Examples:
  tritonops render -f tritonops.yaml            render model_repository/ from the project file
  tritonops validate model_repository           check any Triton model repository
  tritonops validate repo --format json         machine-readable diagnostics
  tritonops serve model_repository              serve it on the embedded Triton
"""


class TritonOpsGroup(click.Group):
    """A group that turns ``TritonOpsError`` into a clean exit instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TritonOpsError as exc:
            if ctx.meta.get("tritonops.debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


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


def _register() -> None:
    from tritonops.cli.abtest import ab_test_command
    from tritonops.cli.build import build_command
    from tritonops.cli.deploy import deploy_command
    from tritonops.cli.doctor import doctor_command
    from tritonops.cli.history import history_command
    from tritonops.cli.render import render_command
    from tritonops.cli.serve import serve_command
    from tritonops.cli.validate import validate_command

    for command in (
        build_command,
        render_command,
        validate_command,
        serve_command,
        deploy_command,
        history_command,
        doctor_command,
        ab_test_command,
    ):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="tritonops")


if __name__ == "__main__":
    main()
