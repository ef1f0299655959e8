"""``tritonops monitoring``: Prometheus rules and a Grafana dashboard for a non-Kubernetes setup."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.monitoring import write_dashboard, write_rules
from tritonops.monitoring.rules import RUNBOOK_BASE


@click.group("monitoring")
def monitoring_group() -> None:
    """SLO alerts and dashboards from the project file (on Kubernetes: `deploy`)."""


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--label")
        labels[name] = value
    return labels


@monitoring_group.command("rules", cls=TritonOpsCommand)
@options.project_file()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("tritonops-rules.yml"), show_default=True,
              help="The rules file to write.")  # fmt: skip
@click.option("--tests", "tests_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Also write promtool unit tests for the rules here.")  # fmt: skip
@click.option("--check", is_flag=True,
              help="Run promtool check rules (and promtool test rules with --tests).")  # fmt: skip
@click.option("--label", "label_pairs", multiple=True, metavar="NAME=VALUE",
              help="Read only Triton series with this label, e.g. job=triton.")  # fmt: skip
@click.option("--name", default=None, help="The project's name in the rules (default: its folder).")
@click.option("--runbook-base", default=RUNBOOK_BASE, show_default=True,
              help="Where docs/monitoring.md is served (alerts link there).")  # fmt: skip
def rules_command(
    project_file: Path,
    output: Path,
    tests_file: Path | None,
    check: bool,
    label_pairs: tuple[str, ...],
    name: str | None,
    runbook_base: str,
) -> None:
    """Write Prometheus recording and alert rules from the project's SLOs.

    \b
    Examples:
      tritonops monitoring rules -o rules.yml
      tritonops monitoring rules -o rules.yml --tests rules-test.yml --check --label job=triton
    """
    written = write_rules(
        project_file, output, labels=_labels(label_pairs), name=name,
        runbook_base=runbook_base, tests=tests_file, check=check,
    )  # fmt: skip
    out = console()
    rules = written.rules
    out.print(
        f"wrote {written.path}: {len(rules.recorded)} recording rules, {len(rules.alerts)} alerts"
    )
    if written.tests is not None:
        out.print(f"wrote {written.tests}: promtool unit tests")
    for note in rules.notes:
        out.print(f"note: {note}")
    if rules.summaries_needed:
        out.print("run tritonserver with --metrics-config=summary_latencies=true (latency rules)")
    for report in written.checked:
        out.print(report)


@monitoring_group.command("dashboard", cls=TritonOpsCommand)
@options.project_file()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("tritonops-dashboard.json"), show_default=True,
              help="The dashboard JSON to write.")  # fmt: skip
@click.option("--name", default=None, help="The project's name in the rules (default: its folder).")
def dashboard_command(project_file: Path, output: Path, name: str | None) -> None:
    """Write a Grafana dashboard (JSON) for the project's models and experiments.

    \b
    Examples:
      tritonops monitoring dashboard -o dashboard.json
    """
    path = write_dashboard(project_file, output, name=name)
    console().print(f"wrote {path}: import it in Grafana (Dashboards > New > Import)")
