# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""module_utils/kserve.py: InferenceServices and ServingRuntimes read as KServe sets them (fixtures/kserve/cluster.yml),
/info/models answers, data connections, and the proposal the caikit_discovery module returns."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import kserve
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError

CLUSTER = yaml.safe_load((Path(__file__).resolve().parents[2] / "fixtures" / "kserve" / "cluster.yml").read_text())
TOKEN = "sha256~a-kubernetes-token-value"


def isvc(name):
    return copy.deepcopy(next(o for o in CLUSTER["inference_services"] if o["metadata"]["name"] == name))


def runtimes():
    return {(r["metadata"]["namespace"], r["metadata"]["name"]): copy.deepcopy(r) for r in CLUSTER["runtimes"]}


def runtime_of(obj):
    return runtimes().get((obj["metadata"]["namespace"], obj["spec"]["predictor"]["model"]["runtime"]))


def secrets():
    return {(s["metadata"]["namespace"], s["metadata"]["name"]): copy.deepcopy(s) for s in CLUSTER["secrets"]}


def answers(url, service):
    """The stand-in runtimes: /info/models per URL; the in-cluster URL cannot be resolved from here."""
    if kserve.in_cluster_url(url):
        raise CheckError(service["ref"], url + "/info/models", "cannot connect (name or service not known)", "")
    return copy.deepcopy(CLUSTER["info_models"][url.rsplit("/", 1)[-1]])


# --- describing an InferenceService -------------------------------------------------------------

def test_raw_exposed_service_with_a_data_connection():
    obj = isvc("caikit-embeddings")
    d = kserve.describe_inference_service(obj, runtime_of(obj))
    assert (d["name"], d["namespace"], d["ref"]) == ("caikit-embeddings", "team-rag", "InferenceService team-rag/caikit-embeddings")
    assert d["caikit"] and d["runtime"] == "caikit-standalone-runtime" and d["runtime_flavor"] == "caikit-standalone"
    assert d["deployment_mode"] == "RawDeployment" and d["exposed"] and not d["auth"] and d["ready"]
    assert d["storage"]["data_connection"] == "aws-connection-models" and d["storage"]["path"] == "embeddings/"
    assert d["storage"]["scheme"] == "s3" and "aws-connection-models" in d["storage"]["where"]
    assert d["resources"]["limits"]["memory"] == "16Gi"
    assert set(d["urls"]) == {"url", "address", "predictor"}


def test_serverless_service_with_auth_and_a_storage_uri():
    d = kserve.describe_inference_service(isvc("caikit-rerank"), None)
    assert d["deployment_mode"] == "Serverless" and d["auth"] and d["exposed"]
    assert d["storage"] == dict(d["storage"], uri="s3://models/rerankers/", scheme="s3", data_connection=None,
                                service_account="caikit-rerank-sa")


def test_not_ready_service_without_url_says_why():
    d = kserve.describe_inference_service(isvc("caikit-pending"))
    assert not d["ready"] and "PredictorNotReady" in d["ready_reason"] and "storage-initializer" in d["ready_reason"]
    with pytest.raises(kserve.DiscoveryError) as err:
        kserve.choose_url(d)
    text = str(err.value)
    assert "InferenceService team-search/caikit-pending has no URL" in text and "not Ready" in text
    assert "oc get inferenceservice caikit-pending -n team-search" in text and "urls" in text


def test_a_service_without_ready_condition_and_without_annotation():
    obj = isvc("caikit-internal")
    obj["metadata"]["annotations"] = {}
    obj.pop("status")
    d = kserve.describe_inference_service(obj)
    assert d["deployment_mode"] == "cluster default" and not d["ready"] and d["ready_reason"].startswith("no Ready")


def test_a_service_without_name_is_refused():
    with pytest.raises(kserve.DiscoveryError, match="metadata.name"):
        kserve.describe_inference_service({"spec": {}})


@pytest.mark.parametrize("name,expected", [("caikit-embeddings", True), ("caikit-rerank", True), ("granite-vllm", False)])
def test_caikit_by_model_format(name, expected):
    obj = isvc(name)
    assert kserve.is_caikit(obj, runtime_of(obj)) is expected


