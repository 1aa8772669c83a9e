# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cluster side of the cutover: what is sent, saved and restored for each strategy.

Every restore is checked by applying the patches with an RFC 7386 merge (what kubernetes.core sends
with merge_type merge, and what the API server applies) and comparing with the object before.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import CUTOVER_STATE_SCHEMA

# The RFC 7386 merge the emulator applies, as the API server applies an application/merge-patch+json body.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "emulator"))
from kube_emulator import merge_patch as merge  # noqa: E402

NS = "rag"
OURS = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration"}
RECORD = {"schema": "vllm_pooling.migration/endpoint-record/v1", "model": "bge_reranker", "model_name": "BAAI/bge-reranker-v2-m3",
          "served_name": "bge_reranker", "kind": "reranker", "backend": "vllm", "url": "https://vllm-bge.apps.example",
          "api": "openai", "decided_at": "2026-11-24T10:00:00Z", "report_digest": "sha256:ab"}
TARGET = {"key": "minilm", "model": "sentence-transformers/all-MiniLM-L6-v2", "served_name": "minilm",
          "kind": "embedding", "url": "https://vllm-minilm.apps.example", "image": "img", "server": "vllm-minilm",
          "namespace": NS, "platform": "openshift", "api": "openai", "backend": "vllm"}


def configmap(name, data, labels=None, annotations=None):
    metadata = {"name": name, "namespace": NS, "labels": labels or {}}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def deployment(name, containers, replicas=2, **metadata):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dict({"name": name, "namespace": NS}, **metadata),
            "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}}}


def route(to, alternates=None, annotations=None):
    spec = {"host": "rag.apps.example", "tls": {"termination": "edge"}, "to": to}
    if alternates is not None:
        spec["alternateBackends"] = alternates
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "rag", "namespace": NS, "annotations": annotations or {"team": "rag"}}, "spec": spec}


def service(name="vllm-minilm", key="minilm", labels=None):
    if labels is None:
        labels = dict(OURS, **{"app.kubernetes.io/component": "vllm-server", "vllm-migration/model": key})
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS, "labels": labels}}


def state(**fields):
    return dict({"schema": CUTOVER_STATE_SCHEMA, "model": "minilm", "strategy": "endpoint_record", "status": "cut_over",
                 "previous": {"exists": False}, "cut_over_at": "2026-11-20T10:00:00Z", "rolled_back_at": ""}, **fields)


# --- endpoint record ---------------------------------------------------------------------------


def test_record_configmap_holds_the_record_and_flat_keys_for_env_from():
    body = cc.record_configmap(RECORD, NS)
    assert body["metadata"]["name"] == "vllm-endpoint-bge-reranker"
    assert json.loads(body["data"]["endpoint.json"]) == RECORD
    assert {k: v for k, v in body["data"].items() if k != "endpoint.json"} == {
        "VLLM_MIGRATION_BACKEND": "vllm", "VLLM_MIGRATION_URL": "https://vllm-bge.apps.example",
        "VLLM_MIGRATION_API": "openai", "VLLM_MIGRATION_MODEL": "bge_reranker"}
    assert OURS.items() <= body["metadata"]["labels"].items()
    assert body["metadata"]["labels"]["vllm-migration/model"] == "bge_reranker"


def test_record_configmap_of_someone_else_gets_data_but_not_our_labels():
    theirs = configmap("vllm-endpoint-bge-reranker", {"VLLM_MIGRATION_URL": "http://caikit"}, {"team": "rag"})
    body = cc.record_configmap(RECORD, NS, {"resources": [theirs]})
    assert "labels" not in body["metadata"]  # labelled ours, cleanup would delete it


def test_record_configmap_refuses_an_immutable_one_and_a_missing_namespace():
    with pytest.raises(cc.CutoverClusterError, match="immutable"):
        cc.record_configmap(RECORD, NS, dict(configmap("x", {}), immutable=True))
    with pytest.raises(cc.CutoverClusterError, match="bge_reranker.*cutover_namespace"):
        cc.record_configmap(RECORD, "")


def test_record_restore_of_an_absent_configmap_deletes_only_ours():
    previous = cc.configmap_snapshot({"resources": []}, "vllm-endpoint-minilm", NS)
    assert previous == {"kind": "ConfigMap", "name": "vllm-endpoint-minilm", "namespace": NS, "exists": False}
    ours = cc.record_configmap(dict(RECORD, model="minilm"), NS)
    assert cc.configmap_restore(previous, ours)["action"] == "delete"
    theirs = configmap("vllm-endpoint-minilm", {"a": "b"}, {"team": "rag"})
    assert cc.configmap_restore(previous, theirs)["action"] == "keep"
    assert cc.configmap_restore(previous, {"resources": []})["action"] == "none"


