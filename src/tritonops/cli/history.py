"""``tritonops history``: what was deployed where, when, and how it ended."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from tritonops.builders import lineage
from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.deploy import history


@click.command("history", cls=TritonOpsCommand)
@click.argument("model", required=False)
@options.project_file("The project file (its folder holds .tritonops/history.jsonl).")
@click.option("--limit", type=options.POSITIVE_INT, default=20, show_default=True,
              help="Newest N records.")  # fmt: skip
@options.output_format(("text", "json"), 'json: {"builds": [...], "deploys": [...]} as stored.')
def history_command(model: str | None, project_file: Path, limit: int, fmt: str) -> None:
    """List the project's deploys, newest last; with MODEL, its builds (lineage) and deploys.

    \b
    Examples:
      tritonops history
      tritonops history classifier
      tritonops history --format json
    """
    root = project_file.resolve().parent
    out = console()
    if fmt == "json":
        builds = [dataclasses.asdict(b) for b in lineage.read_all(root, model)] if model else []
        records = [
            r for r in history.read(root) if not model or any(m.name == model for m in r.models)
        ]
        deploys = [dataclasses.asdict(r) for r in records[-limit:]]
        click.echo(json.dumps({"builds": builds, "deploys": deploys}, indent=2))
        return
    if model:
        for built in lineage.read_all(root, model):
            parity = built.parity or {}
            verdict = (
                f" parity {'ok' if parity.get('ok') else 'FAILED'} "
                f"(max abs {parity.get('max_abs_error', 0):.2g})"
                if parity
                else ""
            )
            tools = ", ".join(f"{k} {v}" for k, v in sorted(built.tools.items()))
            out.print(
                f"{built.built_at[:19]}  built      v{built.version} key {built.key[:12]}{verdict}"
            )
            out.print(f"    tools: {tools}")
    records = history.read(root)
    if model:
        records = [r for r in records if any(m.name == model for m in r.models)]
    if not records:
        out.print("no deploys recorded" + (f" for {model}" if model else ""))
        return
    for record in records[-limit:]:
        names = [m for m in record.models if not model or m.name == model]
        summary = ", ".join(
            " ".join(
                part
                for part in (
                    m.name,
                    f"v{','.join(map(str, m.versions))}" if m.versions else "",
                    m.config_sha256[:8],
                )
                if part
            )
            for m in names
        )
        out.print(f"{record.time[:19]}  {record.target:<10} {record.outcome:<11} {summary}")
        if record.detail:
            out.print(f"    {record.detail}")
        if record.staged:
            # an interrupted remote deploy may have left these scratch models loaded; the
            # next remote deploy to the same server unloads them
            left = "may still be loaded" if record.outcome == "interrupted" else "staged"
            out.print(f"    staged: {', '.join(record.staged)} ({left})")
