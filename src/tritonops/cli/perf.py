"""``tritonops perf`` (measure, and ``perf compare``) and ``tritonops tune``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.output import console
from tritonops.errors import PerfError
from tritonops.perf.compare import compare
from tritonops.perf.engine import EngineChoice, MeasureSpec, measure
from tritonops.perf.report import markdown, write_report
from tritonops.perf.results import PerfResult
from tritonops.perf.triton import fetch_config, parse_url
from tritonops.perf.tune import tune
from tritonops.perf.tune_live import apply_to_project, live_measurer


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}") from exc


def _fraction(text: str) -> float:
    return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)


@contextlib.contextmanager
def _server(url: str | None, project_file: Path, model: str) -> Iterator[tuple[str, str | None]]:
    """The URL to measure (and its metrics URL): the given one, or the embedded Triton."""
    if url is not None:
        yield url, None
        return
    from tritonops.server import LocalTriton
    from tritonops.spec import load_project

    project = load_project(project_file)
    with LocalTriton(project.repository, load=[model]) as server:
        yield server.grpc_url, server.metrics_url


class _RunByDefault(click.Group):
    """`tritonops perf MODEL ...` measures; `tritonops perf compare A B` compares."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("perf", cls=_RunByDefault, invoke_without_command=False)
def perf_group() -> None:
    """Measure a model's throughput and latency (`perf MODEL`); compare two measurements.

    \b
    Examples:
      tritonops perf classifier --concurrency 1,2,4,8 --report perf/
      tritonops perf classifier --url http://127.0.0.1:8000 --engine builtin
      tritonops perf compare base/result.json new/result.json --max-p99-rise 10%
    """


@perf_group.command("run")
@click.argument("model")
@click.option(
    "--url",
    default=None,
    help="host:port = gRPC, http://host:port = HTTP. Default: "
    "the embedded Triton on the project's repository.",
)
@options.project_file()
@click.option("--concurrency", default="1,2,4,8", show_default=True)
@click.option("--rate", default=None, help="Open-loop request rates (req/s), e.g. 100,200.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "perf_analyzer", "builtin"]),
    default="auto",
    show_default=True,
)
@click.option("--report", "report_dir", type=click.Path(path_type=Path), default=None)
@click.option("--measurement-interval", type=int, default=1000, show_default=True, help="ms")
@click.option("--batch-size", type=int, default=1, show_default=True)
@click.option("--metrics-url", default=None, help="Triton's /metrics for server-side times.")
def perf_command(
    model: str,
    url: str | None,
    project_file: Path,
    concurrency: str,
    rate: str | None,
    engine: EngineChoice,
    report_dir: Path | None,
    measurement_interval: int,
    batch_size: int,
    metrics_url: str | None,
) -> None:
    """Measure MODEL at each load level and print (and with --report, write) a report."""
    out = console()
    with _server(url, project_file, model) as (target, embedded_metrics):
        spec = MeasureSpec(
            model=model,
            url=target,
            concurrency=[int(c) for c in _numbers(concurrency)],
            rates=_numbers(rate) if rate else (),
            engine=engine,
            measurement_interval_ms=measurement_interval,
            batch_size=batch_size,
            metrics_url=metrics_url or embedded_metrics,
        )
        result = measure(spec)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    out.print(markdown(result))
    if report_dir is not None:
        for kind, path in write_report(result, report_dir).items():
            out.print(f"{kind:<9} {path}")


@perf_group.command("compare")
@click.argument("base", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--max-throughput-drop", default="5%", show_default=True)
@click.option("--max-p99-rise", default="10%", show_default=True)
@click.pass_context
def compare_command(
    ctx: click.Context, base: Path, new: Path, max_throughput_drop: str, max_p99_rise: str
) -> None:
    """Compare NEW against BASE (result.json files); exit 1 on a regression."""
    result = compare(
        PerfResult.load(base),
        PerfResult.load(new),
        max_throughput_drop=_fraction(max_throughput_drop),
        max_p99_rise=_fraction(max_p99_rise),
    )
    console().print(result.markdown())
    if result.regressed:
        ctx.exit(1)


@click.command("tune")
@click.argument("model")
@click.option(
    "--url", default=None, help="Default: the embedded Triton on the project's repository."
)
@options.project_file()
@click.option("--slo-p99", type=float, default=None, help="p99 latency limit, ms.")
@click.option("--budget", type=int, default=40, show_default=True, help="Measurement windows.")
@click.option("--concurrency", type=int, default=16, show_default=True)
@click.option("--window", type=int, default=300, show_default=True, help="ms per window")
@click.option("--write", is_flag=True, help="Apply the winner to the project file.")
def tune_command(
    model: str,
    url: str | None,
    project_file: Path,
    slo_p99: float | None,
    budget: int,
    concurrency: int,
    window: int,
    write: bool,
) -> None:
    """Search batching and instance settings of MODEL for the best throughput within the SLO."""
    out = console()
    with _server(url, project_file, model) as (target, _metrics):
        config = fetch_config(parse_url(target), model)
        measurer = live_measurer(target, config, concurrency=concurrency, window_ms=window)
        result = tune(
            config,
            measurer,
            slo_p99_us=slo_p99 * 1000 if slo_p99 is not None else None,
            budget=budget,
            on_trial=lambda t: out.print(
                f"  {t.candidate.describe()}: {t.throughput:.0f} infer/s, "
                f"p99 {t.p99_us / 1000:.1f} ms ({t.windows} window(s))"
            ),
        )
    out.print(f"baseline: {result.baseline.describe()}")
    out.print(
        f"best:     {result.best.describe()} — {result.best_throughput:.0f} infer/s, "
        f"p99 {result.best_p99_us / 1000:.1f} ms, {result.measurements} windows spent"
    )
    if not project_file.is_file():
        if write:
            raise PerfError(f"--write needs the project file {project_file}")
        return
    diff, note = apply_to_project(project_file, model, result.best, config, write=write)
    out.print(diff or "(the project entry already has these settings)")
    if note:
        click.echo(f"note: {note}", err=True)
    if write:
        out.print(f"wrote {project_file}")