def test_caikit_by_runtime_when_the_format_is_not_set():
    obj = isvc("caikit-embeddings")
    del obj["spec"]["predictor"]["model"]["modelFormat"]
    assert kserve.is_caikit(obj, runtime_of(obj))
    assert kserve.is_caikit(obj, None)  # the runtime's name says caikit
    vllm = isvc("granite-vllm")
    del vllm["spec"]["predictor"]["model"]["modelFormat"]
    assert not kserve.is_caikit(vllm, runtime_of(vllm)) and not kserve.is_caikit(vllm, None)


def test_runtime_flavor_from_image_and_args():
    tgis = {"metadata": {"name": "rt"}, "spec": {"containers": [{"image": "quay.io/modh/caikit-tgis-serving:x"}]}}
    assert kserve.runtime_flavor(tgis) == "caikit-tgis"
    assert kserve.runtime_flavor(runtime_of(isvc("caikit-embeddings"))) == "caikit-standalone"
    assert kserve.runtime_flavor(runtime_of(isvc("granite-vllm"))) == ""


@pytest.mark.parametrize("url,inside", [
    ("http://caikit-internal-predictor.team-search.svc.cluster.local", True),
    ("http://caikit-internal-predictor.team-search.svc:8080/x", True),
    ("https://caikit-embeddings-team-rag.apps.cluster.example.com", False),
    ("http://127.0.0.1:8080", False),
])
def test_in_cluster_urls(url, inside):
    assert kserve.in_cluster_url(url) is inside


def test_url_choice_prefers_override_then_external_then_in_cluster():
    d = kserve.describe_inference_service(isvc("caikit-embeddings"))
    assert kserve.choose_url(d) == ("STANDIN/embeddings", "external")
    assert kserve.choose_url(d, "http://127.0.0.1:9/") == ("http://127.0.0.1:9", "override")
    internal = kserve.describe_inference_service(isvc("caikit-internal"))
    assert kserve.choose_url(internal) == ("http://caikit-internal-predictor.team-search.svc.cluster.local", "in_cluster")


# --- /info/models -------------------------------------------------------------------------------

def test_info_models_kinds_and_limits():
    rerank = kserve.read_model_info(CLUSTER["info_models"]["rerank"], "runtime")
    assert rerank == [{"model_id": "ms-marco-minilm-l12-v2", "kind": "reranker", "module": "CrossEncoderModule",
                       "max_tokens": 512, "loaded": True, "path": "/mnt/models/ms-marco-minilm-l12-v2"}]
    embeddings = kserve.read_model_info(CLUSTER["info_models"]["embeddings"], "runtime")
    assert [(m["model_id"], m["kind"], m["max_tokens"]) for m in embeddings] == [
        ("all-minilm-l6-v2", "embedding", None), ("granite-embedding-278m-multilingual-caikit", "embedding", None)]


def test_kind_by_module_name_when_the_id_is_unknown():
    assert kserve.module_kind({"module_id": "x", "module_metadata": {"name": "CrossEncoderModule"}}) == "reranker"
    assert kserve.module_kind({"module_id": "x", "module_metadata": {"module_class": "caikit_nlp.EmbeddingModule"}}) == "embedding"
    assert kserve.module_kind({"module_id": "x", "module_metadata": {"name": "TextGenerationTGIS"}}) is None


@pytest.mark.parametrize("body,phrase", [
    ({"models": []}, "lists no model"),
    ({"detail": "Not Found"}, "not a Caikit runtime"),
    ("<html>login</html>", "not a Caikit runtime"),
    ({"models": [{"size": 1}]}, "without a name"),
])
def test_info_models_bad_answers_name_the_runtime_and_the_fix(body, phrase):
    with pytest.raises(kserve.DiscoveryError) as err:
        kserve.read_model_info(body, "InferenceService a/b at http://x")
    assert phrase in str(err.value) and "InferenceService a/b at http://x" in str(err.value)


# --- data connections ---------------------------------------------------------------------------

def test_data_connection_checks_key_names():
    found = secrets()
    assert kserve.data_connection_problems(found[("team-rag", "aws-connection-models")], "aws-connection-models", "I a/b") == []
    broken = kserve.data_connection_problems(found[("team-search", "aws-connection-broken")], "aws-connection-broken", "I a/b")
    assert len(broken) == 1 and "lacks AWS_SECRET_ACCESS_KEY" in broken[0] and "oc edit secret aws-connection-broken" in broken[0]
    missing = kserve.data_connection_problems(None, "aws-connection-gone", "I a/b")
    assert "no Secret aws-connection-gone" in missing[0] and "storage.key" in missing[0]