def test_record_restore_of_an_existing_configmap_is_exact_and_then_a_no_op():
    before = configmap("vllm-endpoint-minilm", {"VLLM_MIGRATION_URL": "http://caikit:8080", "extra": "kept"},
                       {"team": "rag"}, {"note": "by hand"})
    previous = cc.configmap_snapshot(before, "vllm-endpoint-minilm", NS)
    after = merge(before, cc.record_configmap(dict(RECORD, model="minilm"), NS, before))
    after["metadata"].setdefault("annotations", {})["added"] = "later"
    restore = cc.configmap_restore(previous, after)
    assert restore["action"] == "patch"
    restored = merge(after, restore["body"])
    assert restored["data"] == before["data"]
    assert restored["metadata"]["labels"] == before["metadata"]["labels"]
    assert restored["metadata"]["annotations"] == before["metadata"]["annotations"]
    assert cc.configmap_restore(previous, restored)["action"] == "none"


def test_record_restore_recreates_a_configmap_deleted_since():
    before = configmap("vllm-endpoint-minilm", {"k": "v"}, {"team": "rag"})
    restore = cc.configmap_restore(cc.configmap_snapshot(before, "vllm-endpoint-minilm", NS), None)
    assert restore["action"] == "patch" and restore["body"]["data"] == {"k": "v"}


# --- state -------------------------------------------------------------------------------------


def test_state_round_trips_through_its_configmap():
    saved = state()
    body = cc.state_configmap(saved, NS)
    assert body["metadata"]["name"] == "vllm-cutover-minilm"
    assert cc.state_from_configmap({"resources": [dict(body, metadata=dict(body["metadata"]))]}, "minilm") == saved
    assert cc.state_from_configmap({"resources": []}, "minilm") == {}


@pytest.mark.parametrize("data, labels, match", [
    ({"state.json": "{}"}, {"team": "x"}, "not created by this collection"),
    ({"state.json": "{oops"}, OURS, "not JSON"),
    ({"state.json": json.dumps(dict(state(), model="granite"))}, OURS, "does not hold .* of 'minilm'"),
    ({}, OURS, "does not hold"),
])
def test_state_that_is_not_ours_or_not_valid_is_refused_with_the_configmap_named(data, labels, match):
    with pytest.raises(cc.CutoverClusterError, match=match) as err:
        cc.state_from_configmap(configmap("vllm-cutover-minilm", data, labels), "minilm")
    assert "rag/vllm-cutover-minilm" in str(err.value)


def test_state_configmap_refuses_a_document_that_is_not_a_state():
    with pytest.raises(cc.CutoverClusterError, match="not a .*cutover-state"):
        cc.state_configmap({"model": "minilm"}, NS)


def test_names_follow_the_catalog_key():
    assert cc.record_configmap_name("bge_reranker") == "vllm-endpoint-bge-reranker"
    with pytest.raises(cc.CutoverClusterError, match="not a valid object name"):
        cc.state_configmap_name("a b")


# --- consumer env ------------------------------------------------------------------------------


CONSUMER_ENV = [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "EMB_URL", "valueFrom": {"configMapKeyRef": {"name": "rag", "key": "url"}}},
                {"name": "EMB_API", "value": "caikit"}]


def _consumers(**env):
    return cc.consumer_list([{"name": "rag-api", "container": "api", "env": env or
                              {"url": "EMB_URL", "api": "EMB_API", "model": "EMB_MODEL"}}], "minilm", NS)


def test_consumer_list_completes_defaults_and_refuses_bad_entries():
    assert cc.consumer_list(["rag-api"], "minilm", NS) == [{"name": "rag-api", "namespace": NS, "container": "",
                                                            "env": dict(cc.DEFAULT_ENV_NAMES),
                                                            "api_key_secret": None, "ca_configmap": None}]
    with pytest.raises(cc.CutoverClusterError, match="cutover_consumers.minilm"):
        cc.consumer_list([], "minilm", NS)
    with pytest.raises(cc.CutoverClusterError, match="unknown env fields"):
        cc.consumer_list([{"name": "a", "env": {"host": "X"}}], "minilm", NS)
    with pytest.raises(cc.CutoverClusterError, match="listed twice"):
        cc.consumer_list(["a", "a"], "minilm", NS)
    with pytest.raises(cc.CutoverClusterError, match="valid variable"):
        cc.consumer_list([{"name": "a", "env": {"url": "1BAD", "api": "", "model": ""}}], "minilm", NS)


