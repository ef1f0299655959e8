"""Put a model repository on a server: the embedded one, a remote Triton, or Kubernetes."""

from tritonops.deploy import history
from tritonops.deploy.check import check_repository_loads, load_and_smoke, repository_models
from tritonops.deploy.kubernetes import render_manifests
from tritonops.deploy.loadcheck import validate_with_load
from tritonops.deploy.local import deploy_local, triton_listening
from tritonops.deploy.remote import deploy_remote
from tritonops.deploy.smoke import SmokeResult, served_config, smoke_infer

__all__ = [
    "SmokeResult",
    "check_repository_loads",
    "deploy_local",
    "deploy_remote",
    "history",
    "load_and_smoke",
    "render_manifests",
    "repository_models",
    "served_config",
    "smoke_infer",
    "triton_listening",
    "validate_with_load",
]
