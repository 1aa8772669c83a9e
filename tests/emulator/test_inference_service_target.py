# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""vllm_server_target: inferenceservice (issue 21) through the real roles and kubernetes.core, against the emulator
with a stand-in of KServe's controller (kserve_target_scenarios.py): the objects sent and their schemas, the rollout
through the predictor Deployment and the URLs KServe reports, idempotence, check mode, someone else's
InferenceService, removal and cleanup. What only a real OpenShift AI proves is listed in docs/cluster.md."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from harness import NAMESPACE
from kserve_target_scenarios import FOREIGN_NAMESPACE, foreign_inference_service
from test_manifests import KUBERNETES_VERSION, sent

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "serving.kserve.io.ours.schema.json").read_text())
_CORE = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / ("v%s-local-strict" % KUBERNETES_VERSION)
POD_SPEC_FIELDS = set(json.loads((_CORE / "podspec-v1.json").read_text())["properties"])
CONTAINER_FIELDS = set(json.loads((_CORE / "container-v1.json").read_text())["properties"])
SERVERS = {"minilm": "vllm-minilm", "bge_reranker": "vllm-bge-reranker"}
ISVC_PATH = "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/%s"


def _schema():
    """Our KServe schema, with the PodSpec and Container field names that KServe inlines accepted (they are
    validated against the Kubernetes schemas by validate_kserve)."""
    schema = copy.deepcopy(SCHEMA)
    schema["$defs"]["PredictorSpec"]["properties"].update({name: {} for name in POD_SPEC_FIELDS})
    schema["$defs"]["ModelSpec"]["properties"].update({name: {} for name in CONTAINER_FIELDS - {"name"}})
    return schema


VALIDATOR = jsonschema.Draft202012Validator(_schema())


def validate_kserve(obj):
    """KServe's shape against our schema; the core types it embeds as a Pod against the Kubernetes schemas (strict)."""
    VALIDATOR.validate(obj)
    if obj["kind"] == "InferenceService":
        predictor = obj["spec"]["predictor"]
        model = predictor["model"]
        container = dict({k: v for k, v in model.items() if k in CONTAINER_FIELDS}, name="kserve-container")
        spec = dict({k: v for k, v in predictor.items() if k in POD_SPEC_FIELDS}, containers=[container])
    else:
        spec = {k: v for k, v in obj["spec"].items() if k in POD_SPEC_FIELDS}
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": obj["metadata"]["name"]},
                                  "spec": spec}, KUBERNETES_VERSION, strict=True)


@pytest.fixture(scope="module")
def converged(inference_service_target):
    step = inference_service_target.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def ours(step, kind, namespace=NAMESPACE):
    return {name: obj for (ns, name), obj in step["objects"].get(kind, {}).items() if ns == namespace}


def test_each_server_is_a_serving_runtime_and_an_inference_service_and_nothing_of_a_deployment(converged):
    assert set(ours(converged, "InferenceService")) == set(SERVERS.values())
    assert set(ours(converged, "ServingRuntime")) == set(SERVERS.values())
    assert set(ours(converged, "NetworkPolicy")) == set(SERVERS.values())
    assert ours(converged, "Service") == {} and ours(converged, "Route") == {}
    # the role wrote no Deployment: the predictor Deployments are KServe's, owned by the InferenceServices
    assert not [w for w in converged["writes"] if "/deployments" in w.path]
    for name, deployment in ours(converged, "Deployment").items():
        assert name in {server + "-predictor" for server in SERVERS.values()}
        assert deployment["metadata"]["ownerReferences"][0]["kind"] == "InferenceService"


