"""check_manifests: kubernetes-validate for built-in kinds, structural checks for the rest."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tritonops.deploy.kubernetes import (
    KubernetesResult,
    check_manifests,
    check_objects,
    render_manifests,
    supported_versions,
)
from tritonops.deploy.kubernetes.manifest_checks import schema_version
from tritonops.errors import DeployError
from tritonops.spec import load_project

FULL = Path(__file__).parents[1] / "spec" / "data" / "full"
BUILT_IN = {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"}


def render(tmp_path: Path, version: str = "1.30", **kubernetes: Any) -> KubernetesResult:
    """The full example rendered into tmp_path/k8s with targets.kubernetes updated."""
    root = tmp_path / "full"
    shutil.copytree(FULL, root)
    path = root / "tritonops.yaml"
    data = yaml.safe_load(path.read_text())
    data["targets"]["kubernetes"].update(kubernetes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return render_manifests(load_project(path), tmp_path / "k8s", kubernetes_version=version)


def write(path: Path, doc: Any) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def edited(result: KubernetesResult, kind: str) -> dict[str, Any]:
    """A mutable copy of the rendered ``kind``."""
    file = next(f for f in result.files if f.kind == kind)
    doc: dict[str, Any] = yaml.safe_load(file.path.read_text())
    return doc


@pytest.mark.parametrize("version", ["1.30", "1.25", "1.37"])
@pytest.mark.parametrize("settings", [{}, {"repository_uri": "pvc:models"}, {"kserve": True}])
def test_every_rendered_object_passes_for_the_version(
    tmp_path: Path, version: str, settings: dict[str, Any]
) -> None:
    result = render(tmp_path, version, **settings)

    assert result.kubernetes_version == version
    assert check_manifests(result.paths, version) == []
    for file in result.files:
        if file.kind in BUILT_IN:
            assert file.checked == f"kubernetes-validate {version} (strict)"
        else:
            assert file.checked.startswith("structural (no schema for ")


def test_the_result_says_how_each_kind_was_checked(tmp_path: Path) -> None:
    result = render(tmp_path)

    assert {f.kind: f.checked.split(" ")[0] for f in result.files} == {
        "Deployment": "kubernetes-validate",
        "Service": "kubernetes-validate",
        "HorizontalPodAutoscaler": "kubernetes-validate",
        "ServiceMonitor": "structural",
        "PrometheusRule": "structural",
        "ConfigMap": "kubernetes-validate",
        "Kustomization": "structural",
    }


@pytest.mark.parametrize("version", ["1.4", "1.24", "2.0", "latest", "1.300"])
def test_an_unsupported_version_lists_the_supported_ones(tmp_path: Path, version: str) -> None:
    with pytest.raises(DeployError, match=r"one of: 1\.25, 1\.26") as caught:
        render(tmp_path, version)
    assert "kubernetes_version" in str(caught.value)
    assert not (tmp_path / "k8s").exists()


@pytest.mark.parametrize(("written", "minor"), [("v1.30", "1.30"), ("1.29.4", "1.29")])
def test_version_spellings(written: str, minor: str) -> None:
    assert schema_version(written) == minor


def test_supported_versions_are_bundled_minors() -> None:
    versions = supported_versions()

    assert "1.30" in versions
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))


def test_an_invalid_memory_quantity_names_file_object_and_field(tmp_path: Path) -> None:
    with pytest.raises(DeployError) as caught:
        render(tmp_path, resources={"cpu": 2, "memory": "lots"})
    message = str(caught.value)

    assert "deployment-full.yaml: Deployment/full: " in message
    assert "spec.template.spec.containers[0].resources.limits.memory: 'lots'" in message
    assert "16Gi" in message
    assert str(tmp_path / "k8s") in message
    assert ".tritonops-tmp" not in message


def test_schema_errors_carry_the_field_path(tmp_path: Path) -> None:
    result = render(tmp_path)
    doc = edited(result, "Deployment")
    doc["spec"]["replicas"] = "two"
    doc["spec"]["template"]["spec"]["containers"][0]["colour"] = "blue"
    deployment = write(tmp_path / "deployment.yaml", doc)
    doc["spec"].pop("replicas")
    unknown = write(tmp_path / "unknown.yaml", doc)

    [wrong_type] = check_manifests([deployment], "1.30")
    [extra] = check_manifests([unknown], "1.30")
    assert wrong_type.startswith(f"{deployment}: Deployment/full: spec.replicas: ")
    assert "'colour' was unexpected" in extra
    assert "spec.template.spec.containers[0]" in extra


def test_a_service_name_must_be_a_dns_label(tmp_path: Path) -> None:
    result = render(tmp_path)
    doc = edited(result, "Service")
    doc["metadata"]["name"] = "Full_Service"

    [problem] = check_manifests([write(tmp_path / "svc.yaml", doc)], "1.30")
    assert "metadata.name: 'Full_Service' is not a DNS-1035 label" in problem


def test_label_values_are_checked(tmp_path: Path) -> None:
    result = render(tmp_path)
    doc = edited(result, "Service")
    doc["metadata"]["labels"]["team"] = "ml platform"

    [problem] = check_manifests([write(tmp_path / "svc.yaml", doc)], "1.30")
    assert "metadata.labels.team: 'ml platform' is not a valid label value" in problem


def test_service_monitor_is_checked_structurally(tmp_path: Path) -> None:
    result = render(tmp_path)
    doc = edited(result, "ServiceMonitor")
    doc["spec"]["endpoints"][0].pop("port")
    doc["spec"]["endpoints"][0]["interval"] = "often"
    doc["spec"]["selctor"] = {}

    problems = check_manifests([write(tmp_path / "sm.yaml", doc)], "1.30")
    assert sorted(p.split(": ", 2)[2] for p in problems) == [
        "spec.endpoints[0].interval: expected a Prometheus duration such as 15s, got 'often'",
        "spec.endpoints[0].port: required field missing",
        "spec.selctor: not a field tritonops knows for this kind",
    ]


def test_inference_service_is_checked_structurally(tmp_path: Path) -> None:
    result = render(tmp_path, kserve=True)
    doc = edited(result, "InferenceService")
    predictor = doc["spec"]["predictor"]
    predictor["canaryTrafficPercent"] = 150
    predictor["model"]["storageUri"] = "http://models"
    predictor["model"]["resources"]["limits"]["memory"] = "16 GB"

    problems = check_manifests([write(tmp_path / "isvc.yaml", doc)], "1.30")
    assert len(problems) == 3
    assert any("canaryTrafficPercent: expected a whole number from 0 to 100" in p for p in problems)
    assert any("storageUri: expected an s3://, gs:// or pvc:// URI" in p for p in problems)
    assert any("limits.memory: '16 GB' is not a Kubernetes quantity" in p for p in problems)


def test_kustomization_must_list_existing_files(tmp_path: Path) -> None:
    result = render(tmp_path)
    kustomization = result.out / "kustomization.yaml"
    (result.out / "service-full.yaml").unlink()

    [problem] = check_manifests([kustomization], "1.30")
    assert "resources: 'service-full.yaml' is listed but no such file exists" in problem


def test_unknown_kinds_and_non_objects_are_reported(tmp_path: Path) -> None:
    widget = write(tmp_path / "w.yaml", {"apiVersion": "example.com/v1", "kind": "Widget"})
    scalar = write(tmp_path / "s.yaml", ["not", "an", "object"])
    broken = tmp_path / "b.yaml"
    broken.write_text("kind: [unclosed\n")

    problems = check_manifests([widget, scalar, broken], "1.30")
    assert len(problems) == 3
    assert "not validated" in problems[0]
    assert "Widget" in problems[0]
    assert "not a Kubernetes object" in problems[1]
    assert str(broken) in problems[2]


def test_multi_document_files_check_each_object(tmp_path: Path) -> None:
    result = render(tmp_path)
    docs = [yaml.safe_load(p.read_text()) for p in result.paths[:2]]
    docs[1]["spec"]["ports"][0]["port"] = "eighty"
    both = tmp_path / "all.yaml"
    both.write_text(yaml.safe_dump_all(docs))

    checks = check_objects([both], "1.30")
    assert [(c.kind, c.ok) for c in checks] == [("Deployment", True), ("Service", False)]


@pytest.mark.parametrize("value", ["1", "500m", "16Gi", "1.5", "1e3", ".5", "2E", 2, 0.5])
def test_valid_quantities_pass(tmp_path: Path, value: object) -> None:
    result = render(tmp_path)
    doc = edited(result, "Deployment")
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = value

    assert check_manifests([write(tmp_path / "d.yaml", doc)], "1.30") == []


@pytest.mark.parametrize("value", ["lots", "16GB", "-1", "1.2.3", "", "1 Gi", True, -1])
def test_invalid_quantities_fail(tmp_path: Path, value: object) -> None:
    result = render(tmp_path)
    doc = edited(result, "Deployment")
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = value

    problems = check_manifests([write(tmp_path / "d.yaml", doc)], "1.30")
    assert any("resources.limits.cpu" in p for p in problems), problems
