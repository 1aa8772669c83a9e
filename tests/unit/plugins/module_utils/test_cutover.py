"""Cutover evidence, the consumer record and the saved state: traffic moves only on complete, fresh
evidence made for the endpoint being switched, and rollback always has the state before vLLM."""

from __future__ import annotations

import copy
import hashlib

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import (
    CutoverError, begin_state, consumer_record, cutover_allowed, evidence_problems, file_snapshot, finish_state,
    previous_of, report_digest, target_record)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    endpoint_record, publish_models, result_record)

MADE = "2026-11-24T10:00:00Z"
SOON = "2026-11-24T10:30:00Z"
DAY = 86400
IMAGE = "/cache/venvs/vllm-cpu-aba5c4de33ec"


def _endpoint(entry, url="http://127.0.0.1:8001", image=IMAGE):
    return endpoint_record(entry, "ready", url=url, server="vllm-" + entry["key"], image=image)


def _passed_check(kind):
    gate = "cosine" if kind == "embedding" else "ranking"
    return {"passed": True, "gates": {gate: {"passed": True}}, "failed_gates": [], "skipped_gates": [],
            "corpus_size": 20, "provenance": {"corpus_sha256": "abc"}, "msg": "ok"}


def _report(entries, failing=(), when=MADE):
    results = {}
    for entry in entries:
        check = _passed_check(entry["kind"])
        if entry["key"] in failing:
            check = dict(check, passed=False, failed_gates=["cosine"])
        results[entry["key"]] = result_record(entry, _endpoint(entry), {"type": "caikit", "url": "http://127.0.0.1:8085"},
                                              check=check)
        results[entry["key"]]["performance"] = {"status": "passed", "advisory": True}
    decision = decide(results)
    return {"schema": constants.REPORT_SCHEMA,
            "decision": {"decision": decision["decision"], "generated_at": when,
                         "passed_models": decision["passed_models"]},
            "models": publish_models(results, decision)}


@pytest.fixture
def minilm():
    return resolve_models({}, ["minilm"])[0]


@pytest.fixture
def both():
    return resolve_models({}, ["minilm", "msmarco"])


def test_migrate_moves_every_passed_model_and_keep_caikit_none(both):
    assert cutover_allowed(_report(both)) == {"minilm": "", "msmarco": ""}
    kept = cutover_allowed(_report(both, failing=("minilm",)))
    assert all(kept.values()) and "keep_caikit" in kept["msmarco"]


def test_hybrid_moves_embeddings_only(both):
    report = _report(both, failing=("msmarco",))
    assert report["decision"]["decision"] == "hybrid"
    allowed = cutover_allowed(report)
    assert allowed["minilm"] == ""
    assert "reranker models stay on Caikit" in allowed["msmarco"]


def test_complete_fresh_evidence_for_this_target_passes(minilm):
    report = _report([minilm])
    assert evidence_problems(report, "minilm", target_record(_endpoint(minilm)), SOON, DAY) == []


def test_stale_report_is_refused_with_its_age(minilm):
    report = _report([minilm])
    problems = evidence_problems(report, "minilm", target_record(_endpoint(minilm)), "2026-11-26T10:00:00Z", DAY)
    assert len(problems) == 1 and "stale" in problems[0] and "172800 s ago" in problems[0]


@pytest.mark.parametrize("field, value, words", [
    ("url", "http://127.0.0.1:9999", "endpoint"),
    ("image", "quay.io/vllm/vllm:other", "image"),
    ("served_name", "other-name", "served name"),
    ("model", "sentence-transformers/other", "model"),
])
def test_report_for_another_target_is_refused(minilm, field, value, words):
    target = dict(target_record(_endpoint(minilm)), **{field: value})
    problems = evidence_problems(_report([minilm]), "minilm", target, SOON, DAY)
    assert problems == ["the report was made for %s %r, not %r" % (
        words, target_record(_endpoint(minilm))[field], value)]


def test_report_for_another_model_key_is_refused(minilm):
    problems = evidence_problems(_report([minilm]), "granite", target_record(_endpoint(minilm)), SOON, DAY)
    assert problems == ["the report has no result for 'granite' (it covers: minilm)"]


def test_partial_evidence_is_refused(minilm):
    report = _report([minilm])
    report["models"]["minilm"]["gates"] = {}
    report["models"]["minilm"]["skipped_gates"] = ["long_input"]
    del report["models"]["minilm"]["candidate"]["image"]
    problems = " | ".join(evidence_problems(report, "minilm", target_record(_endpoint(minilm)), SOON, DAY))
    assert "no gates" in problems and "skipped gates: long_input" in problems and "names no image" in problems


