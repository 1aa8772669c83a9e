# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenarios of issue 12's guards: what is exposed and how (test_exposure.py), what is never adopted or deleted
(test_ownership.py), and rollouts that cannot heal ending the wait early (test_hopeless.py).

- ``auth_proxy``: OpenShift with the authenticating proxy, a served ServiceMonitor kind and the router's CA
  ConfigMap; then one model's server removed, then a cleanup with the default settings.
- ``foreign_objects``: a namespace of an earlier run holding a hand-made model cache claim, API key Secret
  and a Lease of someone else; a converge, then a cleanup over it and two more namespaces of ours.
- ``foreign_token``: a namespace of an earlier run holding a hand-made Hugging Face token Secret under the
  name the prefetch uses and a hand-made NetworkPolicy under the minilm server's name; a converge with a token given.
- ``hopeless``: Deployments that never report progress (no status), with pods in ImagePullBackOff and in a
  crash loop: the wait must end after its first round, not at the progress deadline.
- ``rollout_timeout``: a Deployment that never reports progress and has no pod: the wait must last its rounds
  (progress deadline / round + 1) and end without failing, the server recorded load_failed; then a run with
  vllm_server_wait false records it not_verified without waiting.
"""

from __future__ import annotations

import attrs

from harness import NAMESPACE, ROOT, pod_labels
from kube_emulator import ClusterEmulator, ROLLOUT_NONE
from scenarios import namespace, scenario

MANAGED = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration"}
API_KEY = "emulator-guard-api-key"
INGRESS_CA = "-----BEGIN CERTIFICATE-----\nMIIBemulatoringressca\n-----END CERTIFICATE-----\n"
CLIENTS = [{"kind": "ServiceAccount", "name": "rag-api", "namespace": "team-rag"}]

SERVICEMONITORS = {
    "monitoring.coreos.com/v1/servicemonitors": {
        "kind": "ServiceMonitor", "singular": "servicemonitor", "namespaced": True,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    },
}


EXTRA_PATHS = (("/api/v1", "configmaps/vllm-minilm-auth-proxy"),
               ("/apis/rbac.authorization.k8s.io/v1", "roles/vllm-minilm-client"),
               ("/apis/rbac.authorization.k8s.io/v1", "rolebindings/vllm-minilm-client"),
               ("/apis/monitoring.coreos.com/v1", "servicemonitors/vllm-minilm"),
               ("/api/v1", "serviceaccounts/vllm-auth-proxy"))


@attrs.define(kw_only=True)
class MonitoredClusterEmulator(ClusterEmulator):
    """An OpenShift API that also serves prometheus-operator's ServiceMonitor kind, as every OpenShift does."""

    EXTRA_RESOURCES = SERVICEMONITORS


PROXY_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "msmarco"],
    "vllm_migration_api_key": API_KEY,
    "vllm_server_auth_proxy": True,
    "vllm_server_auth_proxy_clients": CLIENTS,
    "vllm_server_gpu": 0,
}

# Nothing about the NetworkPolicy is set here: it must be there by default.
FOREIGN_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm"],
    "vllm_migration_api_key": API_KEY,
    "vllm_server_gpu": 0,
    "model_cache_prefetch": True,
}
TOKEN_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm"],
    "vllm_server_gpu": 0,
    "model_cache_prefetch": True,
    "model_cache_hf_token": "hf_token_that_must_not_be_written",
}
OURS_EMPTY = "vllm-emu-ours-empty"       # ours, holding only what the cluster puts everywhere: goes
OURS_LEASE = "vllm-emu-ours-lease"       # ours, holding someone's Lease (a kind no fixed list had): stays

HOPELESS_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "msmarco"],
    "vllm_server_gpu": 0,
    "emulator_test_roles": ["namespace"],
    # Without the early stop this wait would last 900 s.
    "vllm_server_progress_deadline": 900,
    "vllm_server_rollout_poll": 1,
    "vllm_server_rollout_round": 2,
}
NOT_CACHED_LOG = (
    "(APIServer pid=1) INFO 11-23 09:17:04 [api_utils.py:286] non-default args: {'model': 'cross-encoder/ms-marco-MiniLM-L12-v2'}\n"
    "(APIServer pid=1) pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig\n"
    "(APIServer pid=1)   Value error, Invalid repository ID or local directory specified: "
    "'cross-encoder/ms-marco-MiniLM-L12-v2'.\n")


def _create(sc, path, obj):
    return sc.emulator.create(path, obj)


def _foreign_claim():
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "vllm-model-cache", "namespace": NAMESPACE, "labels": {"team": "rag"},
                         "annotations": {"note": "filled by hand from the air-gapped copy"}},
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "80Gi"}},
                     "storageClassName": "cephfs"}}


def _foreign_secret():
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "vllm-api-key", "namespace": NAMESPACE, "labels": {"team": "rag"}},
            "data": {"api-key": "aGFuZC1tYWRlLWtleQ=="}}


def _foreign_token_secret():
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "vllm-migration-hf-token", "namespace": NAMESPACE, "labels": {"team": "rag"}},
            "data": {"token": "aGZfaGFuZF9tYWRl"}}


