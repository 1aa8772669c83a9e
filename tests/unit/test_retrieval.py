# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""retrieval.py: graded metrics, the paired bootstrap, exact rankings, the BEIR loader, BM25, the gate and the
attribution to a side. The sources here are in-process stand-ins with the clients' ``embed``/``score`` shape;
the live tests (tests/integration/test_retrieval_live.py) run the same code against the real servers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval
from ansible_collections.vllm_pooling.migration.plugins.module_utils.retrieval import (
    DatasetError, LabelledSet, bm25_candidates, embedding_rankings, load_beir, measure, mrr_at_k, ndcg_at_k,
    paired_bootstrap, recall_at_k)

SETTINGS = {"k": 3, "recall_at": (3,), "margin": 0.01, "confidence": 0.95, "samples": 500}


def test_graded_metrics_follow_their_definitions():
    grades = {"a": 2, "b": 1}
    # DCG = 1/log2(2) [b at rank 1] + 2/log2(4) [a at rank 3]; ideal = 2/log2(2) + 1/log2(3)
    assert ndcg_at_k(["b", "x", "a"], grades, 3) == pytest.approx((1 + 2 / 2.0) / (2 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "b"], grades, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y", "a"], grades, 2) == 0.0
    assert mrr_at_k(["x", "b", "a"], grades, 10) == 0.5 and mrr_at_k(["x", "y"], grades, 10) == 0.0
    assert recall_at_k(["a", "x", "b"], grades, 2) == 0.5 and recall_at_k(["a", "x", "b"], grades, 3) == 1.0


def test_the_bootstrap_is_zero_for_identical_sides_and_bounds_a_consistent_loss():
    same = paired_bootstrap([0.5, 0.7, 0.9], [0.5, 0.7, 0.9], samples=200)
    assert same["mean"] == 0.0 and same["interval"] == [0.0, 0.0] and same["lower_bound"] == 0.0
    rng = np.random.default_rng(1)
    reference = rng.uniform(0.3, 1.0, 50)
    worse = paired_bootstrap(reference - rng.uniform(0.02, 0.08, 50), reference, samples=1000)
    assert worse["mean"] == pytest.approx(-0.05, abs=0.01)
    assert worse["interval"][0] < worse["mean"] < worse["interval"][1] < 0 and worse["lower_bound"] < -0.01
    assert worse["worse_queries"] == 50 and worse["better_queries"] == 0
    assert paired_bootstrap(reference - 0.05, reference, samples=1000, seed=3) == \
        paired_bootstrap(reference - 0.05, reference, samples=1000, seed=3)


def tiny_set():
    documents = {"d%d" % i: "passage %d" % i for i in range(6)}
    queries = {"q0": "first", "q1": "second", "q2": "third", "q3": "fourth"}
    qrels = {"q0": {"d0": 2, "d1": 1}, "q1": {"d2": 2}, "q2": {"d3": 2, "d4": 1}, "q3": {"d5": 2}}
    return LabelledSet("tiny", "test", documents, queries, qrels)


class Embedder(object):
    """Each text's vector from a table: passages and queries on the unit circle, so cosine order is known."""

    kind = "openai"

    def __init__(self, table):
        self.table = table

    def embed(self, texts, truncate=False):
        return np.asarray([self.table[text] for text in texts], dtype=np.float64)


def angles(doc_angles, query_angles):
    table = {"passage %d" % i: [math.cos(a), math.sin(a)] for i, a in enumerate(doc_angles)}
    table.update({text: [math.cos(a), math.sin(a)] for text, a in zip(("first", "second", "third", "fourth"),
                                                                      query_angles)})
    return Embedder(table)


GOOD = angles([0.0, 0.2, 1.0, 2.0, 2.2, 3.0], [0.05, 1.0, 2.05, 3.0])
# the same passages, queries moved next to an unrelated passage: what wrong pooling does to a model's vectors
BAD = angles([0.0, 0.2, 1.0, 2.0, 2.2, 3.0], [1.0, 2.0, 3.0, 0.0])


def test_exact_rankings_and_a_server_that_reorders_fails_the_gate_naming_the_changed_queries():
    labelled = tiny_set()
    assert embedding_rankings(GOOD, labelled, 3)["q0"] == ["d0", "d1", "d2"]
    gate, detail, warnings = measure("embedding", GOOD, GOOD, None, SETTINGS, labelled_set=labelled)
    assert gate["passed"] is True and gate["delta"] == 0.0 and detail["changed_count"] == 0 and warnings == []
    assert detail["metrics"]["candidate"]["ndcg@3"] == 1.0 and "_rankings" not in detail
    gate, detail, _warnings = measure("embedding", BAD, GOOD, None, SETTINGS, labelled_set=labelled)
    assert gate["status"] == "failed" and gate["delta"] < -0.5 and gate["lower_bound"] < -0.01
    assert "may retrieve worse" in gate["reason"] and "ndcg@3 vLLM" in gate["reason"]
    assert detail["changed_count"] == 4 and {q["query"] for q in detail["changed_queries"]} == {"q0", "q1", "q2", "q3"}
    assert detail["changed_queries"][0]["ndcg_candidate"] < detail["changed_queries"][0]["ndcg_reference"]


def test_a_better_candidate_passes_and_a_margin_covers_a_small_loss():
    labelled = tiny_set()
    gate, _detail, _warnings = measure("embedding", GOOD, BAD, None, SETTINGS, labelled_set=labelled)
    assert gate["passed"] is True and gate["delta"] > 0
    # q3's answer swapped with its neighbour: a small loss on one query out of four
    slight = angles([0.0, 0.2, 1.0, 2.0, 2.2, 3.0], [0.05, 1.0, 2.05, 2.1])
    lost, _d, _w = measure("embedding", slight, GOOD, None, SETTINGS, labelled_set=labelled)
    assert lost["status"] == "failed"
    tolerant, _d, _w = measure("embedding", slight, GOOD, None, dict(SETTINGS, margin=0.9), labelled_set=labelled)
    assert tolerant["passed"] is True


def test_a_golden_reference_skips_the_gate_rather_than_passing_it():
    class Golden(object):
        kind = "golden"
    gate, detail, _warnings = measure("embedding", GOOD, Golden(), None, SETTINGS)
    assert gate["status"] == "skipped" and gate["passed"] is False and detail is None


class Reranker(object):
    """Scores a pair by how many of the query's words the document holds, plus a per-document shift."""

    kind = "caikit"

    def __init__(self, shift=None):
        self.shift = shift or {}

    def score(self, query, documents, truncate=False):
        words = set(query.lower().split())
        return [len(words & set(d.lower().split())) + self.shift.get(d, 0.0) for d in documents]


class Scorer(object):
    def __init__(self, reranker):
        self.reranker = reranker

    def scores(self, groups):
        return {"with_token_types": [self.reranker.score(g["query"], g["documents"]) for g in groups]}


def rerank_set():
    documents = {"r%d" % i: text for i, text in enumerate([
        "rotate the route certificate", "route certificate expiry alert", "rotate logs daily",
        "refund annual subscription", "subscription plans compared", "annual refund policy details"])}
    queries = {"qa": "rotate route certificate", "qb": "annual subscription refund"}
    qrels = {"qa": {"r0": 2, "r1": 1}, "qb": {"r3": 2, "r5": 1}}
    return LabelledSet("rerank", "test", documents, queries, qrels)


def test_rerankers_rerank_the_same_candidates_and_the_third_opinion_names_the_deviating_side():
    labelled = rerank_set()
    first, description = retrieval.first_stage(labelled, 4)
    assert first["qa"][0] == "r0" and len(first["qa"]) == 4 and "BM25" in description
    right = Reranker()
    # the reference pushes a wrong passage to the top of both queries
    wrong = Reranker({"rotate logs daily": 5.0, "subscription plans compared": 5.0})
    settings = dict(SETTINGS, recall_at=(3,))
    gate, detail, warnings = measure("reranker", right, wrong, None, settings, rerank_depth=4, scorer=Scorer(right),
                                     labelled_set=labelled)
    assert gate["passed"] is True and detail["first_stage"].startswith("lexical BM25")
    gate, detail, warnings = measure("reranker", wrong, right, None, settings, rerank_depth=4, scorer=Scorer(right),
                                     labelled_set=labelled)
    assert gate["status"] == "failed" and gate["attribution"] == "candidate" and warnings == []
    # vLLM ranks as the model does, the reference does not, and the labels happen to favour the reference's
    # order: vLLM is worse by the labels, but the change comes from the reference
    favoured = LabelledSet("favoured", "test", dict(zip(labelled.doc_ids, labelled.doc_texts)),
                           dict(zip(labelled.query_ids, labelled.query_texts)),
                           {"qa": {"r2": 2}, "qb": {"r4": 2}})
    gate, detail, warnings = measure("reranker", right, wrong, None, settings, rerank_depth=4, scorer=Scorer(right),
                                     labelled_set=favoured)
    assert gate["passed"] is True and gate["attribution"] == "reference" and "comes from the reference" in gate["reason"]
    assert warnings and warnings[0]["gate"] == "retrieval" and detail["model_opinion"]["attribution"] == "reference"
    strict, _detail, _warnings = measure("reranker", right, wrong, None, settings, rerank_depth=4, scorer=Scorer(right),
                                         labelled_set=favoured, policy="fail")
    assert strict["status"] == "failed" and strict["attribution"] == "reference"


def test_bm25_finds_the_passage_with_the_query_terms_including_cjk_text():
    documents = {"a": "Zertifikat der Route erneuern", "b": "証明書の更新手順", "c": "Rechnung bezahlen"}
    labelled = LabelledSet("lex", "test", documents, {"q1": "Route Zertifikat", "q2": "証明書 更新"},
                           {"q1": {"a": 2}, "q2": {"b": 2}})
    found = bm25_candidates(labelled, 2)
    assert found["q1"][0] == "a" and found["q2"][0] == "b"


def write_beir(folder, corpus, queries, qrels, header=True, qrels_name="qrels.tsv"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(row) + "\n" for row in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(row) + "\n" for row in queries))
    path = folder / qrels_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(("query-id\tcorpus-id\tscore\n" if header else "") + "".join("%s\t%s\t%s\n" % r for r in qrels))


