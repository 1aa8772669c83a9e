# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The namespace, model_cache and vllm_server roles on an emulated OpenShift API (scenario ``openshift``).

What passes here: the objects the roles send, as the API server stores them (a plain dict merge, no
defaulting), idempotence as the k8s module reports it, check mode as dry-run requests, removal and
cleanup by label. What it does not prove is listed in docs/cluster.md.
"""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models, vllm_args
from harness import NAMESPACE
from scenarios import API_KEY, HF_TOKEN, OPENSHIFT_VARS

MANAGED = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration"}
SERVERS = {"minilm": "vllm-minilm", "bge_reranker": "vllm-bge-reranker"}


@pytest.fixture(scope="module")
def converged(openshift):
    step = openshift.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def ours(objects, kind):
    return {key: obj for key, obj in objects.get(kind, {}).items() if key[0] == NAMESPACE}


def container(deployment):
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(c):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env", [])}


def test_namespace_is_created_with_the_managed_labels(converged):
    ns = converged["objects"]["Namespace"][(None, NAMESPACE)]
    labels = ns["metadata"]["labels"]
    assert MANAGED.items() <= labels.items()
    assert labels["team"] == "search"


def test_resource_quota_has_the_requested_hard_limits(converged):
    quota = converged["objects"]["ResourceQuota"][(NAMESPACE, "vllm-migration")]
    assert quota["spec"]["hard"] == {"requests.nvidia.com/gpu": "2", "persistentvolumeclaims": "2"}
    assert MANAGED.items() <= quota["metadata"]["labels"].items()


def test_model_cache_claim_has_size_class_and_access_mode(converged):
    pvc = converged["objects"]["PersistentVolumeClaim"][(NAMESPACE, "vllm-model-cache")]
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                           "resources": {"requests": {"storage": "20Gi"}}, "storageClassName": "gp3-csi"}
    assert pvc["metadata"]["labels"]["app.kubernetes.io/component"] == "model-cache"


def test_prefetch_job_downloads_the_catalog_models_with_the_token_from_a_secret(converged):
    (job,) = ours(converged["objects"], "Job").values()
    assert job["metadata"]["name"].startswith("vllm-model-cache-prefetch-")
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = env_of(c)
    assert json.loads(env["PREFETCH_MODELS"]) == ["sentence-transformers/all-MiniLM-L6-v2", "BAAI/bge-reranker-v2-m3"]
    assert env["HF_HOME"] == "/models/hf"
    assert env["HF_TOKEN"] == {"secretKeyRef": {"name": "vllm-migration-hf-token", "key": "token"}}
    assert c["command"][:2] == ["python3", "-c"] and "snapshot_download" in c["command"][2]
    assert pod["volumes"][0] == {"name": "model-cache", "persistentVolumeClaim": {"claimName": "vllm-model-cache"}}
    assert pod["restartPolicy"] == "Never"
    assert_restricted(pod, c)
    secret = converged["objects"]["Secret"][(NAMESPACE, "vllm-migration-hf-token")]
    assert base64.b64decode(secret["data"]["token"]).decode() == HF_TOKEN


def test_secret_values_appear_only_in_their_secrets_and_never_in_the_output(converged, openshift):
    encoded = [v.encode() for v in (API_KEY, HF_TOKEN)] + [base64.b64encode(v.encode()) for v in (API_KEY, HF_TOKEN)]
    for kind, objects in converged["objects"].items():
        for key, obj in objects.items():
            if kind != "Secret":
                text = json.dumps(obj).encode()
                assert not any(value in text for value in encoded), (kind, key)
    for step in ("converge", "idempotence", "check_changed"):
        run = openshift.step(step)["run"]
        output = (run.stdout + run.stderr).encode()
        assert not any(value in output for value in encoded), step


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_deployment_runs_the_catalog_arguments_plus_the_platform_ones(converged, key):
    deployment = converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])]
    c = container(deployment)
    (entry,) = resolve_models(OPENSHIFT_VARS["vllm_migration_catalog"], [key])
    override = OPENSHIFT_VARS["vllm_server_model_overrides"].get(key, {})
    # vllm serve takes the model positionally (vllm_args gives it as --model MODEL).
    expected = [entry["model"]] + vllm_args(entry)[2:] + [
        "--host", "0.0.0.0", "--port", "8000", "--gpu-memory-utilization",
        str(override.get("gpu_memory_utilization", 0.15))] + override.get("extra_args", [])
    assert c["args"] == expected
    assert c["command"] == ["vllm", "serve"]
    assert c["image"] == "docker.io/vllm/vllm-openai:v0.32.0"
    if key == "minilm":  # JSON flag values arrive verbatim
        assert json.loads(c["args"][c["args"].index("--pooler-config") + 1]) == {"pooling_type": "MEAN", "normalize": True}


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_deployment_environment_cache_and_api_key(converged, key):
    deployment = converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])]
    pod = deployment["spec"]["template"]["spec"]
    c = container(deployment)
    env = env_of(c)
    assert env["VLLM_API_KEY"] == {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}
    assert env["HOME"] == "/cache/home" and env["XDG_CACHE_HOME"] == "/cache/xdg"
    assert env["HF_HOME"] == "/models/hf" and env["HF_HUB_OFFLINE"] == "1"
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts == {"cache": "/cache", "dshm": "/dev/shm", "model-cache": "/models"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["cache"]["emptyDir"] == {}
    assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
    assert volumes["model-cache"]["persistentVolumeClaim"]["claimName"] == "vllm-model-cache"
    secret = converged["objects"]["Secret"][(NAMESPACE, "vllm-api-key")]
    assert base64.b64decode(secret["data"]["api-key"]).decode() == API_KEY


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_deployment_requests_a_gpu_and_may_land_on_tainted_gpu_nodes(converged, key):
    deployment = converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])]
    pod = deployment["spec"]["template"]["spec"]
    resources = container(deployment)["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == 1 and resources["limits"]["nvidia.com/gpu"] == 1
    assert resources["requests"]["memory"] == "8Gi" and resources["limits"]["memory"] == "16Gi"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_deployment_probes_health(converged, key):
    c = container(converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}
    # The default startup budget of 1200 s at one check every 10 s.
    assert c["startupProbe"]["failureThreshold"] * c["startupProbe"]["periodSeconds"] == 1200


def assert_restricted(pod, c):
    """What OpenShift's restricted-v2 SCC admits: non-root, no pinned user, no escalation, no capabilities."""
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    assert "runAsUser" not in json.dumps(pod) and "privileged" not in json.dumps(pod)
    assert not any("hostPath" in v for v in pod.get("volumes", []))
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_deployment_security_context_is_restricted(converged, key):
    deployment = converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])]
    assert_restricted(deployment["spec"]["template"]["spec"], container(deployment))


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_service_route_and_network_policy_point_at_the_server(converged, key):
    name = SERVERS[key]
    objects = converged["objects"]
    deployment = objects["Deployment"][(NAMESPACE, name)]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    service = objects["Service"][(NAMESPACE, name)]
    assert service["spec"]["selector"] == selector
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    route = objects["Route"][(NAMESPACE, name)]
    assert route["spec"]["to"] == {"kind": "Service", "name": name, "weight": 100}
    assert route["spec"]["port"] == {"targetPort": "http"}
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert route["metadata"]["annotations"]["haproxy.router.openshift.io/timeout"] == "300s"
    policy = objects["NetworkPolicy"][(NAMESPACE, name)]
    assert policy["spec"]["podSelector"] == {"matchLabels": selector}
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": 8000, "protocol": "TCP"}]
    assert {"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}} in rule["from"]
    # minilm's consumers run in rag-prod (vllm_migration_cutover_consumers): admitted there, and only there
    consumers = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "rag-prod"}}}
    assert (consumers in rule["from"]) == (key == "minilm")


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_every_object_of_a_server_carries_the_managed_and_model_labels(converged, key):
    for kind in ("Deployment", "Service", "Route", "NetworkPolicy"):
        obj = converged["objects"][kind][(NAMESPACE, SERVERS[key])]
        assert MANAGED.items() <= obj["metadata"]["labels"].items(), kind
        assert obj["metadata"]["labels"]["vllm-migration/model"] == key, kind
    template_labels = converged["objects"]["Deployment"][(NAMESPACE, SERVERS[key])]["spec"]["template"]["metadata"]["labels"]
    assert template_labels["vllm-migration/model"] == key and MANAGED.items() <= template_labels.items()