def test_consumer_env_patch_and_restore_are_exact_including_value_from_and_absent_vars():
    before = deployment("rag-api", [{"name": "sidecar", "image": "s"},
                                    {"name": "api", "image": "a", "env": copy.deepcopy(CONSUMER_ENV)}])
    consumers = _consumers()
    snapshot = cc.consumer_env_snapshot([{"resources": [before]}], consumers)
    assert snapshot["consumers"][0]["env"] == {"EMB_URL": CONSUMER_ENV[1], "EMB_API": CONSUMER_ENV[2], "EMB_MODEL": None}
    (patch,) = cc.consumer_env_patches([before], consumers, dict(TARGET, model="minilm"))
    after = merge(before, patch)
    api = after["spec"]["template"]["spec"]["containers"][1]
    assert api["env"] == [{"name": "LOG_LEVEL", "value": "info"},
                          {"name": "EMB_URL", "value": "https://vllm-minilm.apps.example"},
                          {"name": "EMB_API", "value": "openai"}, {"name": "EMB_MODEL", "value": "minilm"}]
    assert after["spec"]["template"]["spec"]["containers"][0] == before["spec"]["template"]["spec"]["containers"][0]
    assert after["spec"]["replicas"] == 2
    # a second cutover sends the same containers: no change
    assert merge(after, cc.consumer_env_patches([after], consumers, TARGET)[0]) == after
    restore = cc.consumer_env_restores([after], snapshot)
    assert restore["problems"] == []
    assert merge(after, restore["patches"][0]) == before
    assert cc.consumer_env_restores([before], snapshot) == {"patches": [], "problems": []}


def test_consumer_env_restore_removes_the_env_list_it_created():
    before = deployment("rag-api", [{"name": "api", "image": "a"}])
    consumers = cc.consumer_list(["rag-api"], "minilm", NS)
    snapshot = cc.consumer_env_snapshot([before], consumers)
    after = merge(before, cc.consumer_env_patches([before], consumers, TARGET)[0])
    assert len(after["spec"]["template"]["spec"]["containers"][0]["env"]) == 3
    restored = merge(after, cc.consumer_env_restores([after], snapshot)["patches"][0])
    assert restored == before


CA_VOLUME = {"name": "vllm-migration-ca", "configMap": {"name": "vllm-ca", "items": [{"key": "service-ca.crt", "path": "ca.crt"}]}}


def _secured(**extra):
    return cc.consumer_list([dict({"name": "rag-api", "container": "api",
                                   "env": {"url": "EMB_URL", "api": "", "model": "", "api_key": "OPENAI_API_KEY",
                                           "ca_file": "SSL_CERT_FILE"},
                                   "api_key_secret": {"name": "vllm-key"},
                                   "ca_configmap": {"name": "vllm-ca", "key": "service-ca.crt"}}, **extra)], "minilm", NS)


SOURCES = [{"secret": {"metadata": {"name": "vllm-key"}, "data": {"api-key": "c2VjcmV0"}},
            "configmap": {"metadata": {"name": "vllm-ca"}, "data": {"service-ca.crt": "-----BEGIN CERTIFICATE-----"}}}]


