"""Cluster planning as plain functions: server plan, URLs, rollout state, cleanup plan."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import (
    PlanError, cleanup_plan, deep_merge, image_label, label_selector, rollout_state, route_host, server_plan,
    server_url)

SETTINGS = {"platform": "openshift", "namespace": "ns", "image": "docker.io/vllm/vllm-openai:v0.32.0",
            "gpu": 1, "gpu_tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
            "resources": {"requests": {"cpu": "2"}, "limits": {"memory": "16Gi"}}}


def plan(keys=("minilm",), catalog=None, **settings):
    return server_plan(resolve_models(catalog or {}, list(keys)), dict(SETTINGS, **settings))


def test_a_server_is_named_labelled_and_given_its_arguments():
    (minilm,) = plan(labels={"team": "rag"})
    assert minilm["name"] == "vllm-minilm" and minilm["port"] == 8000
    assert minilm["labels"] == {
        "team": "rag", "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "vllm-minilm",
        "vllm-migration/model": "minilm", "app.kubernetes.io/managed-by": "vllm_pooling.migration",
        "app.kubernetes.io/part-of": "vllm-migration", "app.kubernetes.io/component": "vllm-server",
        "app.kubernetes.io/version": "v0.32.0"}
    assert set(minilm["selector"].items()) <= set(minilm["labels"].items())
    args = minilm["args"]
    assert args[:2] == ["--model", "sentence-transformers/all-MiniLM-L6-v2"]
    assert args[args.index("--port") + 1] == "8000" and args[args.index("--host") + 1] == "0.0.0.0"
    assert args[args.index("--gpu-memory-utilization") + 1] == "0.15"
    assert minilm["tolerations"] == SETTINGS["gpu_tolerations"]


def test_each_server_admits_the_namespaces_of_its_own_consumers():
    minilm, granite = plan(("minilm", "granite"), consumers={
        "minilm": ["in-ns", {"name": "rag-api", "namespace": "rag-prod"}, {"name": "b", "namespace": "rag-prod"},
                   {"name": "search", "namespace": "search"}, {"name": "same", "namespace": "ns"}]})
    assert minilm["consumer_namespaces"] == ["rag-prod", "search"]  # once each; its own namespace is admitted anyway
    assert granite["consumer_namespaces"] == []
    (alone,) = plan()
    assert alone["consumer_namespaces"] == []


def test_per_model_overrides_win_and_merge_resources_deeply():
    overrides = {"msmarco": {"gpu": 0, "image": "quay.io/x/vllm-cpu@sha256:" + "a" * 64, "replicas": 2,
                             "resources": {"limits": {"memory": "24Gi"}}, "extra_args": ["--enforce-eager"],
                             "gpu_memory_utilization": 0.5}}
    minilm, msmarco = plan(("minilm", "msmarco"), model_overrides=overrides, extra_args=["--disable-log-requests"])
    assert msmarco["gpu"] == 0 and msmarco["tolerations"] == [] and msmarco["replicas"] == 2
    assert msmarco["resources"] == {"requests": {"cpu": "2"}, "limits": {"memory": "24Gi"}}
    assert msmarco["args"][-2:] == ["--disable-log-requests", "--enforce-eager"]
    assert msmarco["args"][msmarco["args"].index("--gpu-memory-utilization") + 1] == "0.5"
    assert msmarco["labels"]["app.kubernetes.io/version"] == "a" * 63
    assert minilm["resources"] == SETTINGS["resources"] and minilm["gpu"] == 1


def test_the_container_requests_and_limits_its_gpus_on_top_of_its_resources():
    overrides = {"msmarco": {"gpu": 0, "resources": {"limits": {"memory": "24Gi"}}}}
    minilm, msmarco = plan(("minilm", "msmarco"), model_overrides=overrides, gpu=2, gpu_resource="amd.com/gpu")
    assert minilm["container_resources"] == {"requests": dict(SETTINGS["resources"].get("requests", {}), **{"amd.com/gpu": 2}),
                                             "limits": dict(SETTINGS["resources"].get("limits", {}), **{"amd.com/gpu": 2})}
    assert minilm["resources"] == SETTINGS["resources"]  # the plan's own resources stay without the GPUs
    assert msmarco["container_resources"] == {"requests": {"cpu": "2"}, "limits": {"memory": "24Gi"}}


def test_behind_the_proxy_an_ingress_says_its_backend_speaks_https_unless_the_user_says_otherwise():
    (plain,) = plan()
    assert plain["ingress_annotations"] == {}
    (proxied,) = plan(auth_proxy=True, ingress_annotations={"example.com/x": "1"})
    assert proxied["ingress_annotations"] == {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS", "example.com/x": "1"}
    (overridden,) = plan(auth_proxy=True, ingress_annotations={"nginx.ingress.kubernetes.io/backend-protocol": "GRPCS"})
    assert overridden["ingress_annotations"] == {"nginx.ingress.kubernetes.io/backend-protocol": "GRPCS"}


def test_underscores_become_dashes_in_object_names():
    (entry,) = plan(("bge_reranker",))
    assert entry["name"] == "vllm-bge-reranker" and entry["labels"]["vllm-migration/model"] == "bge_reranker"


@pytest.mark.parametrize("settings,message", [
    ({"name_prefix": "VLLM_"}, "DNS label"),
    ({"replicas": 0}, "replicas >= 1"),
    ({"platform": "kubernetes"}, "vllm_server_ingress_domain"),
    ({"namespace": "n" * 60}, "under 64 characters"),
])
def test_a_plan_that_cannot_work_is_refused_with_what_to_change(settings, message):
    with pytest.raises(PlanError, match=message):
        plan(**settings)


def test_hosts_and_urls():
    (k8s,) = plan(platform="kubernetes", ingress_domain="apps.example.com")
    assert k8s["host"] == "vllm-minilm-ns.apps.example.com"
    assert server_url(k8s, "kubernetes", "ns", True, True) == "https://vllm-minilm-ns.apps.example.com"
    assert server_url(k8s, "kubernetes", "ns", True, False) == "http://vllm-minilm-ns.apps.example.com"
    (ocp,) = plan()
    assert server_url(ocp, "openshift", "ns", True, False, "vllm-minilm-ns.apps.ocp") == "https://vllm-minilm-ns.apps.ocp"
    assert server_url(ocp, "openshift", "ns", False) == "http://vllm-minilm.ns.svc:8000"
    applied = {"result": {"results": [{"result": {"kind": "Deployment"}},
                                      {"result": {"kind": "Route", "spec": {"host": "h.apps"}}}]}}
    assert route_host(applied) == "h.apps" and route_host({}) == ""
    # owned_object's result for a server's objects, and the register of a loop over several servers
    route = {"kind": "Route", "metadata": {"name": "vllm-minilm"}, "spec": {"host": "m.apps"}}
    other = {"kind": "Route", "metadata": {"name": "vllm-bge"}, "spec": {"host": "b.apps"}}
    owned = {"results": [{"action": "created", "object": {"kind": "Service", "metadata": {"name": "vllm-minilm"}}},
                         {"action": "created", "object": route}]}
    looped = {"results": [{"results": [{"object": other}]}, owned]}
    assert route_host(owned) == "m.apps" and route_host(looped, "vllm-minilm") == "m.apps"
    assert route_host(looped, "vllm-other") == ""
    assert server_url(ocp, "openshift", "ns", True, False, looped) == "https://m.apps"
    assert server_url(ocp, "openshift", "ns", False, False, {"skipped": True}) == "http://vllm-minilm.ns.svc:8000"


def deployment(generation=2, observed=2, replicas=1, updated=1, available=1, conditions=()):
    return {"metadata": {"generation": generation}, "spec": {"replicas": 1},
            "status": {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": list(conditions)}}


def test_rollout_state():
    assert rollout_state(deployment()) == "rolled_out"
    assert rollout_state({"resources": [deployment()]}) == "rolled_out"
    assert rollout_state(deployment(observed=1)) == "progressing"        # the controller has not seen the new spec
    assert rollout_state(deployment(replicas=2)) == "progressing"        # an old pod is still there
    assert rollout_state(deployment(available=0)) == "progressing"
    assert rollout_state({"resources": []}) == "progressing" and rollout_state({}) == "progressing"
    assert rollout_state(deployment(available=0, conditions=[{"type": "Progressing", "status": "False"}])) == "failed"
    assert rollout_state(deployment(available=0, conditions=[{"type": "ReplicaFailure", "status": "True"}])) == "failed"


def obj(kind, name, namespace="ns", ours=True, owner=False, annotations=None):
    metadata = {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "vllm_pooling.migration"} if ours else {}}
    if owner:
        metadata["ownerReferences"] = [{"kind": "ReplicaSet"}]
    if annotations:
        metadata["annotations"] = annotations
    return {"kind": kind, "metadata": metadata}


def test_cleanup_deletes_only_ours_and_keeps_a_namespace_someone_else_uses():
    objects = [obj("Deployment", "vllm-minilm"), obj("Pod", "vllm-minilm-x", owner=True),
               obj("PersistentVolumeClaim", "cache"), obj("ConfigMap", "kube-root-ca.crt", ours=False),
               obj("Secret", "builder-token", ours=False, annotations={"kubernetes.io/service-account.name": "builder"}),
               obj("ConfigMap", "users-config", ours=False, namespace="shared")]
    namespaces = [{"item": "ns", "resources": [obj("Namespace", "ns", namespace=None)]},
                  {"item": "shared", "resources": [obj("Namespace", "shared", namespace=None)]},
                  {"item": "gone", "resources": []}]
    result = cleanup_plan(objects, namespaces, keep_model_cache=False)
    assert result["summary"]["delete"] == ["Deployment vllm-minilm", "PersistentVolumeClaim cache"]
    assert result["summary"]["others"] == ["ConfigMap users-config"]
    assert result["namespace_verdicts"] == {"ns": "", "shared": "it holds objects this collection did not create (listed above)",
                                            "gone": "it does not exist"}
    assert result["delete_namespaces"] == ["ns"]
    kept = cleanup_plan(objects, namespaces)  # the model cache is kept unless asked otherwise
    assert kept["summary"]["kept"] == ["PersistentVolumeClaim cache"] and "ns" not in kept["delete_namespaces"]
    foreign = cleanup_plan([], {"ns": obj("Namespace", "ns", namespace=None, ours=False)})
    assert foreign["namespace_verdicts"]["ns"] == "it was not created by this collection"
    assert cleanup_plan([], namespaces, delete_namespace=False)["delete_namespaces"] == []
    assert cleanup_plan([], namespaces, keep_model_cache=False)["delete_namespaces"] == ["ns", "shared"]


def test_helpers():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}
    assert image_label("quay.io/x/y:v1.2+cpu") == "v1.2-cpu"
    assert label_selector("vllm-server", ["minilm"]) == [
        "app.kubernetes.io/managed-by=vllm_pooling.migration", "app.kubernetes.io/component=vllm-server",
        "vllm-migration/model=minilm"]
    assert label_selector(None, ["a", "b"])[-1] == "vllm-migration/model in (a,b)"


def test_behind_the_authenticating_proxy_vllm_listens_on_localhost_and_the_url_is_the_proxys():
    (default,) = plan()
    assert default["args"][default["args"].index("--host") + 1] == "0.0.0.0"
    (proxied,) = plan(host="127.0.0.1")
    assert proxied["args"][proxied["args"].index("--host") + 1] == "127.0.0.1"
    assert server_url(proxied, "openshift", "ns", expose=False, proxy_port=8443) == "https://vllm-minilm.ns.svc:8443"
    assert server_url(proxied, "openshift", "ns", expose=False) == "http://vllm-minilm.ns.svc:8000"


CACHE = {"claim": "model-cache", "access_mode": "ReadWriteOnce", "mount_path": "/models", "hf_home": "/models/hf"}


def test_an_inference_service_server_takes_the_platform_runtime_form_and_its_model_from_the_cache():
    (minilm,) = plan(target="inferenceservice", storage=CACHE, auth_proxy=True, extra_args=["--max-num-seqs", "8"])
    args = minilm["args"]
    # OpenShift AI's vLLM runtime template: port 8080, the model, the InferenceService's name as the served name
    assert args[:6] == ["--port", "8080", "--model", "sentence-transformers/all-MiniLM-L6-v2",
                        "--served-model-name", "{{.Name}}"]
    assert "--host" not in args and args.count("--model") == 1 and args.count("--served-model-name") == 1
    assert args[args.index("--runner") + 1] == "pooling" and args[-2:] == ["--max-num-seqs", "8"]
    assert minilm["entry"]["served_name"] == "vllm-minilm"  # what clients send, as the dashboard shows it
    assert (minilm["port"], minilm["deployment"], minilm["container"]) == (
        8080, "vllm-minilm-predictor", "kserve-container")
    # KServe mounts the cache's HF_HOME at /mnt/models; vLLM finds the repository there offline
    assert minilm["storage_uri"] == "pvc://model-cache/hf"
    assert minilm["storage"]["hf_home"] == "/mnt/models" and minilm["storage"]["offline"] is True
    assert minilm["storage"]["volumes"] == [] and minilm["storage"]["mounts"] == []
    # the RWO cache still ties the predictor pods to one node, and OpenShift AI's proxy port is admitted
    assert minilm["affinity"] and minilm["pod_labels"]["vllm-migration/model-cache"] == "model-cache"
    assert minilm["policy_ports"] == [8080, 8443]
    # the dashboard lists both objects; exposed, OpenShift AI makes the InferenceService's Route
    assert minilm["runtime_labels"] == dict(minilm["labels"], **{"opendatahub.io/dashboard": "true"})
    assert minilm["inference_service_labels"] == dict(minilm["runtime_labels"],
                                                      **{"networking.kserve.io/visibility": "exposed"})
    (internal,) = plan(target="inferenceservice", expose=False)
    assert "networking.kserve.io/visibility" not in internal["inference_service_labels"]


@pytest.mark.parametrize("override, uri, model", [
    ({"model_claim": "caikit-models", "model_claim_path": "/minilm/artifacts/"}, "pvc://caikit-models/minilm/artifacts",
     "/mnt/models"),
    ({"model_claim": "caikit-models"}, "pvc://caikit-models", "/mnt/models"),
    ({"model_image": "quay.io/acme/minilm-modelcar:1"}, "oci://quay.io/acme/minilm-modelcar:1", "/mnt/models"),
    ({"model_image": "oci://quay.io/acme/minilm-modelcar:1"}, "oci://quay.io/acme/minilm-modelcar:1", "/mnt/models"),
    ({"model_path": "/models/hf/local/minilm"}, "pvc://model-cache/hf", "/mnt/models/local/minilm"),
])
def test_an_inference_service_reads_its_model_where_kserve_mounts_it(override, uri, model):
    (minilm,) = plan(target="inferenceservice", storage=CACHE, model_overrides={"minilm": override})
    assert minilm["storage_uri"] == uri
    assert minilm["args"][minilm["args"].index("--model") + 1] == model


def test_an_inference_service_without_a_cache_downloads_its_model_and_uses_no_storage_uri():
    (minilm,) = plan(target="inferenceservice")
    assert minilm["storage_uri"] == "" and minilm["policy_ports"] == [8080]
    assert minilm["args"][minilm["args"].index("--model") + 1] == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize("settings, message", [
    ({"target": "knative"}, "vllm_server_target must be one of deployment, inferenceservice"),
    ({"target": "inferenceservice", "model_overrides": {"minilm": {"model_image": "quay.io/a/b:1",
                                                                   "model_image_path": "/data"}}},
     "KServe serves an oci:// model from /models in the image, not from /data"),
    ({"target": "inferenceservice", "storage": CACHE, "model_overrides": {"minilm": {"model_path": "/elsewhere/m"}}},
     "model_path /elsewhere/m is outside the model cache's HF_HOME /models/hf"),
])
def test_an_inference_service_plan_that_cannot_work_is_refused(settings, message):
    with pytest.raises(PlanError) as raised:
        plan(**settings)
    assert message in str(raised.value)
    assert "vllm-minilm" in str(raised.value) or "target" in settings and settings["target"] != "inferenceservice"