def test_every_object_in_the_namespace_is_labelled_managed(converged):
    for kind, objects in converged["objects"].items():
        for key, obj in objects.items():
            if key[0] == NAMESPACE:
                assert MANAGED.items() <= obj["metadata"].get("labels", {}).items(), (kind, key)


def test_endpoints_are_recorded_ready_with_the_route_urls(converged):
    endpoints = converged["run"].endpoints
    assert set(endpoints) == set(SERVERS)
    for key, name in SERVERS.items():
        host = converged["objects"]["Route"][(NAMESPACE, name)]["spec"]["host"]
        assert endpoints[key]["status"] == "ready"
        assert endpoints[key]["url"] == "https://" + host
        assert endpoints[key]["served_name"] == key
        assert endpoints[key]["workarounds"] == []
    assert endpoints["minilm"]["kind"] == "embedding" and endpoints["bge_reranker"]["kind"] == "reranker"


def test_second_run_changes_nothing(openshift, converged):
    step = openshift.step("idempotence")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    assert run.stats["changed"] == 0, run.changed_tasks()
    assert step["objects"] == converged["objects"]
    # Existing objects are applied with what they already hold; nothing is created or deleted.
    assert step["writes"] and not [w for w in step["writes"] if w.created or w.method == "DELETE"]


def test_check_mode_reports_changes_but_sends_only_dry_run_writes(openshift):
    before = openshift.step("idempotence")["objects"]
    step = openshift.step("check_changed")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    changed = run.changed_tasks()
    assert "Create or update namespace %s" % NAMESPACE in changed
    assert [name for name in changed if name.startswith("Create or update the objects of each server")]
    assert step["writes"] and all(write.dry_run for write in step["writes"])
    assert step["objects"] == before
    assert {e["status"] for e in run.endpoints.values()} == {"not_verified"}
