# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""playbooks/discover.yml on an emulated OpenShift AI (scenario ``caikit_discovery``, discovery_scenarios.py).

Three Caikit InferenceServices (two embedding models in one runtime, one reranker behind the auth proxy, one not
exposed) plus one not Ready without URL and a vLLM one: the proposal, the messages, the fragment on disk, and
that nothing is written to the cluster or leaks a token; then verify.yml discovering for itself and verifying
against what it found. What this does not prove: docs/openshift-ai.md.
"""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from discovery_scenarios import TOKEN, fragment_text

DISCOVERY_TASK = "Find the Caikit InferenceServices and ask their runtimes for their models"


def ok(step):
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def discovery(step):
    (result,) = [r for name, r in ok(step)["run"].tasks() if name == DISCOVERY_TASK]
    return result


@pytest.fixture(scope="module")
def found(caikit_discovery):
    return discovery(caikit_discovery.step("all"))


def test_every_caikit_service_is_found_and_the_vllm_one_ignored(found):
    assert [(s["namespace"], s["name"]) for s in found["services"]] == [
        ("team-rag", "caikit-embeddings"), ("team-rag", "caikit-rerank"), ("team-search", "caikit-internal"),
        ("team-search", "caikit-pending")]
    assert "granite-vllm" not in json.dumps(found)
    services = {s["name"]: s for s in found["services"]}
    assert services["caikit-embeddings"]["deployment_mode"] == "RawDeployment" and services["caikit-rerank"]["deployment_mode"] == "Serverless"
    assert services["caikit-rerank"]["auth"] and not services["caikit-embeddings"]["auth"]
    assert not services["caikit-internal"]["exposed"] and services["caikit-internal"]["url_path"] == "in_cluster"
    assert services["caikit-embeddings"]["runtime_flavor"] == "caikit-standalone" and services["caikit-embeddings"]["runtime_found"]
    assert not services["caikit-pending"]["ready"]


def test_the_proposal_selects_the_three_models_both_runtimes_listed(found, caikit_discovery):
    assert found["proposal"]["models"] == ["minilm", "granite", "msmarco"]
    references = found["proposal"]["references"]
    assert references["minilm"]["url"] == references["granite"]["url"]  # two models, one runtime
    assert references["msmarco"]["url"].endswith("/rerank") and references["msmarco"]["model"] == "ms-marco-minilm-l12-v2"
    assert references["msmarco"]["api_key_env"] == "CAIKIT_TOKEN"  # the variable's name, never a token
    assert "api_key" not in references["minilm"]
    assert [e["key"] for e in resolve_models(found["proposal"]["catalog"], found["proposal"]["models"])] == [
        "minilm", "granite", "msmarco"]


def test_each_problem_names_the_object_and_the_fix(found):
    text = "\n".join(found["problems"])
    assert "InferenceService team-search/caikit-internal" in text and "oc port-forward" in text
    assert "InferenceService team-search/caikit-pending has no URL" in text and "PredictorNotReady" in text
    assert "data connection Secret aws-connection-broken" in text and "AWS_SECRET_ACCESS_KEY" in text
    assert "aws-connection-models" not in text  # complete: no problem


def test_the_fragment_on_disk_is_the_proposal_and_holds_no_secret(caikit_discovery, found):
    text = fragment_text(caikit_discovery, "all")
    assert text.startswith("---\n# Proposed by playbooks/discover.yml")
    assert yaml.safe_load(text) == found["fragment"]
    run = caikit_discovery.step("all")["run"]
    for blob in (text, run.stdout, run.stderr):
        assert TOKEN not in blob
        assert "c2VjcmV0LXZhbHVlLW5vdC10by1sZWFr" not in blob  # the data connection's secret key, base64


@pytest.mark.parametrize("step", ["all", "check", "no_token", "search", "search_in_place"])
def test_discovery_writes_nothing_to_the_cluster(caikit_discovery, step):
    ok(caikit_discovery.step(step))
    assert caikit_discovery.step(step)["writes"] == []


def test_check_mode_finds_the_same_and_writes_no_file(caikit_discovery, found):
    checked = discovery(caikit_discovery.step("check"))
    assert checked["proposal"] == found["proposal"] and checked["problems"] == found["problems"]
    assert not checked["changed"] and fragment_text(caikit_discovery, "check") is None


def test_without_the_token_the_protected_runtime_is_a_problem_with_its_fix(caikit_discovery):
    result = discovery(caikit_discovery.step("no_token"))
    assert "msmarco" not in result["proposal"]["models"]
    (problem,) = [p for p in result["problems"] if "caikit-rerank" in p]
    assert "HTTP 403" in problem and "security.opendatahub.io/enable-auth" in problem and "oc create token" in problem


def test_an_override_reaches_the_internal_predictor_and_named_weights_complete_the_entry(caikit_discovery):
    result = discovery(caikit_discovery.step("search"))
    assert [s["name"] for s in result["services"]] == ["caikit-internal", "caikit-pending"]
    assert result["proposal"]["models"] == ["bge_small_en_v1_5"]
    assert result["proposal"]["catalog"]["bge_small_en_v1_5"] == {
        "caikit_model_id": "bge-small-en-v1-5", "kind": "embedding", "model": "BAAI/bge-small-en-v1.5"}
    internal = result["services"][0]
    assert internal["url_path"] == "override" and internal["url_used"].endswith("/internal")


def test_where_vllm_runs_beside_caikit_its_claim_is_proposed_by_the_access_mode_read_from_the_cluster(caikit_discovery):
    result = discovery(caikit_discovery.step("search_in_place"))
    entry = result["proposal"]["catalog"]["bge_small_en_v1_5"]
    # the seeded claim is ReadWriteOnce: vLLM's pods (and the check Job's) go to the node of Caikit's predictor
    assert entry["model_claim"] == "search-models" and entry["model_claim_path"] == "caikit/bge-small-en-v1-5/artifacts"
    assert entry["model_claim_pods"] == {"serving.kserve.io/inferenceservice": "caikit-internal"}
    assert any("a ReadWriteOnce claim is attached to one node" in line for line in result["review"]), result["review"]
    assert not any("access mode was not read" in line for line in result["review"] + result["problems"])
    reference = result["proposal"]["references"]["bge_small_en_v1_5"]
    assert reference["weights_claim"] == {"claim": "search-models", "path": "caikit/bge-small-en-v1-5",
                                          "pods": {"serving.kserve.io/inferenceservice": "caikit-internal"}}
    assert "weights_claim:" in fragment_text(caikit_discovery, "search_in_place")


def test_the_token_went_only_to_the_runtime_behind_the_auth_proxy(caikit_discovery):
    requests = caikit_discovery.step("standin")["requests"]
    assert {r["path"] for r in requests if r["authorized"]} == {"/rerank/info/models"}
    assert any(r["path"] == "/embeddings/info/models" for r in requests)


# --- discover -> verify -> decide in one run (vllm_migration_discover) --------------------------------------------

def report(caikit_discovery, step):
    ok(caikit_discovery.step(step))  # waits for the step: the scenario runs in the background
    return json.loads((caikit_discovery.workdir / ("reports-%s" % step) / "latest" / "report.json").read_text())


def test_a_discovering_run_verifies_every_discovered_model_against_its_inference_service(caikit_discovery):
    models = report(caikit_discovery, "verify")["models"]
    assert sorted(models) == ["granite", "minilm", "msmarco"]  # the proposal's selection: none was given
    assert models["minilm"]["reference"]["model"] == "all-minilm-l6-v2"  # the Caikit model id, not the catalog key
    assert models["msmarco"]["reference"]["url"].endswith("/rerank/api/v1/task/rerank")
    # the stand-ins answer alike, so every gate is evaluated and passes: the checks ran on what discovery found
    assert {key: m["status"] for key, m in models.items()} == {"granite": "passed", "minilm": "passed",
                                                               "msmarco": "passed"}, models
    seen = {(r["path"], r["model"], r["authorized"]) for r in caikit_discovery.step("verify_requests")["requests"]}
    assert ("/embeddings/api/v1/task/embedding", "all-minilm-l6-v2", False) in seen
    # the reference behind the auth proxy got the token the run read from $CAIKIT_TOKEN (api_key_env)
    assert ("/rerank/api/v1/task/rerank", "ms-marco-minilm-l12-v2", True) in seen
    assert not any(path.startswith("/rerank/") and not authorized for path, _model, authorized in seen)


def test_a_discovering_run_that_finds_nothing_fails_saying_where_it_looked(caikit_discovery):
    run = caikit_discovery.step("verify_nothing")["run"]
    assert run.returncode != 0
    (failed,) = [r for _name, r in run.tasks() if r.get("failed")]
    assert failed["msg"].startswith("vllm_migration_discover: no Caikit model ready to migrate was found in team-empty")
    assert not (caikit_discovery.workdir / "reports-verify_nothing" / "latest").exists()


def test_an_extra_variable_that_would_hide_the_discovered_references_is_refused(caikit_discovery):
    run = caikit_discovery.step("verify_shadowed")["run"]
    assert run.returncode != 0
    (failed,) = [r for _name, r in run.tasks() if r.get("failed")]
    assert "passed as an extra variable" in failed["msg"] and "group_vars" in failed["msg"]
    assert not (caikit_discovery.workdir / "reports-verify_shadowed" / "latest").exists()


def test_the_inventorys_reference_fields_win_and_a_missing_token_variable_is_named(caikit_discovery):
    models = report(caikit_discovery, "verify_override")["models"]
    assert list(models) == ["msmarco"]  # the selection given
    assert models["msmarco"]["status"] == "error" and models["msmarco"]["reference"]["model"] == "ms-marco-minilm-l12-v2"
    assert "TEAM_RERANK_TOKEN" in models["msmarco"]["reason"] and "oc create token" in models["msmarco"]["reason"]


def test_with_token_from_discovery_and_the_checks_read_the_token_from_the_secret(caikit_discovery):
    step = caikit_discovery.step("verify_token_from")
    models = report(caikit_discovery, "verify_token_from")["models"]
    assert {key: m["status"] for key, m in models.items()} == {"msmarco": "passed"}, models
    task = "Find the Caikit InferenceServices to verify against (vllm_migration_discover)"
    (found,) = [r for name, r in step["run"].tasks() if name == task]
    reference = found["effective"]["vllm_migration_references"]["msmarco"]
    assert reference["api_key_from"] == {"secret": "team-rag/caikit-token"} and "api_key_env" not in reference
    requests = caikit_discovery.step("token_from_requests")["requests"]
    rerank = [(r["path"], r["authorized"]) for r in requests if r["path"].startswith("/rerank/")]
    # discovery's /info/models and the check's task calls, every one with the Secret's token
    assert ("/rerank/info/models", True) in rerank and ("/rerank/api/v1/task/rerank", True) in rerank
    assert all(authorized for _path, authorized in rerank), rerank
    assert TOKEN not in step["run"].stdout + step["run"].stderr