def test_consumer_env_gives_the_key_from_a_secret_and_the_ca_as_a_mounted_file_and_restores_both_exactly():
    other_volume = {"name": "cache", "emptyDir": {}}
    before = deployment("rag-api", [{"name": "api", "image": "a", "env": copy.deepcopy(CONSUMER_ENV),
                                     "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}])
    before["spec"]["template"]["spec"]["volumes"] = [other_volume]
    consumers = _secured()
    assert consumers[0]["api_key_secret"] == {"name": "vllm-key", "key": "api-key"}  # the vLLM role's key name
    snapshot = cc.consumer_env_snapshot([before], consumers)
    assert snapshot["consumers"][0]["ca_volume"] is None and snapshot["consumers"][0]["ca_mount"] is None
    assert snapshot["consumers"][0]["env"]["OPENAI_API_KEY"] is None
    (patch,) = cc.consumer_env_patches([before], consumers, dict(TARGET, model="minilm"), SOURCES)
    after = merge(before, patch)
    pod = after["spec"]["template"]["spec"]
    (api,) = pod["containers"]
    env = {e["name"]: e for e in api["env"]}
    # the key never appears as a value: the pod reads it from the Secret in its own namespace
    assert env["OPENAI_API_KEY"] == {"name": "OPENAI_API_KEY",
                                     "valueFrom": {"secretKeyRef": {"name": "vllm-key", "key": "api-key"}}}
    assert "c2VjcmV0" not in str(patch)
    assert env["SSL_CERT_FILE"] == {"name": "SSL_CERT_FILE", "value": "/etc/vllm-migration/ca/ca.crt"}
    assert pod["volumes"] == [other_volume, CA_VOLUME]
    assert api["volumeMounts"] == [{"name": "cache", "mountPath": "/cache"},
                                   {"name": "vllm-migration-ca", "mountPath": "/etc/vllm-migration/ca", "readOnly": True}]
    # again: nothing changes; rollback: exactly what was there, volumes and mounts included
    assert merge(after, cc.consumer_env_patches([after], consumers, TARGET, SOURCES)[0]) == after
    restore = cc.consumer_env_restores([after], snapshot)
    assert merge(after, restore["patches"][0]) == before
    # a pod with no volumes of its own gets its volumes field removed again
    bare = deployment("rag-api", [{"name": "api", "image": "a"}])
    bare_after = merge(bare, cc.consumer_env_patches([bare], consumers, TARGET, SOURCES)[0])
    restored = merge(bare_after, cc.consumer_env_restores([bare_after], cc.consumer_env_snapshot([bare], consumers))["patches"][0])
    assert restored == bare


def test_consumer_env_refuses_missing_secrets_configmaps_keys_and_dangling_variables_before_any_patch():
    before = deployment("rag-api", [{"name": "api", "image": "a"}])
    consumers = _secured()
    with pytest.raises(cc.CutoverClusterError) as caught:
        cc.consumer_env_patches([before], consumers, dict(TARGET, model="minilm"), [{"secret": None, "configmap": {
            "metadata": {"name": "vllm-ca"}, "data": {"ca-bundle.crt": "x"}}}])
    message = str(caught.value)
    assert "model 'minilm'" in message and "Secret rag/vllm-key" in message and "does not exist" in message
    assert "oc create secret generic vllm-key -n rag --from-literal=api-key=" in message
    assert "ConfigMap rag/vllm-ca" in message and "has no key service-ca.crt (it has ca-bundle.crt)" in message
    with pytest.raises(cc.CutoverClusterError, match="env.api_key names a variable but no api_key_secret"):
        cc.consumer_list([{"name": "a", "env": {"api_key": "OPENAI_API_KEY"}}], "minilm", NS)
    with pytest.raises(cc.CutoverClusterError, match="ca_configmap must be"):
        _secured(ca_configmap={"name": "Not_A_Name"})
    # without a source the credential variables are left alone
    assert "api_key" not in cc.consumer_list(["a"], "minilm", NS)[0]["env"]


def test_consumer_env_refuses_missing_deployments_and_ambiguous_containers():
    consumers = cc.consumer_list(["rag-api"], "minilm", NS)
    with pytest.raises(cc.CutoverClusterError, match="rag/rag-api does not exist"):
        cc.consumer_env_snapshot([{"resources": []}], consumers)
    two = deployment("rag-api", [{"name": "a"}, {"name": "b"}])
    with pytest.raises(cc.CutoverClusterError, match="2 containers: name the one"):
        cc.consumer_env_snapshot([two], consumers)
    with pytest.raises(cc.CutoverClusterError, match="no container 'api'"):
        cc.consumer_env_snapshot([two], _consumers())
    snapshot = {"consumers": [{"name": "rag-api", "namespace": NS, "container": "api", "env": {"X": None}}]}
    assert "no longer exists" in cc.consumer_env_restores([None], snapshot)["problems"][0]


# --- route weights -----------------------------------------------------------------------------


def test_route_plan_steps_from_the_old_service_to_vllm_with_roundrobin():
    previous = cc.route_snapshot(route({"kind": "Service", "name": "vllm-old", "weight": 100}), "rag", NS)
    assert cc.route_url(previous) == "https://rag.apps.example"
    plan = cc.route_weight_plan(previous, service(), TARGET)
    assert [step["percent"] for step in plan] == [10, 50, 100]
    assert [(s["body"]["spec"]["to"]["weight"], s["body"]["spec"]["alternateBackends"][0]["weight"]) for s in plan] == [
        (90, 10), (50, 50), (0, 100)]
    assert all(s["body"]["spec"]["alternateBackends"][0]["name"] == "vllm-minilm" for s in plan)
    assert plan[0]["body"]["metadata"]["annotations"] == {"haproxy.router.openshift.io/balance": "roundrobin"}


def test_route_plan_resumes_after_the_step_the_route_is_at_and_is_empty_when_done():
    before = route({"kind": "Service", "name": "vllm-old"})
    previous = cc.route_snapshot(before, "rag", NS)
    plan = cc.route_weight_plan(previous, service(), TARGET)
    assert cc.route_weight_plan(previous, service(), TARGET, current=before) == plan
    at_50 = merge(merge(before, plan[0]["body"]), plan[1]["body"])
    assert [s["percent"] for s in cc.route_weight_plan(previous, service(), TARGET, current=at_50)] == [100]
    done = merge(at_50, plan[2]["body"])
    assert cc.route_weight_plan(previous, service(), TARGET, current={"resources": [done]}) == []


def test_route_restore_is_exact_then_a_no_op():
    before = route({"kind": "Service", "name": "vllm-old"})
    previous = cc.route_snapshot(before, "rag", NS)
    after = before
    for step in cc.route_weight_plan(previous, service(), TARGET):
        after = merge(after, step["body"])
    restore = cc.route_restore(previous, after)
    assert restore["action"] == "patch"
    restored = merge(after, restore["body"])
    assert restored["spec"] == before["spec"]
    assert restored["metadata"]["annotations"] == before["metadata"]["annotations"]
    assert cc.route_restore(previous, restored)["action"] == "none"
    assert cc.route_restore(previous, {"resources": []})["action"] == "missing"


def test_route_restore_keeps_an_explicit_balance_and_empty_alternates():
    before = route({"kind": "Service", "name": "vllm-old", "weight": 5}, [], {"haproxy.router.openshift.io/balance": "leastconn"})
    previous = cc.route_snapshot(before, "rag", NS)
    after = merge(before, cc.route_weight_plan(previous, service(), TARGET)[0]["body"])
    restored = merge(after, cc.route_restore(previous, after)["body"])
    assert restored == before


@pytest.mark.parametrize("current, svc, target, match", [
    (route({"kind": "Service", "name": "vllm-minilm"}), service(), TARGET, "already sends its traffic"),
    (route({"kind": "Service", "name": "old"}, [{"kind": "Service", "name": "canary", "weight": 5}]), service(), TARGET,
     "already splits traffic with canary"),
    (route({"kind": "Service", "name": "old"}), None, TARGET, "does not exist: provision"),
    (route({"kind": "Service", "name": "old"}), service(labels={"app": "x"}), TARGET, "not a vLLM server this collection"),
    (route({"kind": "Service", "name": "old"}), service(key="granite"), TARGET, "not a vLLM server"),
    (route({"kind": "Service", "name": "old"}), service(), dict(TARGET, namespace="other"), "not in the Route's namespace"),
    (route({"kind": "Service", "name": "old"}), service(), dict(TARGET, api="caikit"), "not an OpenAI-compatible"),
    (route({"kind": "Deployment", "name": "old"}), service(), TARGET, "not send its traffic to a Service"),
])
def test_route_plan_refuses_with_the_reason(current, svc, target, match):
    with pytest.raises(cc.CutoverClusterError, match=match):
        cc.route_weight_plan(cc.route_snapshot(current, "rag", NS), svc, target)


def test_route_steps_and_split_validation():
    assert cc.route_steps(["25", 100]) == [25, 100]
    for bad in ([10, 50], [50, 10, 100], [0, 100], [], ["x"]):
        with pytest.raises(cc.CutoverClusterError, match="cutover_route_steps"):
            cc.route_steps(bad)
    spec = {"to": {"kind": "Service", "name": "a", "weight": 257},
            "alternateBackends": [{"kind": "Service", "name": n, "weight": 1} for n in "bcda"]}
    problems = " ".join(cc.validate_route_spec(spec))
    assert "4 alternateBackends" in problems and "weight 257" in problems and "twice" in problems
    assert cc.validate_route_spec({"to": {"kind": "Service", "name": "a"}}) == []
    with pytest.raises(cc.CutoverClusterError, match="does not exist"):
        cc.route_snapshot({"resources": []}, "rag", NS)
    assert cc.route_url({"host": "h", "tls": False}) == "http://h"
    assert cc.route_url({}, "http://127.0.0.1:9/") == "http://127.0.0.1:9"


ISVC_OWNER = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "caikit-embeddings",
              "uid": "7f3c", "controller": True, "blockOwnerDeletion": True}


@pytest.mark.parametrize("metadata, who", [
    ({"ownerReferences": [ISVC_OWNER], "labels": {"inferenceservice-name": "caikit-embeddings"}},
     "InferenceService caikit-embeddings, label inferenceservice-name=caikit-embeddings"),
    ({"labels": {"serving.kserve.io/inferenceservice": "caikit-embeddings"}},
     "label serving.kserve.io/inferenceservice=caikit-embeddings"),
    ({"ownerReferences": [{"kind": "Gateway", "name": "edge", "controller": True}]}, "Gateway edge"),
    ({"ownerReferences": [dict(ISVC_OWNER, controller=False)]}, "InferenceService caikit-embeddings"),
    ({"ownerReferences": [{"kind": "ConfigMap", "name": "keep-alive"}], "labels": {"app": "rag"}}, ""),
    ({}, ""),
])
def test_route_controller_names_the_owner_or_labels_that_manage_the_route(metadata, who):
    managed = route({"kind": "Service", "name": "caikit-embeddings-predictor", "weight": 100})
    managed["metadata"].update(metadata)
    assert cc.route_controller(managed) == who
    if who:
        with pytest.raises(cc.CutoverClusterError) as refused:
            cc.refuse_managed_route(managed, "rag", NS, "minilm")
        message = str(refused.value)
        for words in ("Route rag/rag is managed by " + who, "weight 100", "Nothing was changed", "consumer_env",
                      "endpoint_record", "vllm-endpoint-minilm"):
            assert words in message, message
    else:
        cc.refuse_managed_route(managed, "rag", NS, "minilm")


# --- Caikit retirement -------------------------------------------------------------------------

CAIKIT = {"name": "caikit", "namespace": NS, "models": ["minilm"]}
NOW = "2026-11-24T10:00:00Z"
WEEK = 7 * 86400


def test_retirement_only_after_the_soak_and_never_after_a_rollback():
    assert cc.retire_problems(CAIKIT, {"minilm": state(cut_over_at="2026-11-10T10:00:00Z")}, NOW, WEEK) == []
    (why,) = cc.retire_problems(CAIKIT, {"minilm": state()}, NOW, WEEK)
    assert "soak period is 604800 s" in why and "wait 259200 s more" in why
    (why,) = cc.retire_problems(CAIKIT, {"minilm": state(status="rolled_back", cut_over_at="2026-11-01T10:00:00Z",
                                                         rolled_back_at="2026-11-02T10:00:00Z")}, NOW, WEEK)
    assert "not cut over (status rolled_back)" in why
    (why,) = cc.retire_problems(CAIKIT, {}, NOW, WEEK)
    assert "never cut over" in why
    both = dict(CAIKIT, models=["minilm", "msmarco"])
    (why,) = cc.retire_problems(both, {"minilm": state(cut_over_at="2026-11-01T10:00:00Z")}, NOW, WEEK)
    assert "'msmarco' was never cut over" in why
    assert "needs name (its Deployment) or inference_service, namespace and models" in cc.retire_problems(
        {"name": "c"}, {}, NOW, WEEK)[0]
    assert cc.retire_problems({"inference_service": "c", "namespace": NS, "models": ["minilm"]},
                              {"minilm": state(cut_over_at="2026-11-10T10:00:00Z")}, NOW, WEEK) == []


def test_retirement_after_a_rollback_and_a_new_cutover_counts_from_the_new_cutover():
    again = state(cut_over_at="2026-11-10T10:00:00Z", rolled_back_at="2026-11-05T10:00:00Z")
    assert cc.retire_problems(CAIKIT, {"minilm": again}, NOW, WEEK) == []
    rolled = state(cut_over_at="2026-11-01T10:00:00Z", rolled_back_at="2026-11-05T10:00:00Z")
    assert "rolled back" in cc.retire_problems(CAIKIT, {"minilm": rolled}, NOW, WEEK)[0]


def test_scale_to_zero_keeps_the_replicas_and_is_reversible():
    before = deployment("caikit", [{"name": "caikit"}], replicas=3, annotations={"team": "rag"})
    retired = merge(before, cc.retire_patch(before, NOW))
    assert retired["spec"]["replicas"] == 0
    assert retired["metadata"]["annotations"]["vllm-migration/retired-replicas"] == "3"
    # retiring twice keeps the first saved replicas and time
    assert merge(retired, cc.retire_patch(retired, "2026-12-01T00:00:00Z")) == retired
    undo = cc.unretire_patch(retired)
    assert undo["action"] == "patch"
    assert merge(retired, undo["body"]) == before
    assert cc.unretire_patch(before)["action"] == "none"


def test_scale_to_zero_refuses_a_deployment_a_controller_owns():
    owned = deployment("caikit", [], ownerReferences=[{"kind": "InferenceService", "name": "minilm"}])
    with pytest.raises(cc.CutoverClusterError, match="managed by InferenceService minilm: scaling it would be undone; "
                                                     "retire it through KServe instead"):
        cc.retire_patch(owned, NOW)
    knative = deployment("caikit", [], ownerReferences=[{"kind": "Revision", "name": "caikit-predictor-00001"}])
    with pytest.raises(cc.CutoverClusterError, match="Serverless .* name that InferenceService with inference_service"):
        cc.retire_patch(knative, NOW)
    operator = deployment("caikit", [], ownerReferences=[{"kind": "CaikitRuntime", "name": "c"}])
    with pytest.raises(cc.CutoverClusterError, match="scale its owner down instead"):
        cc.retire_patch(operator, NOW)
    with pytest.raises(cc.CutoverClusterError, match="does not exist"):
        cc.retire_patch({"resources": []}, NOW)
    bad = deployment("caikit", [], annotations={"vllm-migration/retired-replicas": "many"})
    with pytest.raises(cc.CutoverClusterError, match="scale it by hand"):
        cc.unretire_patch(bad)


def test_mark_retired_notes_it_in_the_state_and_removes_it():
    marked = cc.mark_retired(state(), CAIKIT, 3, NOW)
    assert marked["retired"] == {"deployment": "caikit", "namespace": NS, "replicas": 3, "retired_at": NOW}
    assert "retired" not in cc.mark_retired(marked, CAIKIT, None, NOW)


def test_note_retired_keeps_any_note_and_removes_it():
    note = {"method": "kserve_stop", "inference_service": "caikit", "namespace": NS, "deployment": "",
            "previous_stop": None, "retired_at": NOW}
    noted = cc.note_retired(state(), note)
    assert noted["retired"] == note and noted["retired"] is not note
    assert cc.note_retired(noted, None) == state()


# --- Caikit retirement through KServe ------------------------------------------------------------

STOP = "serving.kserve.io/stop"


def isvc(annotations=None, status=None, uid="7f3c"):
    """An InferenceService as OpenShift AI makes one: annotations, labels, a spec and a status KServe wrote."""
    obj = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
           "metadata": {"name": "caikit-embeddings", "namespace": NS, "uid": uid,
                        "labels": {"opendatahub.io/dashboard": "true"},
                        "annotations": dict({"openshift.io/display-name": "caikit-embeddings",
                                             "serving.kserve.io/deploymentMode": "RawDeployment"}, **(annotations or {}))},
           "spec": {"predictor": {"model": {"modelFormat": {"name": "caikit"}, "runtime": "caikit-standalone-runtime"}}},
           "status": status if status is not None else {"deploymentMode": "RawDeployment"}}
    return obj


def test_is_stopped_reads_the_value_as_kserve_does():
    assert cc.is_stopped("true") and cc.is_stopped("TRUE") and cc.is_stopped("True")
    assert not any(cc.is_stopped(v) for v in (None, "false", " true", "yes", "1", True))


def test_inference_service_owner_is_the_kserve_owner_only():
    owned = deployment("caikit-embeddings-predictor", [], ownerReferences=[ISVC_OWNER])
    assert cc.inference_service_owner({"resources": [owned]})["uid"] == "7f3c"
    other = dict(ISVC_OWNER, apiVersion="example.com/v1")
    assert cc.inference_service_owner(deployment("c", [], ownerReferences=[other])) is None
    assert cc.inference_service_owner(deployment("c", [])) is None and cc.inference_service_owner(None) is None


@pytest.mark.parametrize("before_value", [None, "false", "False", "no"])
def test_kserve_stop_sets_only_the_annotation_and_the_undo_puts_back_exactly_the_previous_value(before_value):
    before = isvc({STOP: before_value} if before_value is not None else {})
    plan = cc.kserve_stop_patch(before, "caikit-embeddings", NS, None, NOW, "7f3c", "caikit-embeddings-predictor")
    stopped = merge(before, plan["body"])
    expected = copy.deepcopy(before)
    expected["metadata"]["annotations"][STOP] = "true"
    assert stopped == expected  # the annotation and nothing else
    assert plan["note"] == {"method": "kserve_stop", "inference_service": "caikit-embeddings", "namespace": NS,
                            "deployment": "caikit-embeddings-predictor", "previous_stop": before_value, "retired_at": NOW}
    assert plan["deployment_mode"] == "RawDeployment"
    # a second retirement keeps the first note's previous value and time, and sends nothing new
    again = cc.kserve_stop_patch(stopped, "caikit-embeddings", NS, plan["note"], "2026-12-01T00:00:00Z")
    assert merge(stopped, again["body"]) == stopped and again["note"] == plan["note"]
    undo = cc.kserve_start_patch(stopped, "caikit-embeddings", NS, plan["note"])
    assert undo["action"] == "patch"
    assert merge(stopped, undo["body"]) == before
    assert cc.kserve_start_patch(before, "caikit-embeddings", NS, plan["note"])["action"] == "none"


def test_kserve_stop_keeps_a_stop_value_in_another_case_from_an_earlier_run():
    note = {"method": "kserve_stop", "inference_service": "caikit-embeddings", "namespace": NS, "deployment": "",
            "previous_stop": None, "retired_at": NOW}
    stopped = isvc({STOP: "True"})
    assert merge(stopped, cc.kserve_stop_patch(stopped, "caikit-embeddings", NS, note, NOW)["body"]) == stopped
    assert cc.kserve_start_patch(stopped, "caikit-embeddings", NS, note)["body"]["metadata"]["annotations"] == {STOP: None}


@pytest.mark.parametrize("obj, uid, match", [
    (None, None, "InferenceService rag/caikit-embeddings does not exist"),
    (isvc({STOP: "true"}), None, "already stopped .*not by this collection"),
    (isvc({STOP: "TRUE"}), None, "already stopped"),
    (isvc({"serving.kserve.io/deploymentMode": "ModelMesh"}, status={}), None, "ModelMesh mode, where KServe does not read"),
    (isvc(status={"deploymentMode": "ModelMesh"}), None, "ModelMesh"),
    (isvc(), "0000", "not the one that owns the Caikit Deployment"),
])
def test_kserve_stop_refuses_what_it_cannot_reverse(obj, uid, match):
    with pytest.raises(cc.CutoverClusterError, match=match):
        cc.kserve_stop_patch(obj, "caikit-embeddings", NS, None, NOW, uid)


def test_kserve_start_leaves_alone_what_this_collection_did_not_stop():
    note = {"method": "kserve_stop", "inference_service": "caikit-embeddings", "namespace": NS, "deployment": "",
            "previous_stop": None, "retired_at": NOW}
    for obj, noted, reason in ((isvc({STOP: "true"}), None, "but not by this collection: left alone"),
                               (isvc(), None, "is not stopped"),
                               (isvc({STOP: "false"}), note, "was started since (serving.kserve.io/stop=false)"),
                               (isvc(), note, "as before its retirement (absent)")):
        plan = cc.kserve_start_patch(obj, "caikit-embeddings", NS, noted)
        assert plan["action"] == "none" and reason in plan["reason"], plan
    with pytest.raises(cc.CutoverClusterError, match="does not exist: there is nothing to start"):
        cc.kserve_start_patch({"resources": []}, "caikit-embeddings", NS, note)


def test_deployment_mode_prefers_what_kserve_reports():
    assert cc.deployment_mode(isvc(status={"deploymentMode": "Serverless"})) == "Serverless"
    assert cc.deployment_mode(isvc(status={})) == "RawDeployment"
    assert cc.deployment_mode({"metadata": {"name": "x"}}) == ""


def test_retired_guard_says_how_the_caikit_was_retired():
    scaled = cc.retired_guard(cc.mark_retired(state(), CAIKIT, 2, NOW), "minilm")
    assert "Caikit Deployment rag/caikit, which was retired (scaled to zero)" in scaled
    stopped = cc.retired_guard(cc.note_retired(state(), {
        "method": "kserve_stop", "inference_service": "caikit-embeddings", "namespace": NS, "deployment": "",
        "previous_stop": None, "retired_at": NOW}), "minilm")
    for words in ("Caikit InferenceService rag/caikit-embeddings", "stopped through KServe with serving.kserve.io/stop",
                  "Nothing was restored", "vllm_migration_retire_undo=true"):
        assert words in stopped, stopped
    assert cc.retired_guard(state(), "minilm") == ""
