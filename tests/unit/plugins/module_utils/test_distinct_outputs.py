# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Collapsed output (one vector for every text, one score for every document) and the distinct_outputs gate, alone
and inside the embedding and score parity runs, on either side."""

from __future__ import annotations

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import pairs
from ansible_collections.vllm_pooling.migration.plugins.module_utils.distinct_outputs import (
    MIN_DISTINCT, distinct_outputs_gate, scores_collapsed, side, vectors_collapsed)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.embedding_parity import run_embedding_parity
from ansible_collections.vllm_pooling.migration.plugins.module_utils.score_parity import ScoreSettings, run_score_parity

from test_parity_corpus_golden import CORPUS, FakeSource  # noqa: E402 - tests/unit/plugins/module_utils on sys.path
from test_score_parity import LIMIT, Side  # noqa: E402

TEXTS = ["alpha", "beta", "gamma", "delta"]
CANDIDATE = {"role": "candidate", "type": "openai", "model": "minilm", "url": "http://vllm:8000/v1/embeddings"}
REFERENCE = {"role": "reference", "type": "caikit", "model": "all-minilm-l6-v2", "url": "http://caikit:8080/api"}


def near(count, cosine, dimension=384, seed=0):
    """``count`` unit vectors whose cosine to their common centre is about ``cosine`` (a real model's close texts)."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=dimension)
    centre /= np.linalg.norm(centre)
    rows = []
    for _row in range(count):
        noise = rng.normal(size=dimension)
        noise -= noise.dot(centre) * centre
        noise /= np.linalg.norm(noise)
        rows.append(cosine * centre + np.sqrt(1 - cosine ** 2) * noise)
    return rows


# --- vectors ----------------------------------------------------------------------------------------------------

def test_one_vector_for_every_distinct_text_is_collapsed():
    found = vectors_collapsed(TEXTS, [np.array([0.5, 0.5, 0.5, 0.5])] * 4)
    assert found["judged"] is True and found["collapsed"] is True and found["distinct_inputs"] == 4
    assert found["max_cosine_distance"] == 0.0 and found["max_norm_difference"] == 0.0


def test_float_noise_around_one_vector_is_still_collapsed():
    base = np.array(near(1, 1.0)[0])
    rows = [base * (1 + 1e-9 * i) + 1e-9 * i for i in range(4)]
    assert vectors_collapsed(TEXTS, rows)["collapsed"] is True


def test_close_vectors_of_a_real_model_are_not_collapsed():
    """Distinct sentences of real models reach cosine 0.9 and more to each other: that is not collapse."""
    rows = near(4, 0.995)
    cosines = [float(np.dot(rows[0], row)) for row in rows[1:]]
    assert min(cosines) > 0.98
    found = vectors_collapsed(TEXTS, rows)
    assert found["judged"] is True and found["collapsed"] is False and found["max_cosine_distance"] > 1e-3


def test_one_direction_with_other_norms_is_not_collapsed():
    base = np.array([0.6, 0.8, 0.0])
    assert vectors_collapsed(TEXTS[:3], [base, 2 * base, 3 * base])["collapsed"] is False


def test_duplicate_texts_are_counted_once():
    # the same text twice (and a case or whitespace variant) legitimately gives the same vector
    texts = ["alpha", "alpha", "Alpha ", "beta"]
    rows = [np.array([1.0, 0.0])] * 3 + [np.array([0.0, 1.0])]
    found = vectors_collapsed(texts, rows)
    assert found["distinct_inputs"] == 2 and found["judged"] is False and found["collapsed"] is False
    # three distinct texts among duplicates, all one vector: collapsed
    found = vectors_collapsed(texts + ["gamma"], [np.array([1.0, 0.0])] * 5)
    assert found["distinct_inputs"] == 3 and found["collapsed"] is True


@pytest.mark.parametrize("count", [0, 1, MIN_DISTINCT - 1])
def test_too_few_distinct_texts_are_not_judged(count):
    found = vectors_collapsed(TEXTS[:count], [np.ones(4)] * count)
    assert found == {"judged": False, "collapsed": False, "distinct_inputs": count, "non_finite": 0,
                     "max_cosine_distance": None, "max_norm_difference": None}


def test_texts_a_side_did_not_embed_are_left_out():
    found = vectors_collapsed(TEXTS, [np.ones(4), None, np.ones(4), None])
    assert found["distinct_inputs"] == 2 and found["judged"] is False


def test_non_finite_vectors_are_left_out_without_a_crash():
    nan = np.array([np.nan, 1.0, 1.0, 1.0])
    found = vectors_collapsed(TEXTS, [nan, np.ones(4), np.ones(4), np.array([np.inf, 0, 0, 0])])
    assert found["non_finite"] == 2 and found["distinct_inputs"] == 2 and found["judged"] is False
    found = vectors_collapsed(TEXTS + ["epsilon"], [nan] + [np.ones(4)] * 4)
    assert found["non_finite"] == 1 and found["collapsed"] is True


def test_zero_vectors_everywhere_are_collapsed_and_one_zero_among_others_is_not():
    assert vectors_collapsed(TEXTS, [np.zeros(4)] * 4)["collapsed"] is True
    rows = [np.zeros(3), np.array([1.0, 0, 0]), np.array([0, 1.0, 0])]
    found = vectors_collapsed(TEXTS[:3], rows)
    assert found["collapsed"] is False and np.isfinite(found["max_cosine_distance"]) and np.isfinite(found["max_norm_difference"])


# --- scores -----------------------------------------------------------------------------------------------------

GROUPS = [{"query": "q%d" % n, "documents": ["d1", "d2", "d3", "d4"]} for n in range(3)]


def test_one_score_for_every_document_of_every_query_is_collapsed():
    found = scores_collapsed(GROUPS, [np.full(4, 0.25), np.full(4, -1.5), np.full(4, 0.25)])
    assert found["judged"] is True and found["collapsed"] is True
    assert found["queries_judged"] == found["queries_collapsed"] == 3 and found["distinct_inputs"] == 12


def test_one_query_with_distinct_scores_is_not_collapsed():
    found = scores_collapsed(GROUPS, [np.full(4, 0.25), np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.25)])
    assert found["judged"] is True and found["collapsed"] is False and found["queries_collapsed"] == 2