# --- the proposal -------------------------------------------------------------------------------

def run(**kwargs):
    # vLLM in a namespace of its own, as the playbooks' default: Caikit's claims and Secrets are not proposed there
    options = dict(runtimes=runtimes(), secrets=secrets(), ask=answers, server_namespace="vllm-migration")
    options.update(kwargs)
    return kserve.discover(CLUSTER["inference_services"], **options)


def test_discovery_proposes_catalog_and_references():
    result = run()
    assert [s["name"] for s in result["services"]] == ["caikit-embeddings", "caikit-rerank", "caikit-internal",
                                                       "caikit-pending"]
    proposal = result["proposal"]
    assert proposal["models"] == ["minilm", "granite", "msmarco"]  # in the order the runtimes list them
    assert proposal["catalog"] == {"minilm": {"caikit_model_id": "all-minilm-l6-v2"},
                                   "granite": {"caikit_model_id": "granite-embedding-278m-multilingual-caikit"},
                                   "msmarco": {"caikit_model_id": "ms-marco-minilm-l12-v2"}}
    assert proposal["references"]["minilm"] == {"type": "caikit", "url": "STANDIN/embeddings", "model": "all-minilm-l6-v2",
                                                "discovered_from": "team-rag/caikit-embeddings",
                                                "internal_url": "http://caikit-embeddings-predictor.team-rag.svc.cluster.local"}
    # the predictor's in-cluster URL, for the benchmark Job, also behind Knative (Serverless)
    assert proposal["references"]["msmarco"]["internal_url"] == "http://caikit-rerank-predictor.team-rag.svc.cluster.local"
    # behind the auth proxy: the variable the checks read the token from, never a token (and no Jinja to template)
    assert proposal["references"]["msmarco"]["api_key_env"] == "CAIKIT_TOKEN"
    assert "api_key" not in proposal["references"]["msmarco"] and "api_key_env" not in proposal["references"]["minilm"]
    # the proposal resolves with the built-in catalog: migrate.yml can select it as it is
    resolved = resolve_models(proposal["catalog"], proposal["models"])
    assert [(e["key"], e["kind"], e["caikit_model_id"]) for e in resolved] == [
        ("minilm", "embedding", "all-minilm-l6-v2"), ("granite", "embedding", "granite-embedding-278m-multilingual-caikit"),
        ("msmarco", "reranker", "ms-marco-minilm-l12-v2")]


def test_unreachable_and_not_ready_services_are_problems_naming_object_and_fix():
    result = run()
    text = "\n".join(result["problems"])
    assert "InferenceService team-search/caikit-internal: the runtime at http://caikit-internal-predictor" in text
    assert "oc port-forward -n team-search svc/caikit-internal-predictor" in text
    assert "InferenceService team-search/caikit-pending has no URL" in text
    assert "aws-connection-broken" in text and "AWS_SECRET_ACCESS_KEY" in text
    rows = {(r["inference_service"], r["model_id"]): r for r in result["table"]}
    assert rows[("team-search/caikit-internal", "")]["status"].startswith("not read: ")
    assert rows[("team-rag/caikit-rerank", "ms-marco-minilm-l12-v2")]["key"] == "msmarco"
    assert "granite-vllm" not in json.dumps(result)


def test_an_override_reaches_the_internal_service_and_an_unknown_model_needs_its_weights():
    result = run(urls={"team-search/caikit-internal": "http://127.0.0.1:1/internal"})
    model = next(m for m in result["models"] if m["model_id"] == "bge-small-en-v1-5")
    assert model["key"] == "bge_small_en_v1_5" and model["status"] == "needs model"
    assert result["proposal"]["catalog"]["bge_small_en_v1_5"] == {"caikit_model_id": "bge-small-en-v1-5", "kind": "embedding"}
    assert "bge_small_en_v1_5" not in result["proposal"]["models"]
    assert any("vllm_migration_catalog.bge_small_en_v1_5.model" in r and "pvc://search-models/caikit/" in r
               for r in result["review"])
    known = run(urls={"team-search/caikit-internal": "http://127.0.0.1:1/internal"},
                model_repos={"bge-small-en-v1-5": "BAAI/bge-small-en-v1.5"})
    assert known["proposal"]["catalog"]["bge_small_en_v1_5"]["model"] == "BAAI/bge-small-en-v1.5"
    assert "bge_small_en_v1_5" in known["proposal"]["models"]
    assert known["proposal"]["references"]["bge_small_en_v1_5"]["url"] == "http://127.0.0.1:1/internal"


