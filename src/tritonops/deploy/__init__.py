"""Put a model repository on a server: the embedded one, a remote Triton, or Kubernetes."""

from tritonops.deploy.check import check_repository_loads, load_and_smoke, repository_models
from tritonops.deploy.smoke import SmokeResult, served_config, smoke_infer

__all__ = [
    "SmokeResult",
    "check_repository_loads",
    "load_and_smoke",
    "repository_models",
    "served_config",
    "smoke_infer",
]