def test_scores_within_the_tolerance_are_the_same_score():
    found = scores_collapsed(GROUPS[:1], [np.array([2.0, 2.0 + 1e-7, 2.0 - 1e-7, 2.0])])
    assert found["collapsed"] is True
    assert scores_collapsed(GROUPS[:1], [np.array([2.0, 2.001, 2.0, 2.0])])["collapsed"] is False


def test_saturated_sigmoid_scores_are_compared_as_logits():
    # irrelevant documents of a sigmoid reranker: probabilities apart by less than 1e-6, logits by more than one
    tiny = [np.array([1e-7, 3e-7, 8e-7, 5e-8])]
    assert scores_collapsed(GROUPS[:1], tiny, "identity")["collapsed"] is True
    assert scores_collapsed(GROUPS[:1], tiny, "sigmoid")["collapsed"] is False
    assert scores_collapsed(GROUPS[:1], [np.ones(4)], "sigmoid")["collapsed"] is True  # saturated everywhere


def test_queries_with_fewer_than_three_distinct_documents_are_not_judged():
    groups = [{"query": "q", "documents": ["d1", "d1", "D1", "d2"]}, {"query": "r", "documents": ["a", "b"]}]
    found = scores_collapsed(groups, [np.full(4, 0.5), np.full(2, 0.5)])
    assert found["judged"] is False and found["collapsed"] is False and found["most_distinct_documents"] == 2
    # judged queries decide; the others do not count either way
    found = scores_collapsed(groups + GROUPS[:1], [np.full(4, 0.5), np.array([0.1, 0.9]), np.full(4, 0.5)])
    assert found["queries_judged"] == 1 and found["collapsed"] is True