def test_no_token_value_anywhere_in_the_result():
    result = run()
    text = json.dumps(result) + json.dumps(kserve.fragment(result)) + kserve.fragment_header(result)
    assert TOKEN not in text and "c2VjcmV0LXZhbHVlLW5vdC10by1sZWFr" not in text
    assert "CAIKIT_TOKEN" in kserve.fragment_header(result)


def test_auth_is_described_in_words():
    result = run()
    rerank = next(m for m in result["models"] if m["model_id"] == "ms-marco-minilm-l12-v2")
    assert rerank["auth"].startswith("bearer: a Kubernetes token with get on inferenceservices/caikit-rerank")
    minilm = next(m for m in result["models"] if m["model_id"] == "all-minilm-l6-v2")
    assert minilm["auth"] == "none"


def test_the_same_model_in_two_services_gets_two_keys():
    second = isvc("caikit-embeddings")
    second["metadata"]["name"] = "caikit-embeddings-b"
    result = kserve.discover(CLUSTER["inference_services"] + [second], runtimes(), secrets(), answers)
    keys = sorted(k for k, r in result["proposal"]["references"].items() if r["model"] == "all-minilm-l6-v2")
    assert keys == ["all_minilm_l6_v2", "minilm"]


def test_a_kind_mismatch_does_not_reuse_the_catalog_key():
    catalog = {"msmarco": {"model": "cross-encoder/ms-marco-MiniLM-L12-v2", "kind": "reranker"}}
    assert kserve.catalog_match("ms-marco-minilm-l12-v2", "embedding", catalog) is None
    assert kserve.catalog_match("ms-marco-minilm-l12-v2", "reranker", catalog) == "msmarco"


def test_a_limit_that_differs_from_the_catalog_is_for_review():
    result = run(catalog={"msmarco": {"max_tokens": 256}})
    assert any("max_seq_length 512" in r and "max_tokens 256" in r for r in result["review"])


def test_unloaded_and_foreign_modules_are_not_proposed():
    body = {"models": [{"name": "tgis-model", "loaded": True, "module_id": "x", "module_metadata": {"name": "TextGeneration"}},
                       {"name": "half", "loaded": False}]}
    result = kserve.discover([isvc("caikit-embeddings")], runtimes(), secrets(), lambda url, s: body)
    assert [m["status"] for m in result["models"]] == ["skipped", "not loaded"]
    assert result["proposal"] == {"catalog": {}, "references": {}, "models": []}
    assert len(result["review"]) == 2


def test_without_a_client_nothing_is_asked():
    result = kserve.discover([isvc("caikit-embeddings")], runtimes(), secrets(), None)
    assert result["problems"] == ["InferenceService team-rag/caikit-embeddings: its runtime was not asked for its models"]


def test_a_missing_runtime_is_noted():
    result = kserve.discover([isvc("caikit-embeddings")], {}, {}, answers)
    assert any("ServingRuntime caikit-standalone-runtime" in p for p in result["problems"])


def test_table_markdown_escapes_cells():
    text = kserve.table_markdown([{"inference_service": "a/b", "status": "x | y", "ready": True}])
    assert text.splitlines()[0].startswith("| InferenceService | Caikit model |")
    assert "x \\| y" in text and "| yes |" in text


def test_fragment_holds_the_three_variables():
    result = run()
    assert set(kserve.fragment(result)) == {"vllm_migration_models", "vllm_migration_catalog", "vllm_migration_references"}
    header = kserve.fragment_header(result)
    assert all(line.startswith("# ") for line in header.splitlines()) and "To review" in header


