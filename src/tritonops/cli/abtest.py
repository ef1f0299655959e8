"""``tritonops ab-test``: run an experiment (or a canary ramp) and exit with its verdict."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.abtest import (
    EXIT_CODES,
    ExperimentResult,
    default_requests,
    run_experiment,
    run_ramp,
)
from tritonops.abtest.endpoint import DEFAULT_GRPC, resolve_url
from tritonops.abtest.llm import LlmExperimentResult, llm_experiment, run_llm_experiment
from tritonops.abtest.ramp import RampState, parse_steps, state_path
from tritonops.abtest.runner import RequestSample
from tritonops.cli import options
from tritonops.cli.exits import ExitCode, TritonOpsCommand, leave
from tritonops.cli.output import console, report_location
from tritonops.cli.progress import progress

RAMP_EXIT = {"completed": ExitCode.OK, "rolled_back": ExitCode.ROLLBACK}
# the verdicts' codes are the library's; they agree with ExitCode
assert EXIT_CODES == {"promote": ExitCode.OK, "hold": ExitCode.HOLD, "rollback": ExitCode.ROLLBACK}


@click.command("ab-test", cls=TritonOpsCommand)
@click.argument("experiment")
@options.project_file()
@options.url("Default: the server `tritonops serve` runs for this project, else 127.0.0.1:8001.")
@options.protocol_alias()
@options.headers()
@options.metrics_url()
@click.option("--prometheus-url", default=None,
              help="Ramp: Triton counters of every replica, from Prometheus.")  # fmt: skip
@options.requests()
@click.option("--duration", type=options.Duration(), default=None, metavar="DURATION",
              help="How long to send for (30, 30s, 500ms, 2m), instead of or as well as "
              "--requests.")  # fmt: skip
@options.concurrency("Closed loop: requests in flight (default 4).")
@options.rate("Open loop: requests/s; latency from the scheduled send time.")
@options.report_dir("Write report.json, report.md and PNG plots here.")
@click.option("--ramp", "ramp_steps", default=None, metavar="1,5,25,50,100",
              help="Canary ramp: candidate percent per step; rolls back on a breach.")  # fmt: skip
@click.option("--resume", is_flag=True, help="Continue an interrupted ramp.")
@click.option("--rollback", is_flag=True,
              help="Set a ramp (running or done) back to the control; no traffic.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of routing/workload.")
@options.quiet()
@click.option("--prompt-length", type=click.IntRange(min=1), default=64, show_default=True,
              help="LLM variants: prompt length in words.")  # fmt: skip
@click.option("--max-tokens", type=click.IntRange(min=1), default=16, show_default=True,
              help="LLM variants: tokens each request generates.")  # fmt: skip
def ab_test_command(
    experiment: str,
    project_file: Path,
    url: options.ServerUrl | None,
    protocol: str | None,
    headers: tuple[tuple[str, str], ...],
    metrics_url: str | None,
    prometheus_url: str | None,
    requests: int | None,
    duration: float | None,
    concurrency: int | None,
    rate: float | None,
    report_dir: Path | None,
    ramp_steps: str | None,
    resume: bool,
    rollback: bool,
    seed: int,
    quiet: bool,
    prompt_length: int,
    max_tokens: int,
) -> None:
    """Run EXPERIMENT from the project file and decide: promote, hold or rollback.

    \b
    Exit codes (gate CI on them):
      0  promote   (ramp: completed)
      3  hold      (not enough samples, or inconclusive)
      4  rollback  (SLO breach or significantly worse; ramp: rolled back)
      1  error     (bad options, unreachable server, bad dataset)

    \b
    Examples:
      tritonops ab-test digits-v2 --requests 3000 --concurrency 8 --report ab/
      tritonops ab-test digits-v2 --rate 200 --duration 1m
      tritonops ab-test digits-v2 --url http://triton:8000 --requests 3000
      tritonops ab-test digits-v2 --url triton:8001 --header "Authorization=Bearer $TOKEN"
      tritonops ab-test digits-v2 --ramp 1,5,25,50,100 --requests 500
      tritonops ab-test digits-v2 --resume      # continue an interrupted ramp
      tritonops ab-test digits-v2 --ramp 5,50,100 --prometheus-url http://prometheus:9090
      tritonops ab-test trtllm-vs-vllm --requests 400 --concurrency 2   # TTFT/ITL verdict
    """
    if concurrency is not None and rate is not None:
        raise click.UsageError("give --concurrency (closed loop) or --rate (open loop), not both")
    if resume and rollback:
        raise click.UsageError("--resume and --rollback exclude each other")
    if prometheus_url and ramp_steps is None and not resume:
        raise click.UsageError("--prometheus-url guards a ramp: add --ramp (or --resume)")
    out = console()
    sent = dict(headers)  # never printed: only handed to the calls
    server = options.with_protocol(url, protocol)
    if server is not None and server.tls:
        raise click.BadParameter("ab-test speaks plain gRPC or HTTP; TLS is not supported yet",
                                 param_hint="--url")  # fmt: skip
    if rollback:  # sends no traffic: no server to find
        address, wire = (server.address, str(server.protocol)) if server else (DEFAULT_GRPC, "grpc")
    else:
        address, wire = resolve_url(
            server.address if server else None, server.protocol if server else "grpc",
            project_file,
        )  # fmt: skip
    if ramp_steps is not None or resume or rollback:
        steps = parse_steps(ramp_steps or "1,5,25,50,100")
        with progress(out, "ramp", len(steps), quiet=quiet) as feedback:

            def on_step(state: RampState) -> None:
                feedback.step(f"{state.weights.get(state.candidate, 0):g}% {state.status}")

            state = run_ramp(
                experiment, url=address, project=project_file, protocol=wire, steps=steps,
                resume=resume, rollback=rollback, requests=requests, duration_s=duration,
                concurrency=concurrency, rate=rate, seed=seed, metrics_url=metrics_url,
                prometheus_url=prometheus_url, on_step=on_step, headers=sent,
            )  # fmt: skip
        for entry in state.history:
            if entry.get("event") == "step":
                mark = "pass" if entry["passed"] else "FAIL"
                out.print(f"  step {entry['percent']:>5g}%  {mark}  " + "; ".join(entry["reasons"]))
        out.print(f"ramp {state.experiment}: {state.status} (weights {state.weights})")
        root = project_file.resolve().parent
        out.print(report_location(state_path(root, state.experiment)))
        leave(RAMP_EXIT.get(state.status, ExitCode.HOLD))

    llm = llm_experiment(experiment, project_file, address, sent) if wire == "grpc" else None
    if llm is not None:
        bounded = requests is not None or duration is not None
        found = run_llm_experiment(
            llm, url=address, requests=requests if bounded else default_requests(llm),
            duration_s=duration,
            concurrency=(concurrency or 4) if rate is None else None, rate=rate,
            prompt_length=prompt_length, max_tokens=max_tokens, seed=seed, report_dir=report_dir,
            headers=sent,
        )  # fmt: skip
        for line in llm_summary_lines(found):
            out.print(line)
        leave(found.exit_code)
    with progress(out, "ab-test", requests, quiet=quiet) as feedback:

        def on_sample(sample: RequestSample) -> None:
            feedback.step(sample.variant)

        result = run_experiment(
            experiment, url=address, project=project_file, protocol=wire, requests=requests,
            duration_s=duration, concurrency=concurrency, rate=rate, seed=seed,
            report_dir=report_dir, metrics_url=metrics_url, on_sample=on_sample, headers=sent,
        )  # fmt: skip
    for line in summary_lines(result):
        out.print(line)
    leave(result.exit_code)


def llm_summary_lines(result: LlmExperimentResult) -> list[str]:
    """Per variant TTFT/ITL medians and tokens/s, each verdict with its reasons, the report."""
    lines = result.arm_lines()
    for verdict in result.verdicts.values():
        lines.append(f"{verdict.candidate} vs {verdict.control}: {verdict.decision.upper()}")
        lines += [f"  - {reason}" for reason in verdict.reasons]
    lines.append(report_location(result.files or None, "pass --report DIR to write one"))
    return lines


def summary_lines(result: ExperimentResult) -> list[str]:
    """The headline numbers per arm, each verdict with its reasons, and where the report is."""
    lines = []
    for arm in result.report.arms:
        lat = arm.latency_ms
        p50_p99 = f"p50 {lat.p50:.1f} ms  p99 {lat.p99:.1f} ms" if lat else "no successful request"
        accuracy = f"  accuracy {arm.accuracy:.3f}" if arm.accuracy is not None else ""
        lines.append(
            f"  {arm.name:<12} {arm.model:<14} {arm.requests:>6} req  {arm.errors:>4} err  "
            f"{p50_p99}{accuracy}"
        )
    shadow = result.report.shadow
    if shadow is not None:
        agree = (
            f"{shadow.agreement:.1%} agreement" if shadow.agreement is not None else "no answers"
        )
        dropped = f" ({shadow.dropped} dropped)" if shadow.dropped else ""
        lines.append(
            f"  shadow {shadow.target}: {shadow.count} mirrored{dropped}, {shadow.errors} err, "
            f"{agree} with the served answer"
        )
    for verdict in result.verdicts.values():
        lines.append(f"{verdict.candidate} vs {verdict.control}: {verdict.decision.upper()}")
        lines += [f"  - {reason}" for reason in verdict.reasons]
    lines.append(report_location(result.files or None, "pass --report DIR to write one"))
    return lines
