# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Issue 21's whole path on the emulator (scenario openshift_ai_end_to_end, kserve_target_scenarios.py):
discover -> provision as InferenceServices -> verify -> decide -> cutover (consumer_env with a key and a CA) ->
retire (KServe's stop annotation) -> unretire -> rollback, each step's objects checked, and the second run of each
step changing nothing. The servers' answers come from a stand-in (no pod runs here): what that leaves unproven is in
docs/openshift-ai.md."""

from __future__ import annotations

from cutover_helpers import assert_no_change, assert_ok, state_of
from cutover_scenarios import WORKER
from discovery_scenarios import CLUSTER, TOKEN
from harness import NAMESPACE

CAIKIT = ("team-rag", "caikit-embeddings")
CONSUMER = ("rag-prod", "rag-worker")
STOP = "serving.kserve.io/stop"
MODELS = {"minilm", "granite", "msmarco"}


def step_of(scenario, name):
    step = scenario.step(name)
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def seeded_caikit():
    return next(obj for obj in CLUSTER["inference_services"] if obj["metadata"]["name"] == CAIKIT[1])


def test_discovery_proposes_the_catalog_and_references_the_run_then_uses(openshift_ai_end_to_end):
    step_of(openshift_ai_end_to_end, "discover")
    fragment = openshift_ai_end_to_end.step("fragment")["fragment"]
    assert set(fragment["vllm_migration_models"]) == MODELS
    assert {ref["type"] for ref in fragment["vllm_migration_references"].values()} == {"caikit"}
    assert TOKEN not in repr(fragment)


def test_provision_makes_an_inference_service_per_discovered_model_and_a_second_run_changes_nothing(
        openshift_ai_end_to_end):
    step = step_of(openshift_ai_end_to_end, "provision")
    isvcs = {name: obj for (ns, name), obj in step["objects"]["InferenceService"].items() if ns == NAMESPACE}
    assert set(isvcs) == {"vllm-" + key for key in MODELS}
    assert all(obj["metadata"]["annotations"]["security.opendatahub.io/enable-auth"] == "true" for obj in isvcs.values())
    endpoints = step["run"].endpoints
    assert {key: record["status"] for key, record in endpoints.items()} == {key: "ready" for key in MODELS}
    assert {record["served_name"] for record in endpoints.values()} == set(isvcs)
    # the consumers' namespace reaches minilm's predictor pods after the cutover
    policy = step["objects"]["NetworkPolicy"][(NAMESPACE, "vllm-minilm")]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "rag-prod"}}} in \
        policy["spec"]["ingress"][0]["from"]
    again = step_of(openshift_ai_end_to_end, "provision_again")
    assert again["run"].stats["changed"] == 0, again["run"].changed_tasks()


def test_verify_calls_the_inference_services_by_their_names_and_the_decision_lets_minilm_move(openshift_ai_end_to_end):
    step = step_of(openshift_ai_end_to_end, "verify")
    requests = openshift_ai_end_to_end.step("verify_requests")["requests"]
    asked = {r["model"] for r in requests if r["path"].startswith("/vllm/v1/") and r["model"]}
    assert {"vllm-minilm", "vllm-granite", "vllm-msmarco"} <= asked
    report = step["objects"]["ConfigMap"][(NAMESPACE, "vllm-migration-report")]
    assert '"minilm"' in report["data"]["report.json"]
    assert '"served_name": "vllm-minilm"' in report["data"]["report.json"]


def test_the_cutover_gives_the_consumer_the_inference_services_url_name_key_and_ca(openshift_ai_end_to_end):
    step = openshift_ai_end_to_end.step("cutover")
    assert_ok(step)
    pod = step["objects"]["Deployment"][CONSUMER]["spec"]["template"]["spec"]
    (worker,) = pod["containers"]
    env = {entry["name"]: entry for entry in worker["env"]}
    # the URL KServe reported for the InferenceService (here the stand-in's vLLM face)
    assert env["OPENAI_BASE_URL"]["value"] == state_of(step)["target"]["url"]
    assert state_of(step)["target"]["url"].startswith("http://127.0.0.1:") and "/vllm" in state_of(step)["target"]["url"]
    assert env["EMBEDDINGS_MODEL"]["value"] == "vllm-minilm"
    assert env["OPENAI_API_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}
    assert env["SSL_CERT_FILE"]["value"] == "/etc/vllm-migration/ca/ca.crt"
    jobs = [w for w in step["writes"] if "/namespaces/rag-prod/jobs" in w.path]
    assert [(w.method, w.created) for w in jobs] == [("PATCH", True), ("DELETE", False)], jobs
    assert_no_change(openshift_ai_end_to_end.step("cutover_again"))


def test_retirement_stops_the_caikit_inference_service_through_kserve_and_the_undo_restores_it(openshift_ai_end_to_end):
    retired = openshift_ai_end_to_end.step("retire")
    assert_ok(retired)
    annotations = retired["objects"]["InferenceService"][CAIKIT]["metadata"]["annotations"]
    assert annotations[STOP] == "true"
    assert_no_change(openshift_ai_end_to_end.step("retire_again"))
    undone = openshift_ai_end_to_end.step("unretire")
    assert_ok(undone)
    assert undone["objects"]["InferenceService"][CAIKIT]["metadata"]["annotations"] == \
        seeded_caikit()["metadata"]["annotations"]


def test_the_rollback_restores_the_consumer_exactly_and_a_second_one_changes_nothing(openshift_ai_end_to_end):
    step = openshift_ai_end_to_end.step("rollback")
    assert_ok(step)
    assert step["objects"]["Deployment"][CONSUMER]["spec"] == WORKER["spec"]
    assert_no_change(openshift_ai_end_to_end.step("rollback_again"))
