"""``tritonops perf``: ``perf run`` (measure; ``perf MODEL`` for short), ``perf compare`` and
``perf tune`` (``tritonops tune`` stays a hidden alias for one release)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.exits import ExitCode, TritonOpsCommand, leave
from tritonops.cli.output import console, report_location
from tritonops.cli.progress import progress
from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.compare import compare
from tritonops.perf.engine import EngineChoice, MeasureSpec, measure
from tritonops.perf.llm import LlmSpec, is_llm, measure_llm
from tritonops.perf.llm_metrics import LlmLevel
from tritonops.perf.llm_metrics import markdown as llm_markdown
from tritonops.perf.result_files import markdown, write_report
from tritonops.perf.results import LevelResult, PerfResult
from tritonops.perf.tune import (
    FINALISTS,
    LevelStats,
    Trial,
    TuneResult,
    load_levels,
    plan,
    tune,
)
from tritonops.perf.tune_live import apply_to_project, live_measurer
from tritonops.server import endpoint_record
from tritonops.triton.endpoint import fetch_config, load_with_config, parse_url
from tritonops.triton.probe import probe

SERVED = (
    "Default: the server `tritonops serve` runs for this project, else an embedded Triton on "
    "the project's repository."
)


def _address(server: options.ServerUrl | None) -> str | None:
    """The URL the perf engines take (``host:port`` = gRPC, ``http://`` = HTTP); no TLS."""
    if server is None:
        return None
    if server.tls:
        raise click.BadParameter(
            "the perf engines speak plain gRPC or HTTP; TLS is not supported", param_hint="--url"
        )
    return str(server)


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
      tritonops perf classifier --concurrency 1,2,4,8 --interval 500ms --report perf/
      tritonops perf classifier --url http://127.0.0.1:8000 --engine builtin
      tritonops perf classifier --url triton:8001 --header "Authorization=Bearer $TOKEN"
      tritonops perf compare base/result.json new/result.json --max-p99-rise 10%
      tritonops perf tune classifier --slo-p99 5 --write
    """


@perf_group.command("run", cls=TritonOpsCommand)
@click.argument("model")
@options.url(SERVED)
@options.headers()
@options.project_file()
@options.concurrency("Closed-loop levels: requests in flight.", many=True, default=("1,2,4,8",))
@options.rate("Open-loop levels, requests/s (instead of --concurrency).", many=True)
@options.engine()
@options.report_dir("Write result.json, report.md and report.png here.")
@click.option("--interval", type=options.Duration(minimum_s=0.05), default="1s",
              show_default=True, metavar="DURATION",
              help="Measurement window per trial (1s, 500ms).")  # fmt: skip
@options.deprecated("--measurement-interval", type=click.IntRange(min=50), default=None,
                    new="use --interval (500ms, 1s)")  # fmt: skip
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
@click.option("--batch-size", type=options.POSITIVE_INT, default=1, show_default=True)
@options.metrics_url()
@options.output_format(("text", "json"), "text: the Markdown table; json: result.json's content.")
@options.quiet()
@click.option("--prompt-length", type=click.IntRange(min=1), default=64, show_default=True,
              help="LLM models: prompt length in words (one token each on the stand-in "
              "tokenizers).")  # fmt: skip
@click.option("--max-tokens", type=click.IntRange(min=1), default=16, show_default=True,
              help="LLM models: tokens each request generates.")  # fmt: skip
def perf_command(
    model: str,
    url: options.ServerUrl | None,
    headers: tuple[tuple[str, str], ...],
    project_file: Path,
    concurrency: tuple[list[int], ...],
    rate: tuple[list[float], ...],
    engine: EngineChoice,
    report_dir: Path | None,
    interval: float,
    measurement_interval: int | None,
    stability_percentage: float,
    max_trials: int,
    batch_size: int,
    metrics_url: str | None,
    fmt: str,
    quiet: bool,
    prompt_length: int,
    max_tokens: int,
) -> None:
    """Measure MODEL at each load level and print (and with --report, write) a report.

    A level whose windows never agree is kept and reported as unstable, with what each window
    saw; the levels measured before and after it stay. A streaming LLM model (decoupled, with a
    text_input) is measured with GenAI-Perf's figures instead, over gRPC streaming: time to
    first token, inter-token latency, request latency and output tokens/s.

    Each --header goes with every call (config reads and requests). perf_analyzer sends headers
    over HTTP only, so with headers over gRPC the built-in load generator measures.

    Exits 1 when the model answers with errors instead of outputs (perf_analyzer stops at the
    first failed request; the built-in engine when every request of a level fails) and when no
    level could be measured at all; the report still says what each level saw."""
    levels = options.flatten(concurrency)
    rates = options.flatten(rate)
    sent = dict(headers)  # never printed or written into a result: only handed to the calls
    window_ms = measurement_interval or round(interval * 1000)
    out = console()
    kind = "req/s" if rates else "concurrency"
    llm_levels: list[LlmLevel] | None = None
    with progress(out, "perf", len(rates or levels), quiet=quiet) as feedback:
        feedback.step("finding the server", advance=False)
        with _server(_address(url), project_file, model) as (target, embedded_metrics):
            config = _llm_config(target, model, sent)
            if config is not None:
                llm = LlmSpec(
                    model=model,
                    address=_grpc_address(target, model),
                    concurrency=list(levels),
                    rates=list(rates),
                    prompt_length=prompt_length,
                    max_tokens=max_tokens,
                    duration_s=3 * window_ms / 1000,
                    headers=sent,
                )
                llm_levels = measure_llm(
                    llm, config, on_level=lambda lv: feedback.step(f"{kind} {lv.load:g} done")
                )
            else:
                spec = MeasureSpec(
                    model=model,
                    url=target,
                    concurrency=list(levels),
                    rates=list(rates),
                    engine=engine,
                    measurement_interval_ms=window_ms,
                    stability_percentage=stability_percentage,
                    max_trials=max_trials,
                    batch_size=batch_size,
                    metrics_url=metrics_url or embedded_metrics,
                    headers=sent,
                )

                def on_level(level: LevelResult) -> None:
                    feedback.say(_level_line(kind, level))
                    feedback.step(f"{kind} {level.load:g} done")

                result = measure(
                    spec,
                    on_level_start=lambda load: feedback.step(f"{kind} {load:g}", advance=False),
                    on_level=on_level,
                )
    if llm_levels is not None:
        _print_llm(model, llm_levels, "rate" if rates else "concurrency", fmt, report_dir)
        return
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        out.print(markdown(result))
    paths = write_report(result, report_dir) if report_dir is not None else None
    out.print(report_location(paths, "pass --report DIR to write one"))
    if result.levels and len(result.unmeasured()) == len(result.levels):
        # the table above holds only the reasons: a run that measured nothing is not a success
        raise PerfError(
            f"no load level of {model!r} was measured — the notes above say why at each one"
        )


def _llm_config(target: str, model: str, headers: dict[str, str]) -> ModelConfig | None:
    """The served config when MODEL is a streaming LLM model; None otherwise, and when it cannot
    be read (``measure`` then reports why in its own words)."""
    try:
        config = fetch_config(parse_url(target, headers), model)
    except PerfError:
        return None
    return config if is_llm(config) else None


def _grpc_address(target: str, model: str) -> str:
    endpoint = parse_url(target)
    if endpoint.protocol != "grpc":
        raise PerfError(
            f"{model!r} streams its tokens, which Triton serves over gRPC only — give --url "
            "HOST:PORT with the gRPC port"
        )
    return endpoint.address


def _print_llm(
    model: str, levels: list[LlmLevel], kind: str, fmt: str, report_dir: Path | None
) -> None:
    data = {"model": model, "load_kind": kind, "levels": [lv.to_dict() for lv in levels]}
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        console().print(llm_markdown(model, levels, kind))
    path = None
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / "llm.json"
        path.write_text(json.dumps(data, indent=2) + "\n")
    console().print(report_location(path, "pass --report DIR to write one"))


def _level_line(kind: str, level: LevelResult) -> str:
    flag = "" if level.stable else "  (unstable)"
    return (
        f"  {kind} {level.load:g}: {level.throughput:.0f} infer/s, "
        f"p99 {level.latency.p99_us / 1000:.2f} ms{flag}"
    )


@perf_group.command("compare", cls=TritonOpsCommand)
@click.argument("base", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--max-throughput-drop", default="5%", show_default=True)
@click.option("--max-p99-rise", default="10%", show_default=True)
def compare_command(base: Path, new: Path, max_throughput_drop: str, max_p99_rise: str) -> None:
    """Compare NEW against BASE (result.json files); exit 1 on a regression."""
    result = compare(
        PerfResult.load(base),
        PerfResult.load(new),
        max_throughput_drop=_fraction(max_throughput_drop),
        max_p99_rise=_fraction(max_p99_rise),
    )
    console().print(result.markdown())
    if result.regressed:
        leave(ExitCode.ERROR)


NO_PICK_EXIT = ExitCode.HOLD  # tune: no configuration met the SLO


@perf_group.command("tune", cls=TritonOpsCommand)
@click.argument("model")
@options.url(SERVED)
@options.headers()
@options.project_file()
@click.option("--slo-p99", type=options.POSITIVE_FLOAT, default=None, metavar="MS",
              help="p99 latency limit, ms.")  # fmt: skip
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Measurement windows in all.",
)
@options.concurrency(
    "Screening load; finalists are compared at 1/4, 1/2, 1 and 2 times it.", default=16
)
@click.option("--interval", type=options.Duration(minimum_s=0.01), default="300ms",
              show_default=True, metavar="DURATION",
              help="Measurement window (300ms, 1s).")  # fmt: skip
@options.deprecated("--window", type=click.IntRange(min=10), default=None,
                    new="use --interval (300ms, 1s)")  # fmt: skip
@options.engine()
@click.option("--write", is_flag=True, help="Apply the pick to the project file.")
@options.quiet()
def tune_command(
    model: str,
    url: options.ServerUrl | None,
    headers: tuple[tuple[str, str], ...],
    project_file: Path,
    slo_p99: float | None,
    budget: int,
    concurrency: int,
    interval: float,
    window: int | None,
    engine: EngineChoice,
    write: bool,
    quiet: bool,
) -> None:
    """Search batching and instance settings of MODEL for the best throughput within the SLO.

    \b
    Exit codes: 0 a pick (or the current config kept), 3 no configuration met --slo-p99
    at any load level (the closest is shown), 1 error.
    """
    window_ms = window or round(interval * 1000)
    out = console()
    plan(budget, FINALISTS, load_levels(concurrency))  # a budget too small fails before any server
    with progress(out, "tune", budget, quiet=quiet) as feedback:
        feedback.step("finding the server", advance=False)
        with _server(_address(url), project_file, model) as (target, _metrics):
            endpoint = parse_url(target, dict(headers))  # headers: never printed
            config = fetch_config(endpoint, model)
            measurer, used = live_measurer(
                target, config, window_ms=window_ms, engine=engine, headers=endpoint.headers
            )
            feedback.say(f"engine: {used}")

            def on_trial(trial: Trial) -> None:
                feedback.say(
                    f"  [{trial.phase}] c={trial.concurrency} {trial.candidate.describe()}: "
                    f"{trial.throughput:.0f} infer/s, p99 {trial.p99_us / 1000:.1f} ms"
                )
                feedback.step(f"{trial.phase} c={trial.concurrency}", advance=False)
                feedback.advance(trial.windows)

            try:
                result = tune(
                    config,
                    measurer,
                    slo_p99_us=slo_p99 * 1000 if slo_p99 is not None else None,
                    budget=budget,
                    concurrency=concurrency,
                    on_trial=on_trial,
                )
            except BaseException:
                with contextlib.suppress(PerfError):  # the first failure is the one to report
                    load_with_config(endpoint, config)
                raise
            # a server the user runs goes back to the config it served before tuning
            load_with_config(endpoint, config)
    for line in result_lines(result):
        out.print(line)
    if not result.met_slo:
        leave(NO_PICK_EXIT)
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


def _tune_alias(**params: object) -> None:
    click.echo(
        "note: `tritonops tune` is now `tritonops perf tune`; the old name goes in the next "
        "release",
        err=True,
    )
    click.get_current_context().invoke(tune_command, **params)


# the old spelling, kept one release for scripts; hidden from --help
tune_alias = TritonOpsCommand(
    "tune", params=list(tune_command.params), callback=_tune_alias, hidden=True,
    help=tune_command.help, epilog="Deprecated: use `tritonops perf tune`.",
)  # fmt: skip