def test_the_inference_service_is_openshift_ais_raw_deployment_with_auth_and_the_model_cache(converged):
    isvc = ours(converged, "InferenceService")["vllm-minilm"]
    metadata, predictor = isvc["metadata"], isvc["spec"]["predictor"]
    assert metadata["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    assert metadata["annotations"]["security.opendatahub.io/enable-auth"] == "true"
    assert metadata["labels"]["networking.kserve.io/visibility"] == "exposed"
    assert metadata["labels"]["opendatahub.io/dashboard"] == "true"
    assert metadata["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"
    assert predictor["model"] == {
        "modelFormat": {"name": "vLLM"}, "runtime": "vllm-minilm", "storageUri": "pvc://vllm-model-cache/hf",
        "resources": predictor["model"]["resources"]}
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == 1
    # the predictor pods carry the server's labels (the rollout, the diagnosis and the NetworkPolicy select them)
    assert predictor["labels"]["vllm-migration/model"] == "minilm"
    assert predictor["labels"]["app.kubernetes.io/component"] == "vllm-server"
    assert predictor["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert predictor["automountServiceAccountToken"] is False
    assert predictor["minReplicas"] == predictor["maxReplicas"] == 1


def test_the_serving_runtime_has_the_platform_templates_form_and_runs_restricted(converged):
    runtime = ours(converged, "ServingRuntime")["vllm-minilm"]
    (container,) = runtime["spec"]["containers"]
    assert container["name"] == "kserve-container"
    args = container["args"]
    assert args[args.index("--port") + 1] == "8080"
    assert args[args.index("--served-model-name") + 1] == "{{.Name}}"
    assert args[args.index("--runner") + 1] == "pooling"
    assert "sentence-transformers/all-MiniLM-L6-v2" in args and "--host" not in args
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["HF_HOME"] == "/mnt/models" and env["HF_HUB_OFFLINE"] == "1"
    assert "VLLM_API_KEY" not in env  # OpenShift AI's proxy authenticates; vLLM gets no key behind it
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert runtime["spec"]["supportedModelFormats"] == [{"name": "vLLM", "autoSelect": True}]
    assert runtime["spec"]["multiModel"] is False


def test_the_network_policy_admits_vllms_port_and_openshift_ais_proxy_port(converged):
    policy = ours(converged, "NetworkPolicy")["vllm-minilm"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]
    assert policy["spec"]["podSelector"]["matchLabels"]["vllm-migration/model"] == "minilm"


def test_every_kserve_manifest_validates_and_the_validator_can_fail(converged):
    objects = [sent(obj) for kind in ("InferenceService", "ServingRuntime") for obj in ours(converged, kind).values()]
    assert len(objects) == 4
    for obj in objects:
        validate_kserve(obj)
    isvc = next(obj for obj in objects if obj["kind"] == "InferenceService")
    for path, value in ((("spec", "predictor", "model", "storageUri"), "/mnt/models"),
                        (("spec", "predictor", "minReplica"), 1),
                        (("metadata", "annotations", "serving.kserve.io/deploymentMode"), "Raw"),
                        (("spec", "predictor", "tolerations"), [{"key": "x", "operatr": "Exists"}])):
        broken = copy.deepcopy(isvc)
        node = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)):
            validate_kserve(broken)
    runtime = next(obj for obj in objects if obj["kind"] == "ServingRuntime")
    broken = copy.deepcopy(runtime)
    broken["spec"]["containers"][0]["securityContext"]["capabilities"]["dropped"] = ["ALL"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_kserve(broken)


def test_the_rollout_waits_for_the_predictor_and_the_endpoints_are_the_urls_kserve_reports(converged):
    requests = converged["requests"]
    for name in SERVERS.values():
        assert ("GET", "/apis/apps/v1/namespaces/%s/deployments/%s-predictor" % (NAMESPACE, name)) in requests
        assert ("GET", ISVC_PATH % (NAMESPACE, name)) in requests
    endpoints = converged["run"].endpoints
    assert set(endpoints) == set(SERVERS)
    minilm = endpoints["minilm"]
    assert minilm["status"] == "ready"
    assert minilm["url"] == "https://vllm-minilm-%s.apps.emulator.test" % NAMESPACE
    assert minilm["service_url"] == "http://vllm-minilm-predictor.%s.svc.cluster.local" % NAMESPACE
    assert minilm["served_name"] == "vllm-minilm"  # the InferenceService's name, as {{.Name}} serves it


def test_a_second_run_changes_nothing(inference_service_target, converged):
    step = inference_service_target.step("idempotence")
    assert step["run"].returncode == 0, step["run"].describe()
    assert step["run"].stats["changed"] == 0, step["run"].changed_tasks()
    assert step["objects"] == converged["objects"]
    # existing objects are applied with what they already hold; nothing is created or deleted
    assert step["writes"] and not [w for w in step["writes"] if w.created or w.method == "DELETE"]


def test_check_mode_reports_the_change_and_writes_nothing(inference_service_target, converged):
    step = inference_service_target.step("check_changed")
    assert step["run"].returncode == 0, step["run"].describe()
    assert step["run"].changed_tasks() == ["Create or update the objects of each server, ServingRuntime, "
                                           "InferenceService, NetworkPolicy"]
    assert step["writes"] and all(w.dry_run for w in step["writes"])
    assert ours(step, "ServingRuntime") == ours(converged, "ServingRuntime")


def test_someone_elses_inference_service_is_used_as_it_is(inference_service_target):
    step = inference_service_target.step("foreign")
    assert step["run"].returncode == 0, step["run"].describe()
    found = ours(step, "InferenceService", FOREIGN_NAMESPACE)["vllm-minilm"]
    seeded = foreign_inference_service()
    assert found["metadata"]["labels"] == seeded["metadata"]["labels"]
    assert found["spec"] == seeded["spec"]
    assert not [w for w in step["writes"] if w.path == ISVC_PATH % (FOREIGN_NAMESPACE, "vllm-minilm") and not w.dry_run]
    assert "used as it is" in step["run"].stdout


def test_removing_a_model_removes_its_inference_service_and_runtime_only(inference_service_target):
    step = inference_service_target.step("remove_one")
    assert step["run"].returncode == 0, step["run"].describe()
    assert set(ours(step, "InferenceService")) == {"vllm-minilm"}
    assert set(ours(step, "ServingRuntime")) == {"vllm-minilm"}
    assert set(ours(step, "Deployment")) == {"vllm-minilm-predictor"}  # KServe's went with its InferenceService


def test_cleanup_removes_the_runtimes_too_and_leaves_someone_elses(inference_service_target):
    step = inference_service_target.step("cleanup")
    assert step["run"].returncode == 0, step["run"].describe()
    assert ours(step, "InferenceService") == {} and ours(step, "ServingRuntime") == {}
    deleted = {w.path for w in step["writes"] if w.method == "DELETE"}
    assert "/apis/serving.kserve.io/v1alpha1/namespaces/%s/servingruntimes/vllm-minilm" % NAMESPACE in deleted
    assert set(ours(step, "InferenceService", FOREIGN_NAMESPACE)) == {"vllm-minilm"}
    assert "their-runtime" in ours(step, "ServingRuntime", FOREIGN_NAMESPACE)