def test_failed_model_and_foreign_documents_are_refused(minilm):
    failed = evidence_problems(_report([minilm], failing=("minilm",)), "minilm", target_record(_endpoint(minilm)), SOON, DAY)
    assert any("keep_caikit" in p for p in failed) and any("status failed" in p for p in failed)
    assert "schema" in evidence_problems({"decision": {}}, "minilm", {}, SOON, DAY)[0]
    assert "not a UTC time" in " ".join(evidence_problems(_report([minilm], when="yesterday"), "minilm",
                                                          target_record(_endpoint(minilm)), SOON, DAY))


def test_target_needs_a_ready_endpoint(minilm):
    with pytest.raises(CutoverError, match="'minilm' has no ready vLLM endpoint"):
        target_record(endpoint_record(minilm, "load_failed", reason="boom"))


def test_consumer_record_names_backend_url_api_and_evidence(minilm):
    report = _report([minilm])
    record = consumer_record(report, "minilm", target_record(_endpoint(minilm)), "sha256:ab")
    assert record == {"schema": constants.ENDPOINT_RECORD_SCHEMA, "model": "minilm", "model_name": minilm["model"],
                      "served_name": minilm["served_name"], "kind": "embedding", "backend": "vllm",
                      "url": "http://127.0.0.1:8001", "api": "openai", "decided_at": MADE, "report_digest": "sha256:ab"}


def test_report_digest_is_of_the_text():
    assert report_digest("{}\n") == "sha256:" + hashlib.sha256(b"{}\n").hexdigest()
    assert report_digest("{}\n") != report_digest("{}")
    with pytest.raises(CutoverError):
        report_digest({})


def test_state_keeps_the_first_snapshot_until_a_rollback(minilm):
    target = target_record(_endpoint(minilm))
    caikit = {"exists": True, "content_b64": "Y2Fpa2l0"}
    first = begin_state({}, "minilm", "endpoint_record", caikit, target, "sha256:1", MADE)
    assert first["status"] == "in_progress" and previous_of(first) == caikit
    # interrupted: the next run sees the half-applied file but must keep the state before vLLM
    again = begin_state(first, "minilm", "endpoint_record", {"exists": True, "content_b64": "dmxsbQ=="}, target,
                        "sha256:1", SOON)
    assert previous_of(again) == caikit
    done = finish_state(again, "cut_over", SOON)
    assert done["cut_over_at"] == SOON
    # the same finished move is returned unchanged: a second run writes nothing
    assert begin_state(done, "minilm", "endpoint_record", {"exists": True}, target, "sha256:1", "later") == done
    assert finish_state(done, "cut_over", "later") == done
    # a newer report keeps the state before vLLM too
    newer = begin_state(done, "minilm", "endpoint_record", {"exists": True}, target, "sha256:2", "later")
    assert newer["status"] == "in_progress" and previous_of(newer) == caikit
    rolled = finish_state(newer, "rolled_back", "later")
    assert rolled["rolled_back_at"] == "later" and finish_state(rolled, "rolled_back", "much later") == rolled
    # after a rollback the next cutover snapshots afresh
    fresh = begin_state(rolled, "minilm", "endpoint_record", {"exists": False}, target, "sha256:2", "later")
    assert previous_of(fresh) == {"exists": False}


def test_state_refuses_another_strategy_on_a_live_cutover_and_foreign_documents(minilm):
    target = target_record(_endpoint(minilm))
    live = begin_state({}, "minilm", "endpoint_record", {"exists": False}, target, "d", MADE)
    with pytest.raises(CutoverError, match="roll back before using route_weights"):
        begin_state(live, "minilm", "route_weights", {}, target, "d", MADE)
    with pytest.raises(CutoverError, match="not a .*cutover-state/v1 document"):
        begin_state({"status": "cut_over"}, "minilm", "endpoint_record", {}, target, "d", MADE)
    with pytest.raises(CutoverError, match="unknown cutover strategy"):
        begin_state({}, "minilm", "dns", {}, target, "d", MADE)
    with pytest.raises(CutoverError, match="nothing to roll back"):
        previous_of({}, "minilm")
    failed = finish_state(copy.deepcopy(live), "failed", SOON, "smoke check failed")
    assert failed["reason"] == "smoke check failed" and failed["cut_over_at"] == ""


def test_file_snapshot_is_exact_or_absent():
    assert file_snapshot({"exists": False}) == {"exists": False}
    assert file_snapshot({"exists": True, "mode": "0640"}, "eyJhIjoxfQo=") == {
        "exists": True, "content_b64": "eyJhIjoxfQo=", "mode": "0640"}
