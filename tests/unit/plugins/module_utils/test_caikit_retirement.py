# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit retirement through KServe (caikit_retirement.py's KServeStop and the method choice of Retirement) on an
in-memory cluster (tests/unit/plugins/modules/kube_fake.py): an InferenceService owning the Caikit predictor
Deployment, as OpenShift AI makes it. The scale-to-zero path is tested in test_cutover_strategies.py; what the
playbook does with both on the emulated API is tests/emulator/test_cutover_retire.py."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_strategies as cs
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_retirement import Retirement, describe
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import CUTOVER_STATE_SCHEMA
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import Journal, KubeObjects

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from kube_fake import FakeCluster  # noqa: E402

NS = "rag"
NOW = "2026-11-24T10:30:00Z"
STOP = "serving.kserve.io/stop"
OWNER = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "caikit-embeddings",
         "uid": "7f3c", "controller": True, "blockOwnerDeletion": True}
WHO = {"name": "caikit-embeddings-predictor", "namespace": NS, "models": ["minilm"]}


def isvc(**annotations):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "caikit-embeddings", "namespace": NS, "uid": "7f3c",
                         "annotations": dict({"openshift.io/display-name": "caikit-embeddings",
                                              "serving.kserve.io/deploymentMode": "RawDeployment"}, **annotations)},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "caikit"}, "runtime": "caikit-standalone-runtime"}}}}


def predictor(owners=(OWNER,)):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "caikit-embeddings-predictor", "namespace": NS, "ownerReferences": list(owners)},
            "spec": {"replicas": 1}}


def cut_over_state(key="minilm"):
    state = {"schema": CUTOVER_STATE_SCHEMA, "model": key, "strategy": "endpoint_record", "status": "cut_over",
             "previous": {"kind": "ConfigMap", "name": "vllm-endpoint-" + key, "namespace": NS, "exists": False},
             "cut_over_at": "2026-11-10T10:00:00Z", "rolled_back_at": ""}
    return cc.state_configmap(state, NS)


def cluster_with(*objects, **options):
    return FakeCluster(cut_over_state(), *objects, **options)


def retirement(cluster, method="auto", check_mode=False, journal=None):
    return Retirement(KubeObjects(cluster.client, check_mode, journal), NS, method, NOW)


def saved_state(cluster, key="minilm"):
    return json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-" + key)["data"]["state.json"])


def annotations(cluster):
    return cluster.obj("InferenceService", NS, "caikit-embeddings")["metadata"]["annotations"]


def test_auto_stops_the_owning_inference_service_and_changes_nothing_else():
    cluster = cluster_with(isvc(), predictor())
    before_isvc, before_deployment = cluster.obj("InferenceService", NS, "caikit-embeddings"), cluster.obj(
        "Deployment", NS, "caikit-embeddings-predictor")
    done = retirement(cluster).retire(WHO, 60)
    assert done == {"name": "caikit-embeddings-predictor", "namespace": NS, "models": ["minilm"], "status": "retired",
                    "method": "kserve_stop", "inference_service": "caikit-embeddings", "deployment_mode": "RawDeployment",
                    "previous_stop": None, "retired_at": NOW}
    expected = copy.deepcopy(before_isvc)
    expected["metadata"]["annotations"][STOP] = "true"
    assert cluster.obj("InferenceService", NS, "caikit-embeddings") == expected
    assert cluster.obj("Deployment", NS, "caikit-embeddings-predictor") == before_deployment
    assert {w[1] for w in cluster.real_writes()} == {"ConfigMap", "InferenceService"}
    assert saved_state(cluster)["retired"] == {
        "method": "kserve_stop", "inference_service": "caikit-embeddings", "namespace": NS,
        "deployment": "caikit-embeddings-predictor", "previous_stop": None, "retired_at": NOW}


def test_a_second_retirement_changes_nothing_even_once_kserve_removed_the_predictor():
    cluster = cluster_with(isvc(), predictor())
    retirement(cluster).retire(WHO, 60)
    state = saved_state(cluster)
    del cluster.objects[("Deployment", NS, "caikit-embeddings-predictor")]  # what KServe does to a stopped one
    journal = Journal()
    again = Retirement(KubeObjects(cluster.client, journal=journal), NS, "auto", "2026-11-25T00:00:00Z").retire(WHO, 60)
    assert not journal.changed and again["retired_at"] == NOW and again["previous_stop"] is None
    assert saved_state(cluster) == state


def test_undo_puts_the_annotations_back_exactly_then_changes_nothing():
    cluster = cluster_with(isvc(), predictor())
    before = cluster.obj("InferenceService", NS, "caikit-embeddings")
    retirement(cluster).retire(WHO, 60)
    del cluster.objects[("Deployment", NS, "caikit-embeddings-predictor")]
    undone = retirement(cluster).undo(WHO)
    assert undone["method"] == "kserve_stop" and undone["brought_back"]
    assert "started again (serving.kserve.io/stop removed)" in undone["reason"]
    assert cluster.obj("InferenceService", NS, "caikit-embeddings") == before
    assert "retired" not in saved_state(cluster)
    cluster.add(predictor())  # KServe made it again
    journal = Journal()
    again = retirement(cluster, journal=journal).undo(WHO)
    assert not journal.changed and not again["brought_back"] and "is not stopped" in again["reason"]


