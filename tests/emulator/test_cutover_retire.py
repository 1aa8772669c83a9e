# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit retirement (scenario retire_caikit): refused before a cutover and before the soak period,
then the Caikit Deployment scaled to zero (never deleted) with its replicas kept; a rollback is refused
while Caikit has no pods; the undo scales it back. The emulator runs no pods: replicas are checked as
written (docs/cluster.md)."""

from __future__ import annotations

from cutover_helpers import assert_no_change, assert_ok, failed_messages, only_dry_runs, state_of
from harness import NAMESPACE

CAIKIT = (NAMESPACE, "caikit-runtime")
SAVED = "vllm-migration/retired-replicas"


def caikit(step):
    return step["objects"]["Deployment"][CAIKIT]


def refused(step, *words):
    assert step["run"].returncode != 0
    messages = " ".join(failed_messages(step["run"]))
    assert all(word in messages for word in words), messages
    return messages


def second_undo_changes_nothing_and_rollback_works(scenario):
    again = scenario.step("undo_again")
    assert_no_change(again)
    rollback = scenario.step("rollback")
    assert_ok(rollback)
    assert state_of(rollback)["status"] == "rolled_back"


def test_retirement_is_refused_before_any_cutover_and_before_the_soak(retire_caikit):
    before = retire_caikit.step("retire_before_cutover")
    refused(before, "caikit-runtime", "'minilm' was never cut over", "nothing was changed")
    assert caikit(before)["spec"]["replicas"] == 2
    early = retire_caikit.step("retire_early")
    refused(early, "soak period is 3600 s")
    assert caikit(early)["spec"]["replicas"] == 2 and not early["writes"]


def test_check_mode_changes_nothing(retire_caikit):
    step = retire_caikit.step("retire_check")
    assert_ok(step)
    only_dry_runs(step)
    assert caikit(step)["spec"]["replicas"] == 2


def test_retirement_scales_to_zero_keeps_the_replicas_and_notes_it_in_the_state(retire_caikit):
    step = retire_caikit.step("retire")
    assert_ok(step)
    deployment = caikit(step)
    assert deployment["spec"]["replicas"] == 0
    assert deployment["metadata"]["annotations"][SAVED] == "2"
    assert state_of(step)["retired"]["replicas"] == 2
    again = retire_caikit.step("retire_again")
    assert_no_change(again)


def test_rollback_is_refused_while_caikit_is_retired(retire_caikit):
    step = retire_caikit.step("rollback_refused")
    refused(step, "retired", "vllm_migration_retire_undo=true", "Nothing was restored")
    assert state_of(step)["status"] == "cut_over"
    assert (NAMESPACE, "vllm-endpoint-minilm") in step["objects"]["ConfigMap"]


def test_undo_scales_back_exactly_then_changes_nothing_and_rollback_works(retire_caikit):
    cut = retire_caikit.step("cutover")
    step = retire_caikit.step("undo")
    assert_ok(step)
    assert caikit(step)["spec"] == caikit(cut)["spec"]
    assert caikit(step)["metadata"].get("annotations", {}) == {}
    assert "retired" not in state_of(step)
    second_undo_changes_nothing_and_rollback_works(retire_caikit)


# --- OpenShift AI: the Caikit InferenceService stopped through KServe (scenarios retire_kserve, retire_kserve_named)
# No KServe controller runs: the scenario removes and makes again the predictor Deployment where KServe would, and
# nothing here observes the pods going away or the InferenceService reporting itself stopped (docs/openshift-ai.md).

ISVC = (NAMESPACE, "caikit-embeddings")
PREDICTOR = (NAMESPACE, "caikit-embeddings-predictor")
STOP = "serving.kserve.io/stop"
RETIRE_TASK = "Retire, or bring back, each Caikit"


def isvc(step):
    return step["objects"]["InferenceService"][ISVC]


def as_set(obj):
    """What a retirement may touch and must put back: everything but the API server's bookkeeping."""
    metadata = {k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "generation", "managedFields")}
    return dict(obj, metadata=metadata)


def retire_result(step):
    (result,) = [result for name, result in step["run"].tasks() if name == RETIRE_TASK]
    return result


def test_kserve_check_mode_changes_nothing(retire_kserve):
    cut, step = retire_kserve.step("cutover"), retire_kserve.step("retire_check")
    assert_ok(step)
    only_dry_runs(step)
    assert as_set(isvc(step)) == as_set(isvc(cut))
    assert "retired" not in state_of(step)
    assert any(diff["after_header"] == "InferenceService %s/caikit-embeddings" % NAMESPACE
               for diff in retire_result(step)["diff"])


def test_kserve_retirement_sets_the_stop_annotation_and_changes_nothing_else(retire_kserve):
    cut, step = retire_kserve.step("cutover"), retire_kserve.step("retire")
    assert_ok(step)
    expected = as_set(isvc(cut))
    expected["metadata"]["annotations"] = dict(expected["metadata"]["annotations"], **{STOP: "true"})
    assert as_set(isvc(step)) == expected
    assert step["objects"]["Deployment"][PREDICTOR] == cut["objects"]["Deployment"][PREDICTOR]
    touched = sorted({write.path.rsplit("/", 2)[-2] for write in step["writes"]})
    assert touched == ["configmaps", "inferenceservices"], step["writes"]
    assert state_of(step)["retired"] == {"method": "kserve_stop", "inference_service": "caikit-embeddings",
                                         "namespace": NAMESPACE, "deployment": "caikit-embeddings-predictor",
                                         "previous_stop": None, "retired_at": state_of(step)["retired"]["retired_at"]}
    (done,) = retire_result(step)["deployments"]
    assert done["method"] == "kserve_stop" and done["deployment_mode"] == "RawDeployment"


def test_kserve_second_retirement_changes_nothing_once_the_predictor_is_gone(retire_kserve):
    gone = retire_kserve.step("kserve_removed_predictor")
    assert PREDICTOR not in gone["objects"]["Deployment"]
    again = retire_kserve.step("retire_again")
    assert_no_change(again)
    assert not [w for w in again["writes"] if not w.dry_run]


def test_rollback_is_refused_while_the_inference_service_is_stopped(retire_kserve):
    step = retire_kserve.step("rollback_refused")
    refused(step, "InferenceService %s/caikit-embeddings" % NAMESPACE, "stopped through KServe",
            "vllm_migration_retire_undo=true", "Nothing was restored")
    assert state_of(step)["status"] == "cut_over"


def test_kserve_undo_puts_the_annotations_back_exactly_then_changes_nothing(retire_kserve):
    cut, step = retire_kserve.step("cutover"), retire_kserve.step("undo")
    assert_ok(step)
    assert isvc(step)["metadata"]["annotations"] == isvc(cut)["metadata"]["annotations"]
    assert as_set(isvc(step)) == as_set(isvc(cut))
    assert "retired" not in state_of(step)
    second_undo_changes_nothing_and_rollback_works(retire_kserve)


def test_a_named_inference_service_with_stop_false_gets_false_back(retire_kserve_named):
    cut = retire_kserve_named.step("cutover")
    assert isvc(cut)["metadata"]["annotations"][STOP] == "false"
    step = retire_kserve_named.step("retire")
    assert_ok(step)
    assert isvc(step)["metadata"]["annotations"][STOP] == "true"
    (done,) = retire_result(step)["deployments"]
    assert done["previous_stop"] == "false" and done["inference_service"] == "caikit-embeddings" and done["name"] == ""
    undo = retire_kserve_named.step("undo")
    assert_ok(undo)
    assert isvc(undo)["metadata"]["annotations"] == isvc(cut)["metadata"]["annotations"]
