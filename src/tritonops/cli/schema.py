"""``tritonops schema``: the JSON Schema of tritonops.yaml, for editors and CI."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.cli.exits import TritonOpsCommand
from tritonops.errors import TritonOpsError
from tritonops.spec.schema import SCHEMA_PATH, schema_text


@click.command("schema", cls=TritonOpsCommand)
@click.option(
    "--output",
    "-o",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the schema to this file instead of printing it.",
)
def schema_command(out: Path | None) -> None:
    """Print the JSON Schema (draft 2020-12) of the project file tritonops.yaml.

    \b
    Every field with its type, default, allowed values, description and an
    example, made from the same models the loader validates with. Point your
    editor at it with a first line in the project file:
      # yaml-language-server: $schema=<path or URL of the schema>

    \b
    Examples:
      tritonops schema > tritonops.schema.json
      tritonops schema -o .vscode/tritonops.schema.json
    """
    text = schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TritonOpsError(f"cannot write {out}: {reason} — choose a writable file") from exc
    click.echo(f"wrote {out} (the committed copy is {SCHEMA_PATH})")
