# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The score_check module against a scripted vLLM and a scripted rerank reference: a property of the server under
test (a context shorter than the model's, a served name that is not listed) is a failed gate, not a module error;
what is not (authentication) still fails the task."""

from __future__ import annotations

import zlib

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import score_gates
from ansible_collections.vllm_pooling.migration.plugins.modules import score_check

MAX_TOKENS = 128
CONTEXT = 32


def tokens(query, document):
    """The scripted tokenizer: one token per word, plus three special tokens."""
    return len(query.split()) + len(document.split()) + 3


def logit(query, document):
    return (zlib.crc32((query + "|" + document).encode()) % 1000) / 100.0 - 5.0


def refusal(query, documents, context):
    longest = max(tokens(query, d) for d in documents)
    if longest <= context:
        return None
    return 400, {"object": "error", "type": "BadRequestError", "code": 400,
                 "message": "This model's maximum context length is %d tokens. However, your prompt contains %d "
                            "input tokens, which exceeds this limit even without any output tokens. Please reduce "
                            "the length of the input prompt." % (context, longest)}  # vLLM 0.32's words


def flat(query, document):
    """A collapsed reranker's score: the same for every pair."""
    return 0.25


def serve_vllm(server, context=CONTEXT, served="bert", scores=logit):
    """/v1/models, /v1/score and /v1/rerank of a vLLM serving ``served`` with ``--max-model-len context``; the
    reference at ``/ref/rerank``, and a collapsed one (``flat`` scores) at ``/flat/rerank``."""
    def score(body):
        docs = body["documents"]
        return refusal(body["queries"], docs, context) or {
            "data": [{"index": i, "score": scores(body["queries"], d)} for i, d in enumerate(docs)]}

    def rerank(body):
        docs = body["documents"]
        return refusal(body["query"], docs, context) or {
            "results": [{"index": i, "relevance_score": scores(body["query"], d)} for i, d in enumerate(docs)]}

    server.route("/v1/models", body={"data": [{"id": served, "root": "/models/bert", "max_model_len": context}]})
    server.route("/version", body={"version": "0.32.0"})
    server.route("/v1/score", body=score)
    server.route("/v1/rerank", body=rerank)
    # the reference: the same model with its full context, through the Cohere-style API
    server.route("/ref/rerank", body=lambda body: refusal(body["query"], body["documents"], MAX_TOKENS) or {
        "results": [{"index": i, "relevance_score": logit(body["query"], d)} for i, d in enumerate(body["documents"])]})
    server.route("/flat/rerank", body=lambda body: refusal(body["query"], body["documents"], MAX_TOKENS) or {
        "results": [{"index": i, "relevance_score": flat(body["query"], d)} for i, d in enumerate(body["documents"])]})


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(score_check.main, args)


def module_args(server, **extra):
    args = dict(model="bert", candidate_url=server.url, candidate_model="bert", candidate_activation="identity",
                reference_type="openai", reference_url=server.url, reference_rerank_path="/ref/rerank",
                reference_model="bert", reference_activation="identity", max_tokens=MAX_TOKENS,
                check_labelled=False, fail_on_gate=False)
    args.update(extra)
    return args


def test_a_short_context_is_a_failed_served_and_input_lengths_gate_with_both_numbers(scripted_server, run_module):
    serve_vllm(scripted_server)
    result = run_module(module_args(scripted_server))
    assert not result.get("failed"), result["msg"]
    assert "error" not in result
    assert result["passed"] is False
    assert {"served", "input_lengths", "long_input"} <= set(result["failed_gates"])
    served = result["gates"]["served"]
    assert served["max_model_len"] == CONTEXT and served["expected_max_model_len"] == MAX_TOKENS
    lengths = result["gates"]["input_lengths"]
    assert lengths["rejected_by_candidate"] >= 1 and lengths["rejected_by_reference"] == 0
    assert lengths["candidate_context_tokens"] == CONTEXT and lengths["max_tokens"] == MAX_TOKENS
    first = lengths["mismatches"][0]
    assert first["rejected_by"] == "candidate" and first["context_tokens"] == CONTEXT and first["pair_tokens"] > CONTEXT
    assert "context is %d tokens" % CONTEXT in lengths["reason"] and "max_tokens is %d" % MAX_TOKENS in lengths["reason"]
    # the pairs both sides scored are still compared, and agree
    assert 0 < result["pairs_compared"] < result["corpus_size"]
    assert result["gates"]["score_parity"]["passed"] and result["gates"]["ranking"]["passed"]


def test_a_context_too_short_for_any_pair_leaves_the_score_gates_not_evaluated(scripted_server, run_module):
    serve_vllm(scripted_server, context=8)
    result = run_module(module_args(scripted_server))
    assert not result.get("failed"), result["msg"]
    assert result["pairs_compared"] == 0
    assert result["gates"]["input_lengths"]["rejected_by_candidate"] == result["corpus_size"]
    assert result["gates"]["score_parity"]["status"] == "failed"
    assert result["gates"]["score_parity"]["reason"].startswith("not evaluated: no pair was scored by both sides")


def test_a_served_name_that_is_not_listed_sends_no_pair(scripted_server, run_module):
    serve_vllm(scripted_server, context=MAX_TOKENS, served="other")
    result = run_module(module_args(scripted_server))
    assert not result.get("failed"), result["msg"]
    assert "served" in result["failed_gates"] and "not among the served models" in result["gates"]["served"]["reason"]
    assert not [r for r in scripted_server.requests if r["method"] == "POST"]
    assert result["gates"]["ranking"]["reason"].startswith("not evaluated: no pair was sent")
    # retrieval is not measured behind it either, and says so without counting as passed
    assert result["gates"]["retrieval"]["status"] == "skipped" and "retrieval" in result["skipped_gates"]
    assert "failed served" in result["gates"]["retrieval"]["reason"]


def test_a_correct_server_passes_and_fail_on_gate_fails_a_short_one(scripted_server, run_module):
    serve_vllm(scripted_server, context=MAX_TOKENS)
    result = run_module(module_args(scripted_server))
    assert result["passed"] is True and result["gates"]["input_lengths"]["passed"] is True
    assert result["pairs_compared"] == result["corpus_size"]
    serve_vllm(scripted_server)
    result = run_module(module_args(scripted_server, fail_on_gate=True))
    assert result["failed"] is True and "input_lengths:" in result["msg"] and "error" not in result


def test_what_is_not_a_property_of_the_server_still_fails_the_task(scripted_server, run_module):
    serve_vllm(scripted_server)
    scripted_server.route("/v1/score", status=401, body={"error": {"message": "invalid api key"}})
    result = run_module(module_args(scripted_server))
    assert result["failed"] is True and result["error"]["endpoint"].endswith("/v1/score")
    assert "401" in result["msg"]


def test_a_candidate_with_one_score_for_every_document_fails_distinct_outputs(scripted_server, run_module):
    serve_vllm(scripted_server, context=MAX_TOKENS, scores=flat)
    result = run_module(module_args(scripted_server, fail_on_gate=True))
    assert result["failed"] is True and "distinct_outputs" in result["failed_gates"]
    gate = result["gates"]["distinct_outputs"]
    assert gate["candidate"]["collapsed"] is True and gate["reference_collapsed"] is False
    queries = gate["candidate"]["queries_judged"]
    assert queries == len(result["gates"]["ranking"]["vs_reference"]["queries"]) > 1
    assert gate["reason"].startswith("the candidate model 'bert' at %s/v1/score returned one score for all documents of "
                                     "each of the %d queries (%d distinct documents in all)"
                                     % (scripted_server.url, queries, gate["candidate"]["distinct_inputs"]))
    assert "truncation" in gate["reason"] and "tokenizer" in gate["reason"]


def test_a_reference_with_one_score_for_every_document_fails_distinct_outputs(scripted_server, run_module):
    serve_vllm(scripted_server, context=MAX_TOKENS)
    result = run_module(module_args(scripted_server, reference_rerank_path="/flat/rerank"))
    assert result["passed"] is False and "distinct_outputs" in result["failed_gates"]
    gate = result["gates"]["distinct_outputs"]
    assert gate["candidate"]["collapsed"] is False and gate["reference_collapsed"] is True
    assert gate["reason"].startswith("the reference (rerank) model 'bert' at %s/flat/rerank returned one score for all "
                                     "documents" % scripted_server.url)
    assert "parity with it proves nothing" in gate["reason"]


def test_both_rerankers_collapsed_fail_distinct_outputs_though_their_scores_agree(scripted_server, run_module):
    serve_vllm(scripted_server, context=MAX_TOKENS, scores=flat)
    result = run_module(module_args(scripted_server, reference_rerank_path="/flat/rerank", check_retrieval=False))
    assert result["gates"]["score_parity"]["passed"] is True and result["gates"]["ranking"]["passed"] is True
    assert result["passed"] is False and result["failed_gates"] == ["distinct_outputs"]
    assert "as well, so parity with it proves nothing" in result["gates"]["distinct_outputs"]["reason"]


@pytest.mark.parametrize("detail, numbers", [
    ("This model's maximum context length is 64 tokens. However, your prompt contains at least 65 input tokens, "
     "which exceeds this limit even without any output tokens.", (64, 65)),
    ("This model's maximum context length is 32 tokens. However, you requested 41 tokens in the input.", (32, 41)),
    ("This model's maximum context length is 64 tokens. However, your prompt contains 9000 characters (more than "
     "1280 characters, which is the upper bound for 64 input tokens).", (64, None)),
    ("input too long", (None, None)),
])
def test_length_numbers_from_the_words_of_vllm_versions(detail, numbers):
    assert score_gates.length_numbers(detail) == numbers


def test_the_weights_gate_runs_with_model_path_alone_and_fails_other_weights(scripted_server, run_module, tmp_path):
    from safetensors_files import caikit_folder, hf_folder, model_tensors  # noqa: E402 - tests/unit

    serve_vllm(scripted_server, context=MAX_TOKENS)
    served = str(hf_folder(tmp_path))
    # model_path without scoring_python: no third opinion, but the weights gate and the provenance
    same = run_module(module_args(scripted_server, model_path=served, reference_weights_path=str(
        caikit_folder(tmp_path, module="CrossEncoderModule"))))
    assert same["gates"]["weights"]["status"] == "passed" and same["passed"] is True, same.get("msg")
    assert same["gates"]["model_agreement"]["status"] == "skipped"
    assert same["provenance"]["candidate"]["weights_digest"] == same["provenance"]["reference"]["weights_digest"]
    other = str(caikit_folder(tmp_path, "other", module="CrossEncoderModule", tensors=model_tensors(seed=4)))
    failed = run_module(module_args(scripted_server, model_path=served, reference_weights_path=other))
    assert failed["passed"] is False and failed["failed_gates"] == ["weights"]
    assert "weights: different weights: vLLM loads %s" % served in failed["msg"]
    accepted = run_module(module_args(scripted_server, model_path=served, reference_weights_path=other,
                                      weights_mismatch="warn"))
    assert accepted["passed"] is True and "weights" in accepted["skipped_gates"]
    assert [w["gate"] for w in accepted["check_warnings"]] == ["weights"]
    # an embedding model's Caikit folder as a reranker's reference: another model
    wrong_kind = run_module(module_args(scripted_server, model_path=served,
                                        reference_weights_path=str(caikit_folder(tmp_path, "embedding"))))
    assert "weights" in wrong_kind["failed_gates"] and "EmbeddingModule" in wrong_kind["gates"]["weights"]["reason"]