def _foreign_network_policy():
    """Someone's NetworkPolicy under the name of the minilm server's: owned_object leaves it as it is."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "vllm-minilm", "namespace": NAMESPACE, "labels": {"team": "rag"}},
            "spec": {"podSelector": {"matchLabels": {"app": "rag"}}, "policyTypes": ["Ingress"]}}


def _lease(ns):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "rag-indexer-leader", "namespace": ns},
            "spec": {"holderIdentity": "rag-indexer-0"}}


@scenario(emulator_class=MonitoredClusterEmulator)
def auth_proxy(sc):
    _create(sc, "/api/v1/namespaces", namespace("openshift-config-managed"))
    _create(sc, "/api/v1/namespaces/openshift-config-managed/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "default-ingress-cert", "namespace": "openshift-config-managed"},
        "data": {"ca-bundle.crt": INGRESS_CA}})
    variables = dict(PROXY_VARS, vllm_migration_ingress_ca_file=str(sc.workdir / "ingress-ca.crt"))
    sc.playbook("converge", "provision.yml", variables)
    sc.record("ingress_ca", ca=(sc.workdir / "ingress-ca.crt").read_text()
              if (sc.workdir / "ingress-ca.crt").exists() else None)
    # Kinds the harness's snapshot does not list, read while the emulator runs.
    sc.record("proxy_objects", extra={path: sc.emulator.request("GET", "%s/namespaces/%s/%s" % (prefix, NAMESPACE, path))[1]
                                      for prefix, path in EXTRA_PATHS})
    sc.playbook("remove_one", "remove.yml", dict(variables, vllm_server_remove_models=["msmarco"]))
    # Without cleanup settings: the model cache claim stays, and with it the namespace; the rest of ours goes,
    # whatever its kind (Role, RoleBinding, ServiceAccount, ServiceMonitor were never in a fixed list).
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml", {"vllm_migration_namespace": NAMESPACE})


@scenario()
def foreign_objects(sc):
    # A namespace an earlier run created (our label), already holding someone's claim, Secret and Lease.
    _create(sc, "/api/v1/namespaces", namespace(NAMESPACE, dict(MANAGED)))
    _create(sc, "/api/v1/namespaces/%s/persistentvolumeclaims" % NAMESPACE, _foreign_claim())
    _create(sc, "/api/v1/namespaces/%s/secrets" % NAMESPACE, _foreign_secret())
    _create(sc, "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % NAMESPACE, _lease(NAMESPACE))
    sc.record("seeded")
    sc.playbook("converge", "provision.yml", FOREIGN_VARS)
    # Two more namespaces of ours: one with only what a cluster puts everywhere, one with a foreign Lease.
    for name in (OURS_EMPTY, OURS_LEASE):
        _create(sc, "/api/v1/namespaces", namespace(name, dict(MANAGED)))
        _create(sc, "/api/v1/namespaces/%s/configmaps" % name, {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": name},
            "data": {"ca.crt": "x"}})
        _create(sc, "/api/v1/namespaces/%s/serviceaccounts" % name, {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}})
    _create(sc, "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % OURS_LEASE, _lease(OURS_LEASE))
    sc.record("before_cleanup")
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml",
                {"vllm_migration_namespace": NAMESPACE, "vllm_migration_cleanup_keep_model_cache": False,
                 "vllm_migration_cleanup_namespaces": [NAMESPACE, OURS_EMPTY, OURS_LEASE]})


@scenario()
def foreign_token(sc):
    _create(sc, "/api/v1/namespaces", namespace(NAMESPACE, dict(MANAGED)))
    _create(sc, "/api/v1/namespaces/%s/secrets" % NAMESPACE, _foreign_token_secret())
    _create(sc, "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies" % NAMESPACE, _foreign_network_policy())
    sc.record("seeded")
    sc.playbook("converge", "provision.yml", TOKEN_VARS)


@scenario(deployment_rollout=ROLLOUT_NONE)
def hopeless(sc):
    _create(sc, "/api/v1/namespaces", namespace(NAMESPACE))
    pods = "/api/v1/namespaces/%s/pods" % NAMESPACE
    image = "registry.example.com/vllm/vllm-openai:no-such-tag"
    _create(sc, pods, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "vllm-minilm-6d5c7b9f4-k2x8p", "namespace": NAMESPACE, "labels": pod_labels("minilm")},
        "spec": {"nodeName": "gpu-worker-1", "containers": [{"name": "vllm", "image": image}]},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": 0, "image": image,
                                          "state": {"waiting": {"reason": "ImagePullBackOff",
                                                                "message": 'Back-off pulling image "%s"' % image}}}]}})
    _create(sc, pods, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "vllm-msmarco-7f9b8c6d5-q4w7z", "namespace": NAMESPACE, "labels": pod_labels("msmarco")},
        "spec": {"nodeName": "gpu-worker-1", "containers": [{"name": "vllm", "image": image}]},
        "status": {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": 5,
                                          "state": {"waiting": {"reason": "CrashLoopBackOff",
                                                                "message": "back-off 5m0s restarting failed container"}},
                                          "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}})
    sc.emulator.set_options(pod_logs={(NAMESPACE, "vllm-msmarco-7f9b8c6d5-q4w7z", True): NOT_CACHED_LOG,
                                      (NAMESPACE, "vllm-msmarco-7f9b8c6d5-q4w7z", False): ""})
    sc.playbook("converge", "provision.yml", HOPELESS_VARS)


TIMEOUT_VARS = dict(HOPELESS_VARS, vllm_migration_models=["minilm"], vllm_server_progress_deadline=4)


@scenario(deployment_rollout=ROLLOUT_NONE)
def rollout_timeout(sc):
    _create(sc, "/api/v1/namespaces", namespace(NAMESPACE))
    sc.playbook("converge", "provision.yml", TIMEOUT_VARS)
    # vllm_server_wait false: nothing is awaited or read, the model is recorded not_verified.
    sc.playbook("no_wait", "provision.yml", dict(TIMEOUT_VARS, vllm_server_wait=False))
