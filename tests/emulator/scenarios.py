# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The scenarios of the emulator tests: each a fresh emulator and a sequence of playbook runs.

Test modules receive a scenario through the fixture of the same name and read its steps.
"""

from __future__ import annotations

from harness import NAMESPACE, ROOT, pod_labels

# name -> (function(Scenario), emulator options); conftest.py makes a session fixture of each.
SCENARIOS = {}


def scenario(**emulator_options):
    """Register ``fn(sc)`` as a scenario run on an emulator made with ``emulator_options``."""
    def register(fn):
        SCENARIOS[fn.__name__] = (fn, emulator_options)
        return fn
    return register


OTHER_NAMESPACE = "team-rag"
API_KEY = "emulator-api-key-value"
HF_TOKEN = "hf_emulator_token_value"

# OpenShift: two models, everything optional switched on, values that need exact quoting.
OPENSHIFT_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "bge_reranker"],
    "vllm_migration_catalog": {"minilm": {"pooler_config": {"pooling_type": "MEAN", "normalize": True}}},
    "vllm_migration_api_key": API_KEY,
    "namespace_labels": {"team": "search"},
    "namespace_quota_hard": {"requests.nvidia.com/gpu": "2", "persistentvolumeclaims": "2"},
    "model_cache_prefetch": True,
    "model_cache_hf_token": HF_TOKEN,
    "model_cache_storage_class": "gp3-csi",
    "model_cache_size": "20Gi",
    "vllm_server_network_policy": True,
    "vllm_server_model_overrides": {"bge_reranker": {"gpu_memory_utilization": 0.5, "extra_args": ["--max-num-seqs", "64"]}},
    "vllm_server_node_selector": {"nvidia.com/gpu.present": "true"},
    # the consumers a later cutover repoints: their namespace must reach minilm's server
    "vllm_migration_cutover_consumers": {"minilm": [{"name": "rag-api", "namespace": "rag-prod"}]},
}

# Plain Kubernetes: a CPU image (gpu 0), Ingress with TLS, no prefetch, no API key.
KUBERNETES_VARS = {
    "vllm_migration_platform": "kubernetes",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["granite"],
    "vllm_migration_vllm_image": "registry.example.com/vllm/vllm-cpu:v0.32.0",
    "vllm_server_gpu": 0,
    "vllm_server_ingress_domain": "apps.example.com",
    "vllm_server_ingress_class": "nginx",
    "vllm_server_ingress_tls_secret": "vllm-tls",
    "vllm_server_network_policy": True,
}

# The servers of this scenario never become ready: the emulated Deployment controller reports
# ProgressDeadlineExceeded, and the seeded pods, events and logs say why.
DIAGNOSIS_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "msmarco"],
    "vllm_migration_vllm_image": "registry.example.com/vllm/vllm-openai:no-such-tag",
    "emulator_test_roles": ["vllm_server"],
}
CUDA_OOM_LOG = (
    "(APIServer pid=1) INFO 11-23 04:25:30 [api_server.py:1] vLLM API server version 0.32.0\n"
    "(EngineCore pid=80) ERROR 11-23 04:26:02 [core.py:700] EngineCore failed to start.\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 978.00 MiB. GPU 0 has a total capacity of 14.57 GiB\n")


def namespace(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def configmap(name, ns, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"team": "rag"}}, "data": {"k": "v"}}


@scenario()
def openshift(sc):
    sc.playbook("converge", "provision.yml", OPENSHIFT_VARS)
    sc.playbook("idempotence", "provision.yml", OPENSHIFT_VARS)
    # Changed settings in check mode: the roles must report the change and send only dry-run writes.
    sc.playbook("check_changed", "provision.yml",
                dict(OPENSHIFT_VARS, vllm_server_gpu_memory_utilization=0.4, namespace_labels={"team": "other"}),
                check=True)


@scenario()
def openshift_lifecycle(sc):
    sc.playbook("converge", "provision.yml", OPENSHIFT_VARS)
    # serial_models: one model's server removed, the rest stays.
    sc.playbook("remove_one", "remove.yml", dict(OPENSHIFT_VARS, vllm_server_remove_models=["bge_reranker"]))
    # Objects of someone else, one in another namespace with the same kinds and names as ours.
    sc.emulator.create("/api/v1/namespaces", namespace(OTHER_NAMESPACE))
    sc.emulator.create("/api/v1/namespaces/%s/configmaps" % OTHER_NAMESPACE, configmap("vllm-minilm", OTHER_NAMESPACE))
    sc.emulator.create("/api/v1/namespaces/%s/secrets" % OTHER_NAMESPACE, {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "vllm-api-key", "namespace": OTHER_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "Helm"}}})
    sc.record("seeded")
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml",
                {"vllm_migration_namespace": NAMESPACE, "vllm_migration_cleanup_namespaces": [NAMESPACE, OTHER_NAMESPACE],
                 "vllm_migration_cleanup_keep_model_cache": False})


@scenario()
def check_fresh(sc):
    sc.playbook("check", "provision.yml", OPENSHIFT_VARS, check=True)


@scenario(openshift=False)
def kubernetes(sc):
    # An Ingress with no API key and no proxy in front of /v1: refused by default, before anything is applied.
    sc.playbook("refused", "provision.yml", dict(KUBERNETES_VARS, vllm_server_allow_unauthenticated=False))
    sc.playbook("converge", "provision.yml", KUBERNETES_VARS)
    # Someone else's ConfigMap in the namespace the collection created: the namespace must stay.
    sc.emulator.create("/api/v1/namespaces/%s/configmaps" % NAMESPACE, configmap("rag-settings", NAMESPACE))
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml",
                {"vllm_migration_namespace": NAMESPACE, "vllm_migration_cleanup_keep_model_cache": False})


@scenario(deployment_rollout="deadline_exceeded")
def diagnosis(sc):
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE))
    pods = "/api/v1/namespaces/%s/pods" % NAMESPACE
    events = "/api/v1/namespaces/%s/events" % NAMESPACE
    # minilm: the image cannot be pulled.
    sc.emulator.create(pods, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "vllm-minilm-6d5c7b9f4-k2x8p", "namespace": NAMESPACE, "labels": pod_labels("minilm")},
        "spec": {"containers": [{"name": "vllm", "image": DIAGNOSIS_VARS["vllm_migration_vllm_image"]}]},
        "status": {"phase": "Pending",
                   "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": 0,
                                          "image": DIAGNOSIS_VARS["vllm_migration_vllm_image"],
                                          "state": {"waiting": {"reason": "ImagePullBackOff",
                                                                "message": "Back-off pulling image"}}}]}})
    sc.emulator.create(events, {
        "apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "Failed", "count": 4,
        "metadata": {"name": "vllm-minilm-6d5c7b9f4-k2x8p.1", "namespace": NAMESPACE},
        "involvedObject": {"kind": "Pod", "name": "vllm-minilm-6d5c7b9f4-k2x8p", "namespace": NAMESPACE},
        "message": 'Failed to pull image "%s": manifest unknown' % DIAGNOSIS_VARS["vllm_migration_vllm_image"]})
    # msmarco: the container starts and dies with CUDA out of memory (log of the previous container).
    sc.emulator.create(pods, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "vllm-msmarco-7f9b8c6d5-q4w7z", "namespace": NAMESPACE, "labels": pod_labels("msmarco")},
        "spec": {"containers": [{"name": "vllm", "image": DIAGNOSIS_VARS["vllm_migration_vllm_image"]}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
                   "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": 3,
                                          "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                          "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}})
    sc.emulator.create(events, {
        "apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "BackOff", "count": 3,
        "metadata": {"name": "vllm-msmarco-7f9b8c6d5-q4w7z.1", "namespace": NAMESPACE},
        "involvedObject": {"kind": "Pod", "name": "vllm-msmarco-7f9b8c6d5-q4w7z", "namespace": NAMESPACE},
        "message": "Back-off restarting failed container vllm"})
    # An event about an unrelated pod, which must not be taken as evidence.
    sc.emulator.create(events, {
        "apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "FailedScheduling",
        "metadata": {"name": "other.1", "namespace": NAMESPACE},
        "involvedObject": {"kind": "Pod", "name": "rag-indexer-0", "namespace": NAMESPACE},
        "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."})
    sc.emulator.set_options(pod_logs={(NAMESPACE, "vllm-msmarco-7f9b8c6d5-q4w7z", True): CUDA_OOM_LOG,
                                      (NAMESPACE, "vllm-msmarco-7f9b8c6d5-q4w7z", False): ""})
    sc.playbook("converge", "provision.yml", DIAGNOSIS_VARS)
