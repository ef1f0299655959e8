"""The main job: build the digits quickstart, serve it on the embedded Triton, A/B test, report.

Steps: copy the bundled example project into a folder (unless it already holds one), build
(scikit-learn → ONNX with a parity gate, the python preprocessing model, two ensembles), validate,
start the embedded tritonserver, load and smoke every model, run the ``digits-v2`` experiment
(90/10, sticky by user id, shadowed) with held-out digits and their labels, write the report, stop.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tritonops
from tritonops.abtest import ExperimentResult, run_experiment
from tritonops.builders.run import BuildResult, build_project
from tritonops.deploy.check import load_and_smoke, repository_models
from tritonops.errors import DeployError, TritonOpsError
from tritonops.repository.validate.report import LoadResult
from tritonops.server import LocalTriton
from tritonops.spec.schema import SCHEMA_COMMENT, SCHEMA_FILE, schema_text

EXPERIMENT = "digits-v2"
# what a copy of the example leaves behind: outputs of earlier runs, never inputs
_OUTPUTS = (".tritonops", "model_repository", "report", "__pycache__")

Say = Callable[[str], None]


@dataclass(frozen=True)
class QuickstartResult:
    project: Path
    build: BuildResult
    loads: tuple[LoadResult, ...]
    experiment: ExperimentResult
    report_dir: Path


def example_project() -> Path:
    """The bundled quickstart: inside a wheel, or in the source tree of an editable install."""
    package = Path(tritonops.__file__).resolve().parent
    for candidate in (
        package / "_examples" / "quickstart",
        package.parents[1] / "examples" / "quickstart",
    ):
        if (candidate / "tritonops.yaml").is_file():
            return candidate
    raise TritonOpsError(
        "the quickstart example is not part of this install — reinstall tritonops, or run "
        "`tritonops quickstart DIR` on a folder holding the quickstart's tritonops.yaml"
    )


def prepare(directory: Path) -> Path:
    """A folder holding the quickstart project (copied there on first use); its project file."""
    project_file = directory / "tritonops.yaml"
    if project_file.is_file():
        return project_file
    if directory.exists() and any(directory.iterdir()):
        raise TritonOpsError(
            f"{directory} is not empty and holds no tritonops.yaml — name an empty or new folder"
        )
    shutil.copytree(example_project(), directory, ignore=shutil.ignore_patterns(*_OUTPUTS))
    _local_schema(project_file)
    return project_file


def _local_schema(project_file: Path) -> None:
    """Point the copy's ``$schema`` line at a schema written beside it (the example's own points
    into this source tree, which a copy elsewhere does not have)."""
    schema = project_file.with_name(SCHEMA_FILE)
    schema.write_text(schema_text(), encoding="utf-8")
    lines = project_file.read_text(encoding="utf-8").splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_COMMENT):
        lines[0] = f"{SCHEMA_COMMENT}{SCHEMA_FILE}\n"
        project_file.write_text("".join(lines), encoding="utf-8")


def run_quickstart(
    directory: Path,
    *,
    requests: int | None = None,
    concurrency: int = 4,
    say: Say | None = None,
) -> QuickstartResult:
    """Build, validate, serve, smoke, A/B test; the server is stopped on the way out."""
    tell = say or (lambda _line: None)
    project_file = prepare(directory.resolve())
    tell(f"project   {project_file}")
    build = build_project(project_file, on_event=lambda model, what: _build_line(tell, model, what))
    report_dir = project_file.parent / "report"
    with LocalTriton(build.repository, log_file=project_file.parent / "tritonserver.log") as server:
        tell(f"triton    http://{server.http_url}  grpc {server.grpc_url}")
        loads = tuple(load_and_smoke(server, repository_models(build.repository)))
        for load in loads:
            tell(f"deployed  {load}")
        failed = [r.model for r in loads if not r.passed]
        if failed:
            raise DeployError(f"models failed to load or answer: {', '.join(failed)}")
        tell(f"a/b test  {EXPERIMENT} (this takes a little while)")
        experiment = run_experiment(
            EXPERIMENT,
            project=project_file,
            url=server.grpc_url,
            protocol="grpc",
            requests=requests,
            concurrency=concurrency,
            report_dir=report_dir,
            metrics_url=server.metrics_url,
        )
    return QuickstartResult(project_file, build, loads, experiment, report_dir)


def _build_line(tell: Say, model: str, what: str) -> None:
    if what in ("built", "up to date") or model == "repository":
        tell(f"build     {model}: {what}")
