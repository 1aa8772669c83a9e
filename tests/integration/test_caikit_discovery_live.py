"""Discovery against the real Caikit-NLP runtime: its own ``GET /info/models``, read as caikit_discovery reads it,
and the references it proposes used as they are by the verification modules against the real vLLM servers.

The InferenceService around the runtime is the fixture's (tests/unit/fixtures/kserve/cluster.yml, as KServe reports
it); its URL is overridden with the local runtime's, as a user does for a predictor reached through a port-forward.
The emulator scenario (tests/emulator/test_caikit_discovery_emulator.py) proves the cluster half with a stand-in
runtime; this proves that the stand-in's answer is the real runtime's shape.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import kserve
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import models_info
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import JsonEndpoint
from live_servers import ROOT, run_module

pytestmark = pytest.mark.timeout(900)
FLEETS = ["core", "rerank"]
CLUSTER = yaml.safe_load((Path(ROOT) / "tests" / "unit" / "fixtures" / "kserve" / "cluster.yml").read_text())
SERVICE = "caikit-embeddings"


@pytest.fixture(scope="module")
def found(local_servers):
    local_servers.require("xlmr_ce")  # skips, with the reason, when the rerank fleet was left out
    (isvc,) = [copy.deepcopy(o) for o in CLUSTER["inference_services"] if o["metadata"]["name"] == SERVICE]
    namespace = isvc["metadata"]["namespace"]
    runtimes = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in CLUSTER["runtimes"]}

    def ask(url, service):  # what the module's ask does: the runtime's /info/models through the one HTTP client
        return models_info(JsonEndpoint(url, service["ref"], timeout=30))

    return kserve.discover([isvc], runtimes, {}, ask, catalog=local_servers["extra_vars"]["vllm_migration_catalog"],
                           urls={"%s/%s" % (namespace, SERVICE): local_servers["caikit"]})


def test_the_real_runtime_lists_its_models_with_their_kinds(found, local_servers):
    (service,) = found["services"]
    assert service["url_used"] == local_servers["caikit"] and service["url_path"] == "override"
    kinds = {m["model_id"]: m["kind"] for m in found["models"]}
    # the folders the local Caikit loaded (core and rerank fleets): one per Caikit model id; granite only where its
    # weights were found (the core fleet leaves them out), minilm_twin where the discover fleet ran before
    # (test_discover_migrate_live.py: the runtime keeps every folder of its models dir)
    assert {k: v for k, v in kinds.items() if k not in ("granite", "minilm_twin")} == {
        "minilm": "embedding", "bert_ce": "reranker", "xlmr_ce": "reranker"}, kinds
    assert kinds.get("granite", "embedding") == "embedding" and kinds.get("minilm_twin", "embedding") == "embedding", kinds
    assert all(m["loaded"] for m in found["models"]), found["models"]
    assert found["problems"] == [], found["problems"]


def test_the_proposed_references_pass_verification_as_they_are(found, local_servers):
    references = found["proposal"]["references"]
    assert {"minilm", "xlmr_ce"} <= set(found["proposal"]["models"]), found["review"]
    minilm = references["minilm"]
    # url: the override the controller reaches; internal_url: the address KServe reports, for a benchmark Job
    assert minilm == {"type": "caikit", "url": local_servers["caikit"], "model": "minilm",
                      "discovered_from": "team-rag/%s" % SERVICE,
                      "internal_url": "http://%s-predictor.team-rag.svc.cluster.local" % SERVICE}
    result = run_module("embedding_check", {
        "model": "minilm", "candidate_url": local_servers["vllm"], "candidate_model": "minilm",
        "reference_type": minilm["type"], "reference_url": minilm["url"], "reference_model": minilm["model"],
        "expected_dimension": 384, "max_tokens": 256})
    assert not result.get("failed"), result.get("msg")
    assert result["passed"] is True, result["failed_gates"]
    reranker = references["xlmr_ce"]
    entry = local_servers["extra_vars"]["vllm_migration_catalog"]["xlmr_ce"]
    result = run_module("score_check", {
        "model": "xlmr_ce", "candidate_url": local_servers.require("xlmr_ce"), "candidate_model": "xlmr_ce",
        "candidate_activation": entry["score_activation"], "reference_type": reranker["type"],
        "reference_url": reranker["url"], "reference_model": reranker["model"], "max_tokens": entry["max_tokens"],
        "check_labelled": False, "truncate_long_inputs": True, "fail_on_gate": False})
    assert not result.get("failed"), result.get("msg")
    assert result["gates"]["score_parity"]["passed"] and result["gates"]["served"]["passed"], result["failed_gates"]