def test_non_finite_scores_are_left_out_without_a_crash():
    found = scores_collapsed(GROUPS[:1], [np.array([np.nan, 0.5, 0.5, np.inf])])
    assert found["non_finite"] == 2 and found["judged"] is False
    assert scores_collapsed(GROUPS[:1], [None])["judged"] is False


# --- the gate ---------------------------------------------------------------------------------------------------

COLLAPSED = vectors_collapsed(TEXTS, [np.ones(4)] * 4)
FINE = vectors_collapsed(TEXTS, near(4, 0.9))


def test_the_gate_fails_a_collapsed_candidate_naming_model_url_count_and_what_to_check():
    result = distinct_outputs_gate("embedding", COLLAPSED, FINE, CANDIDATE, REFERENCE)
    assert result["status"] == "failed" and result["reference_collapsed"] is False
    assert result["reason"].startswith("the candidate model 'minilm' at http://vllm:8000/v1/embeddings returned the "
                                       "same vector for all 4 distinct texts: check the pooling type")
    for hint in ("truncation", "max_model_len", "tokenizer", "model path"):
        assert hint in result["reason"]
    assert "reference" not in result["reason"]
    assert result["cosine_distance"] == 1e-6 and result["min_distinct"] == MIN_DISTINCT


def test_the_gate_fails_a_collapsed_reference_because_parity_with_it_means_nothing():
    result = distinct_outputs_gate("embedding", FINE, COLLAPSED, CANDIDATE, REFERENCE)
    assert result["status"] == "failed" and result["reference_collapsed"] is True
    assert result["reason"].startswith("the reference (caikit) model 'all-minilm-l6-v2' at http://caikit:8080/api "
                                       "returned the same vector for all 4 distinct texts, so parity with it proves")
    both = distinct_outputs_gate("embedding", COLLAPSED, COLLAPSED, CANDIDATE, REFERENCE)
    assert both["status"] == "failed" and "the candidate model 'minilm'" in both["reason"] and "as well" in both["reason"]


def test_the_gate_is_never_passed_when_the_candidate_was_not_judged():
    few = vectors_collapsed(TEXTS[:2], [np.ones(4)] * 2)
    result = distinct_outputs_gate("embedding", few, few, CANDIDATE, REFERENCE)
    assert result["status"] == "skipped" and result["passed"] is False
    assert result["reason"] == "not judged: the candidate answered fewer than 3 distinct texts (2)"
    # a collapsed reference still fails it
    assert distinct_outputs_gate("embedding", few, COLLAPSED, CANDIDATE, REFERENCE)["status"] == "failed"


def test_the_gate_passes_distinct_answers_and_says_when_the_reference_was_not_judged():
    result = distinct_outputs_gate("embedding", FINE, FINE, CANDIDATE, REFERENCE)
    assert result["status"] == "passed" and result["reason"].startswith("the candidate gives distinct vectors (4 distinct")
    alone = distinct_outputs_gate("embedding", FINE, None, CANDIDATE, REFERENCE)
    assert alone["status"] == "passed" and "the reference was not judged" in alone["reason"]
    scores = scores_collapsed(GROUPS, [np.array([0.1, 0.2, 0.3, 0.4])] * 3)
    rerank = distinct_outputs_gate("reranker", scores, scores, CANDIDATE, REFERENCE)
    assert rerank["reason"] == "the candidate gives distinct scores (12 distinct documents over 3 queries)"
    assert rerank["score_tolerance"] == 1e-6


def test_side_names_a_source_by_its_served_name_or_model():
    class Client(object):
        kind, url, served_model = "openai", "http://h/v1/embeddings", "minilm"

    class Recorder(object):
        kind, url, source = "caikit", "http://c", type("Caikit", (), {"model_id": "all-minilm"})()

    assert side(Client()) == {"role": "candidate", "type": "openai", "url": "http://h/v1/embeddings", "model": "minilm"}
    assert side(Recorder(), role="reference")["model"] == "all-minilm"
    assert side(object(), "given")["model"] == "given" and side(object())["url"] is None