CORPUS = [{"_id": "d1", "title": "Routes", "text": "Rotate the certificate."}, {"_id": "d2", "text": "Other."}]
QUERIES = [{"_id": "q1", "text": "rotate cert"}, {"_id": "q2", "text": "unjudged"}]


def test_a_beir_folder_loads_with_titles_grades_and_its_first_stage(tmp_path):
    write_beir(tmp_path / "set", CORPUS, QUERIES, [("q1", "d1", 2), ("q1", "d2", 0)], qrels_name="qrels/test.tsv")
    (tmp_path / "set" / "candidates.tsv").write_text("q1\td2\nq1\td1\n")
    labelled = load_beir(str(tmp_path / "set"))
    assert labelled.query_ids == ["q1"] and labelled.qrels == {"q1": {"d1": 2}}  # unjudged and grade 0 left out
    assert labelled.doc_texts[0] == "Routes. Rotate the certificate." and labelled.candidates == {"q1": ["d2", "d1"]}
    first, description = retrieval.first_stage(labelled, 5)
    assert first == {"q1": ["d2", "d1"]} and "candidates.tsv" in description
    again = load_beir(str(tmp_path / "set"))
    assert again.sha256 == labelled.sha256 and again.describe()["queries"] == 1


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "qrels.tsv").unlink(), "has no qrels.tsv or qrels/test.tsv"),
    (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1", "text": "ok"}\nnot json\n'), "corpus.jsonl line 2"),
    (lambda f: (f / "queries.jsonl").write_text('{"_id": "q1"}\n'), "queries.jsonl line 1 (_id q1): no text"),
    (lambda f: (f / "qrels.tsv").write_text("q1\tmissing\t1\n"), "qrels name 1 passages not in the corpus"),
    (lambda f: (f / "qrels.tsv").write_text("q1\td1\thigh\n"), "grade 'high' is not a number"),
    (lambda f: (f / "qrels.tsv").write_text("q1\td1\n"), "expected 3 tab-separated columns"),
    (lambda f: (f / "qrels.tsv").write_text("q1\td1\t0\n"), "no query with a relevant passage"),
    (lambda f: (f / "corpus.jsonl").write_text(""), "has no passages"),
])
def test_a_broken_beir_folder_is_refused_naming_the_file_and_the_fault(tmp_path, damage, message):
    folder = tmp_path / "set"
    write_beir(folder, CORPUS, QUERIES, [("q1", "d1", 1)], header=False)
    damage(folder)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_beir(str(folder))


def test_a_path_that_is_not_a_folder_says_what_to_give(tmp_path):
    with pytest.raises(DatasetError, match="is not a folder .*corpus.jsonl, queries.jsonl, qrels.tsv"):
        retrieval.load_labelled_set(str(tmp_path / "nowhere"))
