"""``tritonops perf`` (measure, and ``perf compare``) and ``tritonops tune``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.output import console
from tritonops.client.probe import probe
from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.compare import compare
from tritonops.perf.engine import EngineChoice, MeasureSpec, measure
from tritonops.perf.llm import LlmSpec, is_llm, measure_llm
from tritonops.perf.llm_metrics import markdown as llm_markdown
from tritonops.perf.report import markdown, write_report
from tritonops.perf.results import PerfResult
from tritonops.perf.triton import fetch_config, load_with_config, parse_url
from tritonops.perf.tune import FINALISTS, LevelStats, TuneResult, load_levels, plan, tune
from tritonops.perf.tune_live import apply_to_project, live_measurer
from tritonops.server import endpoint_record


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}") from exc


def _fraction(text: str) -> float:
    return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)


@contextlib.contextmanager
def _server(url: str | None, project_file: Path, model: str) -> Iterator[tuple[str, str | None]]:
    """The URL to measure (and its metrics URL): the given one (checked to speak its protocol),
    else the server ``tritonops serve`` runs for the project, else an embedded Triton."""
    if url is not None:
        check_url(url)
        yield url, None
        return
    from tritonops.server import LocalTriton
    from tritonops.spec import load_project

    project = load_project(project_file)
    served = endpoint_record.read(project.repository)
    if served is not None:
        yield served.grpc, served.metrics
        return
    with LocalTriton(project.repository, load=[model]) as server:
        yield server.grpc_url, server.metrics_url


def check_url(url: str) -> None:
    """``PerfError`` naming the right ``--url`` when ``url`` reaches the other protocol's port."""
    endpoint = parse_url(url)
    answer = probe(endpoint.address)
    if answer == "closed":
        raise PerfError(
            f"nothing listens at {endpoint.address} — start `tritonops serve`, or leave out "
            "--url to measure on an embedded Triton"
        )
    if endpoint.protocol == "grpc" and answer == "http":
        raise PerfError(
            f"{endpoint.address} is Triton's HTTP port, not gRPC — use --url "
            f"http://{endpoint.address}, or --url HOST:PORT with the gRPC port"
        )
    if endpoint.protocol == "http" and answer == "grpc":
        raise PerfError(
            f"{endpoint.address} is Triton's gRPC port, not HTTP — use --url {endpoint.address}"
            ", or --url http://HOST:PORT with the HTTP port"
        )


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
    help="host:port = gRPC, http://host:port = HTTP. Default: the server `tritonops serve` "
    "runs for this project, else an embedded Triton on the project's repository.",
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
@click.option(
    "--stability-percentage",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    help="How far windows may differ and still count as stable, %.",
)
@click.option(
    "--max-trials",
    type=click.IntRange(min=3),
    default=10,
    show_default=True,
    help="Windows to try per level before reporting it unstable.",
)
@click.option("--batch-size", type=int, default=1, show_default=True)
@click.option("--metrics-url", default=None, help="Triton's /metrics for server-side times.")
@click.option(
    "--prompt-length",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="LLM models: prompt length in words (one token each on the stand-in tokenizers).",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="LLM models: tokens each request generates.",
)
def perf_command(
    model: str,
    url: str | None,
    project_file: Path,
    concurrency: str,
    rate: str | None,
    engine: EngineChoice,
    report_dir: Path | None,
    measurement_interval: int,
    stability_percentage: float,
    max_trials: int,
    batch_size: int,
    metrics_url: str | None,
    prompt_length: int,
    max_tokens: int,
) -> None:
    """Measure MODEL at each load level and print (and with --report, write) a report.

    A level whose windows never agree is kept and reported as unstable, with what each window
    saw; the levels measured before and after it stay. A streaming LLM model (decoupled, with a
    text_input) is measured with GenAI-Perf's figures instead: time to first token, inter-token
    latency, request latency and output tokens/s, over gRPC streaming."""
    out = console()
    with _server(url, project_file, model) as (target, embedded_metrics):
        config = fetch_config(parse_url(target), model)
        if is_llm(config):
            if parse_url(target).protocol != "grpc":
                raise PerfError(
                    f"{model!r} streams its tokens, which Triton serves over gRPC only — give "
                    "--url HOST:PORT with the gRPC port"
                )
            _perf_llm(
                LlmSpec(
                    model=model,
                    address=parse_url(target).address,
                    concurrency=[int(c) for c in _numbers(concurrency)],
                    rates=_numbers(rate) if rate else (),
                    prompt_length=prompt_length,
                    max_tokens=max_tokens,
                    duration_s=3 * measurement_interval / 1000,
                ),
                config,
                report_dir,
            )
            return
        spec = MeasureSpec(
            model=model,
            url=target,
            concurrency=[int(c) for c in _numbers(concurrency)],
            rates=_numbers(rate) if rate else (),
            engine=engine,
            measurement_interval_ms=measurement_interval,
            stability_percentage=stability_percentage,
            max_trials=max_trials,
            batch_size=batch_size,
            metrics_url=metrics_url or embedded_metrics,
        )
        result = measure(spec, config=config)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    out.print(markdown(result))
    if report_dir is not None:
        for kind, path in write_report(result, report_dir).items():
            out.print(f"{kind:<9} {path}")