def test_the_fragment_keeps_the_inventorys_own_catalog_entries_and_references():
    # the fragment replaces the inventory's variables of its names: a user's entry left out would lose its weights
    result = run()
    proposal = result["proposal"]
    key = proposal["models"][0]
    own = {key: {"weights_path": "/models/" + key}, "unrelated": {"model": "org/other", "kind": "embedding"}}
    fragment = kserve.fragment(result, catalog=own, references={key: {"ca_path": "/etc/ca.pem"}})
    assert fragment["vllm_migration_models"] == proposal["models"]
    assert fragment["vllm_migration_catalog"][key] == dict(proposal["catalog"][key], weights_path="/models/" + key)
    assert fragment["vllm_migration_catalog"]["unrelated"] == own["unrelated"]
    assert fragment["vllm_migration_references"][key] == dict(proposal["references"][key], ca_path="/etc/ca.pem")
    assert "unrelated" not in fragment["vllm_migration_models"]


def test_the_effective_settings_are_the_proposal_with_the_inventory_over_it():
    proposal = run()["proposal"]
    effective = kserve.effective_settings(
        proposal, models=None,
        catalog={"minilm": {"max_tokens": 128}, "granite": None, "mine": {"model": "org/mine", "kind": "embedding"}},
        references={"minilm": {"url": "https://through-my-proxy", "ca_path": "/etc/my-ca.pem"}, "mine": {"type": "openai"}})
    assert effective["vllm_migration_models"] == ["minilm", "granite", "msmarco"]  # no selection given: the proposal's
    catalog = effective["vllm_migration_catalog"]
    assert catalog["minilm"] == {"caikit_model_id": "all-minilm-l6-v2", "max_tokens": 128}  # field by field
    assert catalog["granite"] is None and catalog["mine"] == {"model": "org/mine", "kind": "embedding"}
    references = effective["vllm_migration_references"]
    assert references["minilm"]["url"] == "https://through-my-proxy" and references["minilm"]["ca_path"] == "/etc/my-ca.pem"
    assert references["minilm"]["model"] == "all-minilm-l6-v2"  # the discovered fields the user did not set stay
    assert references["msmarco"] == proposal["references"]["msmarco"] and references["mine"] == {"type": "openai"}
    # the proposal itself is not changed, and a selection given is used as it is
    assert proposal["catalog"]["minilm"] == {"caikit_model_id": "all-minilm-l6-v2"}
    assert kserve.effective_settings(proposal, models=["msmarco"])["vllm_migration_models"] == ["msmarco"]
    assert kserve.effective_settings(proposal, models=[])["vllm_migration_models"] == []


def test_nothing_to_migrate_says_where_it_looked_and_why():
    result = run(ask=None)
    text = kserve.nothing_to_migrate(result, "team-rag")
    assert text.startswith("vllm_migration_discover: no Caikit model ready to migrate was found in team-rag")
    assert "4 Caikit InferenceService(s), 0 model(s) listed" in text
    assert "its runtime was not asked for its models" in text and "playbooks/discover.yml" in text
    empty = kserve.discover([], ask=answers)
    assert "found in all namespaces (0 Caikit InferenceService(s)" in kserve.nothing_to_migrate(empty, "all namespaces")


def test_namespaces_typed_into_a_survey_are_trimmed_and_blanks_dropped():
    # Ansible splits the survey's "rag-prod, team-b" on the comma and keeps the space
    assert kserve.namespace_names(["rag-prod", " team-b", "", "  "]) == ["rag-prod", "team-b"]
    assert kserve.namespace_names(None) == [] and kserve.namespace_names([]) == []


def test_with_token_from_a_reference_with_auth_reads_its_token_from_the_cluster_not_a_variable():
    spec = {"service_account": "team-rag/caikit-migration", "expiration_seconds": 3600}
    result = run(token_from=spec)
    references = result["proposal"]["references"]
    assert references["msmarco"]["api_key_from"] == spec and "api_key_env" not in references["msmarco"]
    assert references["msmarco"]["api_key_from"] is not spec  # a copy: a later overlay cannot change the option
    assert "api_key_from" not in references["minilm"]  # no auth, no token
    (row,) = [m for m in result["models"] if m["key"] == "msmarco"]
    assert row["auth"].endswith("read from the cluster (api_key_from expiration_seconds: 3600, "
                                "service_account: team-rag/caikit-migration)")
    header = kserve.fragment_header(result, token_from=spec)
    assert "read when the playbook runs (read from the cluster (api_key_from" in header and "$CAIKIT_TOKEN" not in header
    assert "(from $CAIKIT_TOKEN)" in kserve.fragment_header(run())