def test_a_previous_false_comes_back_as_false():
    cluster = cluster_with(isvc(**{STOP: "false"}), predictor())
    assert retirement(cluster).retire(WHO, 60)["previous_stop"] == "false"
    assert annotations(cluster)[STOP] == "true"
    retirement(cluster).undo(WHO)
    assert annotations(cluster)[STOP] == "false"


def test_check_mode_sends_dry_runs_only_and_shows_the_change():
    cluster = cluster_with(isvc(), predictor())
    journal = Journal()
    retirement(cluster, check_mode=True, journal=journal).retire(WHO, 60)
    assert cluster.writes and all(write[4] for write in cluster.writes)
    assert STOP not in annotations(cluster) and "retired" not in saved_state(cluster)
    (diff,) = [d for d in journal.diffs if d["before_header"].startswith("InferenceService")]
    assert diff["after"]["metadata"]["annotations"][STOP] == "true" and STOP not in diff["before"]["metadata"]["annotations"]


def test_a_serverless_inference_service_named_without_a_deployment():
    cluster = cluster_with(isvc(**{"serving.kserve.io/deploymentMode": "Serverless"}))
    who = {"inference_service": "caikit-embeddings", "namespace": NS, "models": ["minilm"]}
    done = retirement(cluster).retire(who, 60)
    assert done["method"] == "kserve_stop" and done["name"] == "" and done["deployment_mode"] == "Serverless"
    assert describe(who) == "InferenceService rag/caikit-embeddings"
    assert retirement(cluster).undo(who)["brought_back"] and STOP not in annotations(cluster)


@pytest.mark.parametrize("objects, method, who, match", [
    ((isvc(**{STOP: "true"}), predictor()), "auto", WHO, "already stopped .* not by this collection"),
    ((isvc(), predictor()), "scale_to_zero", WHO, "managed by InferenceService caikit-embeddings: .*through KServe"),
    ((isvc(), predictor(owners=())), "kserve_stop", WHO, "has none among its owners .* name it with inference_service"),
    ((isvc(), predictor()), "auto", dict(WHO, inference_service="other"), "owned by InferenceService caikit-embeddings, "
                                                                          "not other"),
    ((isvc(),), "auto", WHO, "the Caikit Deployment does not exist: .*name the InferenceService with inference_service"),
    ((predictor(),), "auto", WHO, "InferenceService rag/caikit-embeddings does not exist"),
    ((isvc(), predictor(owners=(dict(OWNER, uid="0000"),))), "auto", WHO, "not the one that owns"),
])
def test_what_cannot_be_reversed_is_refused_and_nothing_is_written(objects, method, who, match):
    cluster = cluster_with(*objects)
    with pytest.raises(CutoverError, match=match):
        retirement(cluster, method).retire(who, 60)
    assert cluster.writes == []


def test_a_cluster_without_kserve_is_told_so_and_nothing_is_written():
    cluster = cluster_with(predictor(), unserved={"InferenceService"})
    with pytest.raises(CutoverError, match="reads InferenceService rag/caikit-embeddings: the API server does not serve "
                                           "InferenceService .*is OpenShift AI or KServe installed"):
        retirement(cluster).retire(WHO, 60)
    assert cluster.writes == []


def test_the_method_that_retired_it_brings_it_back_and_another_one_is_refused():
    cluster = cluster_with(isvc(), predictor())
    retirement(cluster).retire(WHO, 60)
    with pytest.raises(CutoverError, match="was retired with method kserve_stop, not scale_to_zero"):
        retirement(cluster, "scale_to_zero").undo(WHO)
    assert annotations(cluster)[STOP] == "true"


def test_a_model_noted_as_served_by_another_retired_caikit_is_refused():
    cluster = cluster_with(isvc(), predictor())
    retirement(cluster).retire(WHO, 60)
    other = {"name": "caikit-other", "namespace": NS, "models": ["minilm"]}
    with pytest.raises(CutoverError, match="'minilm' is noted as served by Caikit rag/caikit-embeddings-predictor"):
        retirement(cluster).retire(other, 60)


def test_a_rollback_is_refused_while_the_inference_service_is_stopped():
    cluster = cluster_with(isvc(), predictor())
    retirement(cluster).retire(WHO, 60)
    move = cs.Move("minilm", {"namespace": NS}, Journal(), kube=KubeObjects(cluster.client))
    move.state = saved_state(cluster)
    with pytest.raises(CutoverError, match="InferenceService rag/caikit-embeddings, which was retired .*Nothing was restored"):
        cs.ClusterEndpointRecord(move).restore(move.state["previous"])
