# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Model storage: placement shared by the servers and the prefetch Job, RWO affinity, read-only mounts,
RWX, OCI model images (modelcar, image volume), another claim, and the prefetch Job's name and re-runs."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import PlanError, server_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import (
    CACHE_POD_LABEL, StoragePlanError, claim_access_mode, name_by_template, pod_placement, prefetch_job_action,
    prefetch_repos, server_storage)

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
PLACEMENT = {"node_selector": {"nvidia.com/gpu.present": "true"},
             "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ai", "effect": "NoSchedule"}],
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                 {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]}]}}}}
SAME_NODE = {"labelSelector": {"matchLabels": {CACHE_POD_LABEL: "vllm-model-cache"}},
             "topologyKey": "kubernetes.io/hostname"}
STORAGE = {"claim": "vllm-model-cache", "access_mode": "ReadWriteOnce", "mount_path": "/models", "hf_home": "/models/hf"}


def plan(keys=("minilm", "granite"), storage=None, overrides=None, catalog=None, **settings):
    base = {"platform": "openshift", "namespace": "ns", "image": "docker.io/vllm/vllm-openai:v0.32.0", "gpu": 1,
            "gpu_tolerations": [GPU_TOLERATION], "command": ["vllm", "serve"],
            "node_selector": PLACEMENT["node_selector"], "tolerations": PLACEMENT["tolerations"],
            "affinity": PLACEMENT["affinity"], "storage": dict(STORAGE, **(storage or {})),
            "model_overrides": overrides or {}}
    return server_plan(resolve_models(catalog or {}, list(keys)), dict(base, **settings))