# --- inside the parity runs -------------------------------------------------------------------------------------

class Constant(FakeSource):
    """A collapsed server: one vector for every text (a pooling or truncation error, a stub)."""

    def vector(self, text):
        return np.full(self.dim, 1.0 / np.sqrt(self.dim))


def test_embedding_parity_fails_a_collapsed_candidate_or_reference_and_passes_distinct_ones():
    fine = run_embedding_parity(FakeSource(), FakeSource(), CORPUS)
    assert fine["passed"] and fine["gates"]["distinct_outputs"]["status"] == "passed"
    candidate = run_embedding_parity(Constant(), FakeSource(), CORPUS, served_model="minilm")
    assert "distinct_outputs" in candidate["failed_gates"]
    assert candidate["gates"]["distinct_outputs"]["reason"].startswith(
        "the candidate model 'minilm' at memory://fake returned the same vector for all 5 distinct texts")
    reference = run_embedding_parity(FakeSource(), Constant(), CORPUS)
    assert "distinct_outputs" in reference["failed_gates"] and reference["gates"]["distinct_outputs"]["reference_collapsed"]
    both = run_embedding_parity(Constant(), Constant(), CORPUS)
    assert both["failed_gates"] == ["distinct_outputs"]  # every parity gate agrees: only this one sees it


def test_embedding_parity_judges_each_side_on_the_texts_it_embedded():
    # the candidate rejects all but two texts: it is not judged, whatever input_lengths says
    result = run_embedding_parity(Constant(limit=4), FakeSource(), ["a b", "c d", "e f g h", "i j k l", "m n o p"])
    gate = result["gates"]["distinct_outputs"]
    assert gate["status"] == "skipped" and gate["candidate"]["distinct_inputs"] == 2
    assert "distinct_outputs" in result["skipped_gates"] and "input_lengths" in result["failed_gates"]


class ConstantSide(Side):
    def score(self, query, documents, truncate=False):
        return super().score(query, documents, truncate) * 0.0 + 0.3

    def rerank(self, query, documents, truncate=False):
        return self.score(query, documents, truncate)


def score_run(candidate, reference):
    settings = ScoreSettings(served_model="m", expected_max_model_len=LIMIT, candidate_activation="sigmoid",
                             reference_activation="sigmoid", check_labelled=False)
    return run_score_parity(candidate, reference, pairs.builtin_groups(), pairs.long_pairs(LIMIT), settings,
                            served_models=["m"], served_config={"max_model_len": LIMIT, "root": "/w"})


def test_score_parity_fails_a_collapsed_candidate_or_reference():
    fine = score_run(Side(), Side())
    assert fine["passed"] and fine["gates"]["distinct_outputs"]["status"] == "passed"
    assert list(fine["gates"]).index("distinct_outputs") == list(fine["gates"]).index("ranking") + 1
    candidate = score_run(ConstantSide(), Side())
    assert "distinct_outputs" in candidate["failed_gates"]
    reason = candidate["gates"]["distinct_outputs"]["reason"]
    assert reason.startswith("the candidate model 'm' at http://scripted returned one score for all documents of each")
    reference = score_run(Side(), ConstantSide())
    assert reference["gates"]["distinct_outputs"]["reference_collapsed"] is True
    both = score_run(ConstantSide(), ConstantSide())
    assert "distinct_outputs" in both["failed_gates"] and both["gates"]["score_parity"]["passed"]


def test_score_parity_skips_distinct_outputs_when_no_pair_was_sent():
    settings = ScoreSettings(served_model="m", expected_max_model_len=LIMIT, candidate_activation="sigmoid",
                             reference_activation="sigmoid")
    result = run_score_parity(ConstantSide(), ConstantSide(), pairs.builtin_groups(), [], settings,
                              served_models=["other"], served_config={"max_model_len": LIMIT})
    gate = result["gates"]["distinct_outputs"]
    assert gate["status"] == "skipped" and gate["reason"].startswith("not judged: no pair was sent")
