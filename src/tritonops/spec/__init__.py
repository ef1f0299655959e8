"""The project file ``tritonops.yaml``: load it, validate it, and plan the models it describes.

::

    project = load_project(Path("tritonops.yaml"))  # SpecError with every issue, or a Project
    plans = plan_models(project)                    # one ModelPlan per model, then per ensemble
"""

from tritonops.spec.experiments import ExperimentSpec, ShadowSpec, SloSpec, VariantSpec
from tritonops.spec.loader import load_project
from tritonops.spec.models import EnsembleSpec, EnsembleStepSpec, ModelSpec
from tritonops.spec.plan import ModelPlan
from tritonops.spec.project import Project
from tritonops.spec.schema import SCHEMA_COMMENT, SCHEMA_FILE, SCHEMA_PATH, schema_text
from tritonops.spec.slo import ExperimentSlo, ModelSlo, Slo
from tritonops.spec.targets import (
    Autoscaling,
    KubernetesTarget,
    LocalTarget,
    RemoteTarget,
    Resources,
    Targets,
)
from tritonops.spec.translate import plan_models

__all__ = [
    "SCHEMA_COMMENT",
    "SCHEMA_FILE",
    "SCHEMA_PATH",
    "Autoscaling",
    "EnsembleSpec",
    "EnsembleStepSpec",
    "ExperimentSlo",
    "ExperimentSpec",
    "KubernetesTarget",
    "LocalTarget",
    "ModelPlan",
    "ModelSlo",
    "ModelSpec",
    "Project",
    "RemoteTarget",
    "Resources",
    "ShadowSpec",
    "Slo",
    "SloSpec",
    "Targets",
    "VariantSpec",
    "load_project",
    "plan_models",
    "schema_text",
]