def test_the_job_and_the_servers_share_one_placement_and_rwo_adds_the_same_node_affinity():
    job = pod_placement(PLACEMENT, "vllm-model-cache", "ReadWriteOnce", [GPU_TOLERATION])
    for server in plan():
        assert server["node_selector"] == job["node_selector"] == PLACEMENT["node_selector"]
        assert server["tolerations"] == job["tolerations"] == PLACEMENT["tolerations"] + [GPU_TOLERATION]
        assert server["affinity"] == job["affinity"]
        assert server["affinity"]["nodeAffinity"] == PLACEMENT["affinity"]["nodeAffinity"]
        assert server["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [SAME_NODE]
        # The pods carry the label the term selects (the first pod matches its own term).
        assert server["pod_labels"][CACHE_POD_LABEL] == job["labels"][CACHE_POD_LABEL] == "vllm-model-cache"
        assert CACHE_POD_LABEL not in server["labels"]  # the Deployment's own labels and selector stay as they were
    assert PLACEMENT["affinity"].get("podAffinity") is None  # the user's setting is not modified


@pytest.mark.parametrize("mode", ["ReadWriteMany", "ReadOnlyMany"])
def test_shared_access_modes_need_no_affinity(mode):
    for server in plan(storage={"access_mode": mode}):
        assert "podAffinity" not in server["affinity"]
        assert server["storage"]["volumes"] == [{"name": "model-cache", "persistentVolumeClaim": {
            "claimName": "vllm-model-cache", "readOnly": True}}]


def test_servers_mount_the_cache_read_only_and_read_it_offline():
    server = plan(("minilm",))[0]
    storage = server["storage"]
    assert storage["source"] == "cache" and storage["claim"] == "vllm-model-cache"
    assert storage["mounts"] == [{"name": "model-cache", "mountPath": "/models", "readOnly": True}]
    assert storage["volumes"][0]["persistentVolumeClaim"]["readOnly"] is True
    assert storage["hf_home"] == "/models/hf" and storage["offline"] is True
    # vllm serve: the Hugging Face id positionally.
    assert server["command"] == ["vllm", "serve"]
    assert server["args"][:3] == ["sentence-transformers/all-MiniLM-L6-v2", "--runner", "pooling"]
    assert "--model" not in server["args"]


def test_without_a_claim_the_server_downloads_at_start():
    (server,) = plan(("minilm",), storage={"claim": ""})
    assert server["storage"]["source"] == "download" and server["storage"]["volumes"] == []
    assert server["storage"]["offline"] is False and server["storage"]["hf_home"] == "/cache/hf"
    assert "podAffinity" not in server["affinity"]


def test_a_modelcar_image_runs_as_a_native_sidecar_and_the_server_reads_mnt_models():
    (server,) = plan(("granite",), overrides={"granite": {"model_image": "quay.io/rag/granite-modelcar:1.0"}})
    storage = server["storage"]
    assert storage["source"] == "modelcar" and storage["share_process_namespace"] is True
    (sidecar,) = storage["sidecars"]
    assert sidecar["image"] == "quay.io/rag/granite-modelcar:1.0" and sidecar["restartPolicy"] == "Always"
    assert sidecar["command"][-1] == "ln -sfn /proc/$$/root/models /mnt/models && exec sleep infinity"
    assert sidecar["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert sidecar["startupProbe"]["exec"]["command"] == ["sh", "-c", "test -e /mnt/models/"]
    assert server["args"][0] == "/mnt/models" and storage["offline"] is True
    # It does not mount the model cache, so it needs no same-node affinity.
    assert storage["claim"] == "" and "podAffinity" not in server["affinity"]


def test_an_image_volume_and_a_folder_on_another_claim():
    image, claim = plan(("minilm", "granite"), overrides={
        "minilm": {"model_image": "quay.io/rag/minilm:1", "model_image_mode": "image_volume"},
        "granite": {"model_claim": "team-models", "model_claim_path": "/granite/"}})
    assert image["storage"]["volumes"] == [{"name": "model-image", "image": {
        "reference": "quay.io/rag/minilm:1", "pullPolicy": "IfNotPresent"}}]
    assert image["storage"]["mounts"] == [{"name": "model-image", "mountPath": "/mnt/model-image", "readOnly": True}]
    assert image["args"][0] == "/mnt/model-image/models"
    assert claim["storage"]["volumes"] == [{"name": "model-files", "persistentVolumeClaim": {
        "claimName": "team-models", "readOnly": True}}]
    assert claim["storage"]["mounts"] == [{"name": "model-files", "mountPath": "/mnt/models", "readOnly": True,
                                           "subPath": "granite"}]
    assert claim["args"][0] == "/mnt/models"


def test_the_model_source_may_live_in_the_catalog_and_is_not_prefetched():
    catalog = {"granite": {"model_image": "quay.io/rag/granite-modelcar:1.0"}}
    minilm, granite = plan(catalog=catalog)
    assert granite["storage"]["source"] == "modelcar" and minilm["storage"]["source"] == "cache"
    entries = resolve_models(dict(catalog, local={"model": "/models/plain/x", "kind": "embedding"}),
                             ["minilm", "granite", "local", "minilm"])
    assert prefetch_repos(entries) == ["sentence-transformers/all-MiniLM-L6-v2"]


@pytest.mark.parametrize("override,message", [
    ({"model_image": "a", "model_claim": "b"}, r"model_image \(a\) and model_claim \(b\) are both set.*keep one"),
    ({"model_image": "a", "model_image_mode": "csi"}, "model_image_mode must be one of"),
    ({"model_claim": "b", "model_path": "/models/x"}, "model_path is a path in the model cache"),
])
def test_contradictory_model_sources_are_refused_by_name(override, message):
    with pytest.raises(PlanError, match="vllm-minilm.*minilm.*" + message):
        plan(("minilm",), overrides={"minilm": override})


def test_a_read_write_once_pod_claim_serves_one_pod_only():
    (one,) = plan(("minilm",), storage={"access_mode": "ReadWriteOncePod"})
    assert "podAffinity" not in one["affinity"]
    with pytest.raises(PlanError, match="ReadWriteOncePod.*2 server pods.*minilm, granite"):
        plan(storage={"access_mode": "ReadWriteOncePod"})
    with pytest.raises(PlanError, match="access mode must be one of"):
        plan(storage={"access_mode": "RWO"})


def test_bad_placement_keys_are_named():
    with pytest.raises(StoragePlanError, match="unknown keys nodeSelector"):
        pod_placement({"nodeSelector": {}})


def test_claim_access_mode_prefers_what_pods_can_share():
    assert claim_access_mode({"resources": []}, "ReadWriteOnce") == "ReadWriteOnce"
    assert claim_access_mode({"resources": [{"spec": {"accessModes": ["ReadWriteOnce", "ReadWriteMany"]}}]}) == "ReadWriteMany"
    assert claim_access_mode({"spec": {"accessModes": ["ReadWriteOncePod"]}}) == "ReadWriteOncePod"


def test_server_storage_defaults_without_settings():
    assert server_storage("minilm")["source"] == "download"


# --- the prefetch Job ---------------------------------------------------------------------------------

JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"},
       "spec": {"ttlSecondsAfterFinished": 86400, "template": {"spec": {"containers": [{"image": "a"}]}}}}
MANAGED = {"app.kubernetes.io/managed-by": "vllm_pooling.migration"}


def test_the_job_is_named_after_its_pod_template_only():
    named = name_by_template(JOB, "vllm-model-cache-prefetch")
    assert named["metadata"]["name"].startswith("vllm-model-cache-prefetch-") and len(named["metadata"]["name"]) == 34
    assert JOB["metadata"]["name"] == "x"
    other_ttl = dict(JOB, spec=dict(JOB["spec"], ttlSecondsAfterFinished=60))
    assert name_by_template(other_ttl, "p")["metadata"]["name"] == name_by_template(JOB, "p")["metadata"]["name"]
    other_image = dict(JOB, spec={"template": {"spec": {"containers": [{"image": "b"}]}}})
    assert name_by_template(other_image, "p")["metadata"]["name"] != name_by_template(JOB, "p")["metadata"]["name"]


def job(status, labels=None):
    return {"resources": [{"metadata": {"name": "j", "labels": MANAGED if labels is None else labels}, "status": status}]}


@pytest.mark.parametrize("lookup,action,state", [
    ({"resources": []}, "create", "none"),
    (job({"active": 1}), "keep", "running"),
    (job({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}), "keep", "complete"),
    (job({"failed": 3, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}),
     "replace", "failed"),
    (job({"succeeded": 1}, labels={"team": "rag"}), "foreign", "foreign"),
])
def test_a_failed_prefetch_job_is_replaced_and_a_foreign_one_never_touched(lookup, action, state):
    decided = prefetch_job_action(lookup, MANAGED)
    assert (decided["action"], decided["state"]) == (action, state)
    if action == "replace":
        assert "BackoffLimitExceeded" in decided["reason"] and "3 failed" in decided["reason"]
