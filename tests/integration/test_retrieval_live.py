"""Retrieval quality on labelled data through the real servers: the built-in set embedded by the real vLLM CPU
server and the real Caikit-NLP runtime, exact retrieval, the gate.

The right deployment must pass it; the same weights served with CLS pooling (answers HTTP 200, wrong vectors)
must fail it - the set is big enough to tell. A user's BEIR folder holding the same set must give the same
measurement (the loader reads what the built-in set holds). The precision variants pass it in the zoo tests.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval_set
from live_servers import run_module

pytestmark = pytest.mark.timeout(900)


def check_args(servers, candidate="minilm", **overrides):
    args = {
        "model": "minilm", "candidate_url": servers.require(candidate), "candidate_model": candidate,
        "reference_type": "caikit", "reference_url": servers["caikit"], "reference_model": "minilm",
        "expected_dimension": 384, "max_tokens": 256, "check_long_inputs": False, "length_passages": False,
        "fail_on_gate": False,
    }
    args.update(overrides)
    return args


_RESULTS = {}


def checked(servers, candidate):
    if candidate not in _RESULTS:
        _RESULTS[candidate] = run_module("embedding_check", check_args(servers, candidate))
    result = _RESULTS[candidate]
    assert not result.get("failed"), result.get("msg")
    return result


def test_the_right_deployment_retrieves_as_caikit_does(local_servers):
    result = checked(local_servers, "minilm")
    gate, detail = result["gates"]["retrieval"], result["retrieval"]
    assert gate["status"] == "passed", gate["reason"]
    assert detail["dataset"]["source"] == "builtin" and detail["dataset"]["queries"] == len(retrieval_set.QUERIES)
    metrics = detail["metrics"]
    # a real model on a set written to be answerable: far above chance, and the same on both sides
    assert metrics["reference"]["ndcg@10"] > 0.5 and metrics["reference"]["mrr@10"] > 0.5
    assert abs(metrics["candidate"]["ndcg@10"] - metrics["reference"]["ndcg@10"]) < 0.01
    assert gate["lower_bound"] >= -0.01 and gate["interval"][0] <= gate["delta"] <= gate["interval"][1]
    print("retrieval on the built-in set: %s s (reference), %s s (vLLM); %s" % (
        detail["seconds"]["reference"], detail["seconds"]["candidate"], json.dumps(metrics)))


def test_cls_pooling_fails_the_retrieval_gate_and_names_the_queries(local_servers):
    result = checked(local_servers, "minilm_cls")
    gate, detail = result["gates"]["retrieval"], result["retrieval"]
    assert gate["status"] == "failed" and "retrieval" in result["failed_gates"], gate["reason"]
    assert gate["delta"] < -0.01 and gate["lower_bound"] < -0.01
    assert "may retrieve worse than the reference" in gate["reason"] and "retrieval" in result["msg"]
    assert detail["changed_count"] > 0 and detail["changed_queries"]
    worst = detail["changed_queries"][0]
    assert worst["ndcg_candidate"] < worst["ndcg_reference"] and worst["text"] == retrieval_set.QUERIES[worst["query"]]
    print("CLS pooling on the built-in set: %s; delta %s, interval %s; %d queries changed" % (
        json.dumps(detail["metrics"]), gate["delta"], gate["interval"], detail["changed_count"]))


def test_a_beir_folder_of_the_same_set_gives_the_same_measurement(local_servers, tmp_path):
    folder = tmp_path / "my-set"
    folder.mkdir()
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for key, passage in retrieval_set.CORPUS.items():
            handle.write(json.dumps(dict(passage, _id=key), ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as handle:
        for key, text in retrieval_set.QUERIES.items():
            handle.write(json.dumps({"_id": key, "text": text}, ensure_ascii=False) + "\n")
    with open(folder / "qrels.tsv", "w", encoding="utf-8") as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        for query, grades in retrieval_set.QRELS.items():
            handle.writelines("%s\t%s\t%d\n" % (query, doc, grade) for doc, grade in grades.items())
    mine = run_module("embedding_check", check_args(local_servers, retrieval_dataset=str(folder)))
    assert not mine.get("failed"), mine.get("msg")
    builtin = checked(local_servers, "minilm")["retrieval"]
    assert mine["retrieval"]["dataset"]["source"] == str(folder)
    assert mine["retrieval"]["dataset"]["sha256"] == builtin["dataset"]["sha256"]
    assert mine["retrieval"]["metrics"] == builtin["metrics"]


def test_a_broken_folder_fails_the_check_naming_model_and_file(local_servers, tmp_path):
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "y"}\n')
    result = run_module("embedding_check", check_args(local_servers, retrieval_dataset=str(tmp_path)))
    assert result["failed"] is True and "passed" not in result
    assert result["msg"].startswith("model 'minilm': labelled set %s has no qrels.tsv" % tmp_path)