def _perf_llm(spec: LlmSpec, config: ModelConfig, report_dir: Path | None) -> None:
    levels = measure_llm(spec, config)
    kind = "rate" if spec.rates else "concurrency"
    console().print(llm_markdown(spec.model, levels, kind))
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / "llm.json"
        data = {"model": spec.model, "load_kind": kind, "levels": [lv.to_dict() for lv in levels]}
        path.write_text(json.dumps(data, indent=2) + "\n")
        console().print(f"json      {path}")


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


NO_PICK_EXIT = 3  # tune: no configuration met the SLO


@click.command("tune")
@click.argument("model")
@click.option(
    "--url",
    default=None,
    help="host:port = gRPC, http://host:port = HTTP. Default: the server `tritonops serve` runs "
    "for this project, else an embedded Triton on the project's repository.",
)
@options.project_file()
@click.option("--slo-p99", type=float, default=None, help="p99 latency limit, ms.")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Measurement windows in all.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Screening load; finalists are compared at 1/4, 1/2, 1 and 2 times it.",
)
@click.option(
    "--window", type=click.IntRange(min=10), default=300, show_default=True, help="ms per window"
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "perf_analyzer", "builtin"]),
    default="auto",
    show_default=True,
)
@click.option("--write", is_flag=True, help="Apply the pick to the project file.")
@click.pass_context
def tune_command(
    ctx: click.Context,
    model: str,
    url: str | None,
    project_file: Path,
    slo_p99: float | None,
    budget: int,
    concurrency: int,
    window: int,
    engine: EngineChoice,
    write: bool,
) -> None:
    """Search batching and instance settings of MODEL for the best throughput within the SLO.

    \b
    Exit codes: 0 a pick (or the current config kept), 3 no configuration met --slo-p99
    at any load level (the closest is shown), 1 error.
    """
    out = console()
    plan(budget, FINALISTS, load_levels(concurrency))  # a budget too small fails before any server
    with _server(url, project_file, model) as (target, _metrics):
        config = fetch_config(parse_url(target), model)
        measurer, used = live_measurer(target, config, window_ms=window, engine=engine)
        out.print(f"engine: {used}")
        try:
            result = tune(
                config,
                measurer,
                slo_p99_us=slo_p99 * 1000 if slo_p99 is not None else None,
                budget=budget,
                concurrency=concurrency,
                on_trial=lambda t: out.print(
                    f"  [{t.phase}] c={t.concurrency} {t.candidate.describe()}: "
                    f"{t.throughput:.0f} infer/s, p99 {t.p99_us / 1000:.1f} ms"
                ),
            )
        except BaseException:
            with contextlib.suppress(PerfError):  # the first failure is the one to report
                load_with_config(parse_url(target), config)
            raise
        # a server the user runs goes back to the config it served before tuning
        load_with_config(parse_url(target), config)
    for line in result_lines(result):
        out.print(line)
    if not result.met_slo:
        ctx.exit(NO_PICK_EXIT)
    assert result.best is not None
    if result.best == result.baseline:
        out.print("no change: the current config is the pick (empty diff)")
        return
    if not project_file.is_file():
        if write:
            raise PerfError(f"--write needs the project file {project_file}")
        return
    diff, note = apply_to_project(project_file, model, result.best, config, write=write)
    out.print(diff or "(the project entry already has these settings)")
    if write:
        if note:
            click.echo(f"note: {note}", err=True)
        out.print(f"wrote {project_file}")


def _band(level: LevelStats) -> str:
    low, high = level.throughput_range
    return (
        f"c={level.concurrency}: {level.throughput:.0f} infer/s [{low:.0f}–{high:.0f}] over "
        f"{len(level.readings)} repeat(s), p99 {level.p99_us / 1000:.2f} ms "
        f"(upper {level.p99_high_us / 1000:.2f} ms)"
    )


def result_lines(result: TuneResult) -> list[str]:
    """The finals, then the pick or the closest miss; percentiles over all requests."""
    slo = result.slo_p99_us
    lines = [
        f"current:  {result.baseline.describe()}",
        f"finals at concurrency {list(result.load_levels)}, {result.measurements} windows spent:",
    ]
    for f in result.finalists:
        level = f.best_level(slo)
        shown = (
            _band(level)
            if level
            else "meets the SLO at no level; nearest " + _band(f.closest_level())
        )
        lines.append(f"  {f.candidate.describe()}\n      {shown}")
    if not result.met_slo:
        closest = result.closest
        assert slo is not None
        assert closest is not None
        candidate, level = closest
        lines.append(
            f"no configuration meets p99 <= {slo / 1000:g} ms at any load level measured; "
            f"closest: {candidate.describe()} at {_band(level)}"
        )
        return lines
    assert result.best is not None
    assert result.best_level is not None
    label = "kept" if result.kept_current else "best"
    lines.append(f"{label}:     {result.best.describe()} — {_band(result.best_level)}")
    if result.kept_current:
        lines.append("  (the top finalist was within noise of the current config)")
    if result.within_noise:
        lines.append(
            "within noise of it (throughput ranges overlap): "
            + "; ".join(c.describe() for c in result.within_noise)
        )
    return lines
