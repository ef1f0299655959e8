"""vLLM models: the version folder holds ``model.json``, the engine arguments vLLM starts from.

Nothing is built: vLLM loads (or downloads) ``vllm.model`` itself when Triton loads the model, so
model.json is a rendering of the project file. It is written into the build store's folder of the
model (replaced only when its text changes) whenever the repository's plans are made, so
``build`` (dry run included), ``render`` and ``deploy`` all place the current one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace

from tritonops.builders.store import artifact_dir
from tritonops.errors import BuildError
from tritonops.spec import ModelPlan, ModelSpec, Project
from tritonops.spec.vllm import ENGINE_ARGS_FILE


def vllm_plans(project: Project, spec: ModelSpec, plan: ModelPlan) -> list[ModelPlan]:
    """``plan`` with ``<version>/model.json`` from the model's ``vllm:`` section."""
    if spec.vllm is None:
        raise BuildError(
            f"model {spec.name!r} (kind vllm) has no vllm: section — add vllm: with "
            "model: <Hugging Face id or model folder>"
        )
    text = spec.vllm.engine_json()
    folder = artifact_dir(project.root, spec.name)
    path = folder / ENGINE_ARGS_FILE
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        # write then rename: a reader never sees half a file
        fd, staged = tempfile.mkstemp(prefix=".model-", suffix=".json", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staged, path)
    return [replace(plan, version_files={ENGINE_ARGS_FILE: path})]
