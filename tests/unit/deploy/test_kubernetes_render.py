"""render_manifests on the full example project: what each object holds, how it is written."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tritonops.deploy.history import read
from tritonops.deploy.kubernetes import KubernetesResult, render_manifests
from tritonops.deploy.kubernetes.kserve import canary_of
from tritonops.deploy.kubernetes.objects import DNS1035_LABEL, MAX_NAME, object_name
from tritonops.errors import DeployError
from tritonops.spec import ExperimentSpec, Project, VariantSpec, load_project

FULL = Path(__file__).parents[1] / "spec" / "data" / "full"
MODELS = ["preprocess", "classifier", "counter", "chat", "pipeline"]


def make_project(
    tmp_path: Path,
    folder: str = "full",
    weights: tuple[float, float] | None = None,
    **kubernetes: Any,
) -> Project:
    """A copy of the full example whose targets.kubernetes is updated (None deletes a key)."""
    root = tmp_path / folder
    shutil.copytree(FULL, root)
    path = root / "tritonops.yaml"
    data = yaml.safe_load(path.read_text())
    settings = data["targets"]["kubernetes"]
    settings.update(kubernetes)
    data["targets"]["kubernetes"] = {k: v for k, v in settings.items() if v is not None}
    if weights is not None:
        for variant, weight in zip(data["experiments"][0]["variants"], weights, strict=True):
            variant["weight"] = weight
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_project(path)


def objects(result: KubernetesResult) -> dict[str, dict[str, Any]]:
    """Kind → the parsed object, read back from the written files."""
    parsed = [yaml.safe_load(p.read_text()) for p in result.paths]
    return {doc["kind"]: doc for doc in parsed}


def pod_of(result: KubernetesResult) -> dict[str, Any]:
    spec: dict[str, Any] = objects(result)["Deployment"]["spec"]["template"]["spec"]
    return spec


def test_s3_deployment_runs_triton_in_explicit_mode(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    deployment = objects(result)["Deployment"]
    container = pod_of(result)["containers"][0]

    assert container["image"] == "nvcr.io/nvidia/tritonserver:24.10-py3"
    assert container["args"] == [
        "tritonserver",
        "--model-repository=s3://models/prod",
        "--model-control-mode=explicit",
        *(f"--load-model={m}" for m in MODELS),
        "--http-port=8000",
        "--grpc-port=8001",
        "--metrics-port=8002",
        "--allow-metrics=true",
        "--metrics-config=summary_latencies=true",
    ]
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [
        ("http", 8000),
        ("grpc", 8001),
        ("metrics", 8002),
    ]
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600
    assert deployment["metadata"]["namespace"] == "ml"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/part-of"] == "tritonops"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tritonops"
    # the autoscaler owns the replica count, so a sync must not reset it
    assert "replicas" not in deployment["spec"]


def test_resources_gpu_and_security(tmp_path: Path) -> None:
    pod = pod_of(render_manifests(make_project(tmp_path), tmp_path / "k8s"))
    container = pod["containers"][0]

    assert container["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1},
    }
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 1000
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"name": "dshm", "emptyDir": {"medium": "Memory"}} in pod["volumes"]
    assert {"name": "dshm", "mountPath": "/dev/shm"} in container["volumeMounts"]


def test_no_gpu_means_no_gpu_limit_and_no_toleration(tmp_path: Path) -> None:
    project = make_project(tmp_path, resources={"cpu": "500m", "memory": "1Gi"})
    pod = pod_of(render_manifests(project, tmp_path / "k8s"))

    assert pod["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert "tolerations" not in pod


def test_s3_credentials_come_from_the_documented_secret(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in pod_of(result)["containers"][0]["env"]
    }

    assert set(env) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
    }
    assert {ref["name"] for ref in env.values()} == {"full-storage-credentials"}
    assert "optional" not in env["AWS_SECRET_ACCESS_KEY"]
    assert any("full-storage-credentials" in note for note in result.notes)


def test_pvc_repository_is_mounted_read_only(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path, repository_uri="pvc:models"), tmp_path / "k8s")
    pod = pod_of(result)
    container = pod["containers"][0]

    assert "--model-repository=/models" in container["args"]
    assert {
        "name": "model-repository",
        "persistentVolumeClaim": {"claimName": "models", "readOnly": True},
    } in pod["volumes"]
    assert {"name": "model-repository", "mountPath": "/models", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert "env" not in container


def test_gcs_key_file_is_mounted_from_the_secret(tmp_path: Path) -> None:
    project = make_project(tmp_path, repository_uri="gs://bucket/repo")
    pod = pod_of(render_manifests(project, tmp_path / "k8s"))
    container = pod["containers"][0]
    key = next(e for e in container["env"] if e["name"] == "GOOGLE_APPLICATION_CREDENTIALS")
    mount = next(m for m in container["volumeMounts"] if m["name"] == "storage-credentials")

    assert "--model-repository=gs://bucket/repo" in container["args"]
    assert key["value"] == f"{mount['mountPath']}/key.json"
    assert {
        "name": "storage-credentials",
        "secret": {"secretName": "full-storage-credentials"},
    } in pod["volumes"]


def test_service_exposes_the_three_ports(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    spec = objects(result)["Service"]["spec"]

    assert spec["type"] == "ClusterIP"
    assert spec["selector"] == {"app.kubernetes.io/name": "full"}
    assert [(p["name"], p["port"], p["targetPort"]) for p in spec["ports"]] == [
        ("http", 8000, "http"),
        ("grpc", 8001, "grpc"),
        ("metrics", 8002, "metrics"),
    ]


def test_service_monitor_scrapes_the_metrics_port(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    monitor = objects(result)["ServiceMonitor"]

    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "15s"}
    ]
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "full"}


def test_queue_time_autoscaler_uses_the_custom_metric(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    spec = objects(result)["HorizontalPodAutoscaler"]["spec"]

    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "full"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 4)
    assert spec["metrics"] == [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "triton_queue_ms_per_request"},
                "target": {"type": "AverageValue", "averageValue": "20"},
            },
        }
    ]
    # the file says what must serve that metric
    assert "prometheus-adapter" in result.paths[2].read_text()


def test_fractional_queue_target_is_a_milli_quantity(tmp_path: Path) -> None:
    project = make_project(tmp_path, autoscaling={"min": 1, "max": 3, "target_queue_ms": 12.5})
    spec = objects(render_manifests(project, tmp_path / "k8s"))["HorizontalPodAutoscaler"]["spec"]

    assert spec["metrics"][0]["pods"]["target"]["averageValue"] == "12500m"


def test_cpu_autoscaler_without_queue_target(tmp_path: Path) -> None:
    project = make_project(tmp_path, autoscaling={"min": 2, "max": 5})
    spec = objects(render_manifests(project, tmp_path / "k8s"))["HorizontalPodAutoscaler"]["spec"]

    assert spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]


def test_cpu_autoscaler_needs_a_cpu_request(tmp_path: Path) -> None:
    project = make_project(tmp_path, autoscaling={"min": 1, "max": 5}, resources={"memory": "1Gi"})

    with pytest.raises(DeployError, match=r"resources\.cpu"):
        render_manifests(project, tmp_path / "k8s")


@pytest.mark.parametrize(
    ("autoscaling", "replicas"),
    [(None, 2), ({"min": 3, "max": 3}, 3), ({"min": 1, "max": 1}, 1)],
)
def test_no_autoscaler_unless_max_exceeds_min(
    tmp_path: Path, autoscaling: dict[str, int] | None, replicas: int
) -> None:
    result = render_manifests(make_project(tmp_path, autoscaling=autoscaling), tmp_path / "k8s")
    found = objects(result)

    assert "HorizontalPodAutoscaler" not in found
    assert found["Deployment"]["spec"]["replicas"] == replicas


def test_kubernetes_files_are_named_by_kind_and_listed(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path), tmp_path / "k8s")
    kustomization = yaml.safe_load((tmp_path / "k8s" / "kustomization.yaml").read_text())
    written = sorted(p.name for p in (tmp_path / "k8s").iterdir())
    listed = [
        "deployment-full.yaml",
        "service-full.yaml",
        "horizontalpodautoscaler-full.yaml",
        "servicemonitor-full.yaml",
        "prometheusrule-full.yaml",
        "configmap-full-dashboard.yaml",
    ]

    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"] == listed
    assert written == sorted([*listed, "kustomization.yaml", ".tritonops-manifests"])
    assert [f.path.name for f in result.files] == [*listed, "kustomization.yaml"]


def test_kserve_renders_one_inference_service_with_the_canary(tmp_path: Path) -> None:
    result = render_manifests(make_project(tmp_path, kserve=True), tmp_path / "k8s")
    found = objects(result)
    predictor = found["InferenceService"]["spec"]["predictor"]

    assert set(found) == {"InferenceService", "Kustomization"}
    assert found["InferenceService"]["apiVersion"] == "serving.kserve.io/v1beta1"
    assert predictor["model"]["modelFormat"] == {"name": "triton"}
    assert predictor["model"]["storageUri"] == "s3://models/prod"
    assert predictor["model"]["runtimeVersion"] == "24.10-py3"
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 4)
    assert predictor["canaryTrafficPercent"] == 10
    text = result.paths[0].read_text()
    assert "experiment 'classifier-v2'" in text
    assert "Candidate 'candidate' (classifier v2, weight 0.1)" in text


@pytest.mark.parametrize(
    ("weights", "percent", "candidate"),
    [
        ((0.9, 0.1), 10, "candidate"),
        ((3, 1), 25, "candidate"),
        ((1, 1), 50, "candidate"),  # a tie: the first listed is the baseline
        ((1, 2), 33, "control"),  # the larger weight is the baseline, whatever its name
        ((2, 0), 0, "candidate"),
    ],
)
def test_canary_percent_is_the_candidate_share(
    tmp_path: Path, weights: tuple[float, float], percent: int, candidate: str
) -> None:
    project = make_project(tmp_path, kserve=True, weights=weights)
    result = render_manifests(project, tmp_path / "k8s")

    assert (
        objects(result)["InferenceService"]["spec"]["predictor"]["canaryTrafficPercent"] == percent
    )
    assert f"Candidate {candidate!r}" in result.paths[0].read_text()


def test_kserve_reads_a_claim_through_a_pvc_uri(tmp_path: Path) -> None:
    project = make_project(tmp_path, kserve=True, repository_uri="pvc:models")
    predictor = objects(render_manifests(project, tmp_path / "k8s"))["InferenceService"]["spec"][
        "predictor"
    ]

    assert predictor["model"]["storageUri"] == "pvc://models"


def test_missing_repository_uri_says_what_to_set(tmp_path: Path) -> None:
    project = make_project(tmp_path, repository_uri=None)

    with pytest.raises(DeployError, match=r"set targets\.kubernetes\.repository_uri") as caught:
        render_manifests(project, tmp_path / "k8s")
    assert "pvc:models" in str(caught.value)
    assert not (tmp_path / "k8s").exists()


def test_arguments_override_the_project(tmp_path: Path) -> None:
    project = make_project(tmp_path, repository_uri=None)
    result = render_manifests(
        project, tmp_path / "k8s", repository_uri="pvc:shared", kubernetes_version="1.28"
    )

    assert result.kubernetes_version == "1.28"
    assert "--model-repository=/models" in pod_of(result)["containers"][0]["args"]


def test_a_bad_uri_argument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="repository_uri"):
        render_manifests(make_project(tmp_path), tmp_path / "k8s", repository_uri="http://x/y")


@pytest.mark.parametrize(
    ("folder", "name"),
    [("My_Project.v2", "my-project-v2"), ("2024 models", "triton-2024-models"), ("___", "triton")],
)
def test_names_are_dns_labels(tmp_path: Path, folder: str, name: str) -> None:
    result = render_manifests(make_project(tmp_path, folder=folder), tmp_path / "k8s")

    assert result.name == name
    assert {f.name for f in result.files if f.kind not in ("Kustomization", "ConfigMap")} == {name}
    assert [f.name for f in result.files if f.kind == "ConfigMap"] == [f"{name}-dashboard"]


@given(st.text())
def test_object_name_is_always_a_short_dns_label(text: str) -> None:
    name = object_name(text)

    assert DNS1035_LABEL.match(name)
    assert len(name) <= MAX_NAME


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = {p.name: p.read_bytes() for p in render_manifests(project, tmp_path / "a").paths}
    second = {p.name: p.read_bytes() for p in render_manifests(project, tmp_path / "b").paths}

    assert first == second


def test_a_failed_render_leaves_the_previous_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    render_manifests(make_project(tmp_path), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = make_project(tmp_path, folder="other", resources={"memory": "lots"})

    with pytest.raises(DeployError, match="lots"):
        render_manifests(broken, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # no temporary folder is left next to it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "k8s", "other"]


def test_rerender_replaces_its_own_folder(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    render_manifests(make_project(tmp_path), out)
    render_manifests(make_project(tmp_path, folder="again", autoscaling=None), out)

    assert not (out / "horizontalpodautoscaler-full.yaml").exists()
    assert (out / "deployment-again.yaml").is_file()
    assert not (out / "deployment-full.yaml").exists()


def test_refuses_a_folder_tritonops_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "mine.yaml").write_text("kind: ConfigMap\n")

    with pytest.raises(DeployError, match="refusing to replace"):
        render_manifests(make_project(tmp_path), out)
    assert [p.name for p in out.iterdir()] == ["mine.yaml"]


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()

    assert render_manifests(make_project(tmp_path), out).out == out


def test_history_records_a_planned_kubernetes_deploy(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    render_manifests(project, tmp_path / "k8s")
    assert read(project.root) == []

    render_manifests(project, tmp_path / "k8s", project_root=project.root)
    [record] = read(project.root)
    assert (record.target, record.outcome) == ("kubernetes", "planned")
    assert [m.name for m in record.models] == MODELS
    assert record.endpoint == "full.ml"


def test_a_rendered_repository_changes_the_pod_template(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    config = project.repository / "classifier" / "config.pbtxt"
    (config.parent / "1").mkdir(parents=True)
    config.write_text('name: "classifier"\n')

    def annotations() -> dict[str, str]:
        deployment = objects(render_manifests(project, tmp_path / "k8s"))["Deployment"]
        found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return found

    first = annotations()
    config.write_text('name: "classifier"\nmax_batch_size: 4\n')
    assert set(first) == {"tritonops.io/repository-sha256"}
    assert annotations() != first


def experiment(name: str, *weights: float) -> ExperimentSpec:
    variants = [
        VariantSpec(name=f"v{i}", model="classifier", version=i + 1, weight=w)
        for i, w in enumerate(weights)
    ]
    return ExperimentSpec(name=name, variants=variants)


def test_canary_with_three_variants_and_two_experiments() -> None:
    canary = canary_of([experiment("first", 7, 2, 1), experiment("second", 1, 1)])

    assert canary is not None
    assert (canary.baseline.name, canary.candidate.name, canary.percent) == ("v0", "v1", 20)
    text = "\n".join(canary.describe())
    assert "route them with tritonops): v2." in text
    assert "not: second." in text


def test_kserve_without_an_experiment_has_no_canary(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "model.py").write_text("class TritonPythonModel:\n    pass\n")
    (root / "tritonops.yaml").write_text(
        "models:\n"
        "  - {name: echo, kind: python, source: model.py, max_batch_size: 0,\n"
        "     inputs: [{name: X, data_type: fp32, dims: [1]}],\n"
        "     outputs: [{name: Y, data_type: fp32, dims: [1]}]}\n"
        "targets:\n"
        "  kubernetes: {kserve: true, repository_uri: 'gs://b/r'}\n"
    )
    result = render_manifests(load_project(root / "tritonops.yaml"), tmp_path / "k8s")
    predictor = objects(result)["InferenceService"]["spec"]["predictor"]

    assert "canaryTrafficPercent" not in predictor
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 1)
    assert "resources" not in predictor["model"]


def test_without_a_kubernetes_section_the_argument_is_enough(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    (root / "model.py").write_text("class TritonPythonModel:\n    pass\n")
    (root / "tritonops.yaml").write_text(
        "models:\n"
        "  - {name: echo, kind: python, source: model.py, max_batch_size: 0,\n"
        "     inputs: [{name: X, data_type: fp32, dims: [1]}],\n"
        "     outputs: [{name: Y, data_type: fp32, dims: [1]}]}\n"
    )
    project = load_project(root / "tritonops.yaml")
    with pytest.raises(DeployError, match="repository_uri"):
        render_manifests(project, tmp_path / "k8s")

    result = render_manifests(project, tmp_path / "k8s", repository_uri="pvc:models")
    deployment = objects(result)["Deployment"]
    assert deployment["metadata"]["namespace"] == "default"
    assert deployment["spec"]["replicas"] == 1
    assert "--load-model=echo" in pod_of(result)["containers"][0]["args"]
    assert pod_of(result)["containers"][0]["resources"] == {}


def test_a_project_without_models_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tritonops.yaml").write_text(
        "models: []\ntargets:\n  kubernetes: {repository_uri: 'pvc:models'}\n"
    )

    with pytest.raises(DeployError, match="no models to serve"):
        render_manifests(load_project(tmp_path / "tritonops.yaml"), tmp_path / "k8s")
