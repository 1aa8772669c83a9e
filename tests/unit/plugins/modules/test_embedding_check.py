# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The embedding_check module's main() against a scripted vLLM and a scripted OpenAI-compatible reference:
the verdict and its message, fail_on_gate, arguments rejected by name, an unreachable endpoint, check mode."""

from __future__ import annotations

import math
import zlib

import pytest

from ansible_collections.vllm_pooling.migration.plugins.modules import embedding_check

MAX_TOKENS = 256


def vector(text, drift=False):
    """A unit vector from the text; ``drift`` gives the reference another model's vectors."""
    seed = zlib.crc32(text.encode())
    raw = [((seed >> shift) % 97) + 1.0 for shift in (0, 5, 10, 15)]
    if drift:
        raw = list(reversed(raw))
    norm = math.sqrt(sum(x * x for x in raw))
    return [x / norm for x in raw]


# Model names answered with one vector for every text: a collapsed server (pooling or truncation gone wrong, a stub).
CONSTANT_MODELS = ("flat", "constant")


def serve(server, served="minilm"):
    """vLLM serving ``served`` on /v1, and as reference the same API under the model names ``same`` and ``drifted``;
    the models of ``CONSTANT_MODELS`` answer ``[0.5, 0.5, 0.5, 0.5]`` for every text."""
    def answer(text, model):
        return [0.5] * 4 if model in CONSTANT_MODELS else vector(text, drift=model == "drifted")

    def embeddings(body):
        texts = body["input"]
        return {"data": [{"index": i, "embedding": answer(t, body["model"])} for i, t in enumerate(texts)],
                "usage": {"prompt_tokens": sum(len(t.split()) + 2 for t in texts)}}

    server.route("/v1/models", body={"data": [{"id": served, "root": "/models/minilm", "max_model_len": MAX_TOKENS}]})
    server.route("/version", body={"version": "0.32.0"})
    server.route("/v1/embeddings", body=embeddings)


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(embedding_check.main, args)


def module_args(server, **extra):
    args = dict(model="minilm", candidate_url=server.url, candidate_model="minilm", reference_type="openai",
                reference_url=server.url, reference_model="same", corpus=["Hello World", "a second text", "und Deutsch"],
                max_tokens=MAX_TOKENS, length_passages=False, check_long_inputs=False)
    args.update(extra)
    return args


def test_a_candidate_that_matches_passes_every_gate(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server))
    assert not result.get("failed"), result["msg"]
    assert result["passed"] is True and result["failed_gates"] == [] and result["changed"] is False
    assert result["msg"].startswith("model 'minilm': every gate passed on 3 texts")
    assert result["gates"]["cosine"]["min"] == pytest.approx(1.0)
    assert result["reference"] == {"type": "openai", "url": scripted_server.url + "/v1/embeddings", "model": "same"}
    assert result["provenance"]["candidate"]["version"] == "0.32.0"
    # the built-in labelled set went through both sides: the same vectors retrieve the same passages
    retrieval = result["retrieval"]
    assert result["gates"]["retrieval"]["passed"] is True and result["gates"]["retrieval"]["delta"] == 0.0
    assert retrieval["dataset"]["source"] == "builtin" and retrieval["changed_count"] == 0


def test_a_failed_gate_fails_the_task_unless_fail_on_gate_is_false(scripted_server, run_module):
    serve(scripted_server)
    failed = run_module(module_args(scripted_server, reference_model="drifted"))
    assert failed["failed"] is True and failed["passed"] is False and "cosine" in failed["failed_gates"]
    assert failed["msg"].startswith("model 'minilm' at %s/v1/embeddings failed gates: " % scripted_server.url)
    kept = run_module(module_args(scripted_server, reference_model="drifted", fail_on_gate=False))
    assert not kept.get("failed") and kept["passed"] is False and kept["failed_gates"] == failed["failed_gates"]
    # the drifted vectors are the same ones with their coordinates permuted: every cosine between two texts is
    # kept, so retrieval is the same and only the parity gates see the difference (real vectors that lose
    # quality fail retrieval: tests/integration/test_retrieval_live.py)
    assert kept["gates"]["retrieval"]["passed"] is True and kept["retrieval"]["changed_count"] == 0


def test_a_candidate_with_one_vector_for_every_text_fails_distinct_outputs(scripted_server, run_module):
    serve(scripted_server, served="flat")
    result = run_module(module_args(scripted_server, candidate_model="flat"))
    assert result["failed"] is True and "distinct_outputs" in result["failed_gates"]
    gate = result["gates"]["distinct_outputs"]
    assert gate["candidate"]["collapsed"] is True and gate["reference_collapsed"] is False
    assert ("the candidate model 'flat' at %s/v1/embeddings returned the same vector for all 3 distinct texts"
            % scripted_server.url) in gate["reason"]
    assert "pooling type" in gate["reason"] and "max_model_len" in gate["reason"] and "tokenizer" in gate["reason"]
    assert "distinct_outputs: the candidate model 'flat'" in result["msg"]


def test_a_reference_with_one_vector_for_every_text_fails_distinct_outputs(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, reference_model="constant", fail_on_gate=False))
    assert not result.get("failed") and result["passed"] is False and "distinct_outputs" in result["failed_gates"]
    gate = result["gates"]["distinct_outputs"]
    assert gate["candidate"]["collapsed"] is False and gate["reference_collapsed"] is True
    assert gate["reason"].startswith("the reference (openai) model 'constant' at %s/v1/embeddings returned the same "
                                     "vector for all 3 distinct texts, so parity with it proves nothing"
                                     % scripted_server.url)


def test_both_sides_collapsed_agree_on_every_parity_gate_and_fail_distinct_outputs(scripted_server, run_module):
    """The case parity cannot see: one vector everywhere on both sides is perfect agreement."""
    serve(scripted_server, served="flat")
    result = run_module(module_args(scripted_server, candidate_model="flat", reference_model="constant",
                                    fail_on_gate=False))
    assert result["passed"] is False and result["failed_gates"] == ["distinct_outputs"]
    assert result["gates"]["cosine"]["passed"] is True
    reason = result["gates"]["distinct_outputs"]["reason"]
    assert "the candidate model 'flat'" in reason and "model 'constant'" in reason and "as well" in reason


def test_fewer_than_three_distinct_texts_skip_distinct_outputs(scripted_server, run_module):
    serve(scripted_server, served="flat")
    result = run_module(module_args(scripted_server, candidate_model="flat", reference_model="constant",
                                    corpus=["Hello World", "hello   world", "a second text"], check_retrieval=False))
    assert result["passed"] is True and result["skipped_gates"] == ["distinct_outputs"]
    gate = result["gates"]["distinct_outputs"]
    assert gate["status"] == "skipped" and gate["passed"] is False
    assert gate["reason"] == "not judged: the candidate answered fewer than 3 distinct texts (2)"


def test_a_labelled_folder_that_cannot_be_read_fails_naming_the_model_and_the_file(scripted_server, run_module,
                                                                                   tmp_path):
    serve(scripted_server)
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "y"}\n')
    (tmp_path / "qrels.tsv").write_text("q1\tnowhere\t1\n")
    result = run_module(module_args(scripted_server, retrieval_dataset=str(tmp_path)))
    assert result["failed"] is True and "passed" not in result and "exception" not in result
    assert result["msg"] == "model 'minilm': labelled set %s: qrels name 1 passages not in the corpus (first: nowhere)" \
        % tmp_path


@pytest.mark.parametrize("extra,message", [
    ({"reference_model": None}, "the reference is the candidate itself"),
    ({"cosine_threshold": 1.5}, "cosine_threshold=1.5 is outside (0.0, 1.0]"),
    ({"max_tokens": None, "length_passages": True}, "length_passages need max_tokens"),
    ({"retrieval_margin": 1.5}, "retrieval_margin=1.5 is outside [0, 1)"),
    ({"retrieval_confidence": 0.3}, "retrieval_confidence=0.3 is outside [0.5, 1)"),
])
def test_meaningless_arguments_are_rejected_by_name_before_any_request(scripted_server, run_module, extra, message):
    result = run_module(module_args(scripted_server, **extra))
    assert result["failed"] is True and result["msg"].startswith("model 'minilm': invalid arguments: ")
    assert message in result["msg"] and scripted_server.requests == []


def test_a_v1_base_url_is_used_without_it_and_said_so(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, candidate_url=scripted_server.url + "/v1"))
    assert result["passed"] is True and result["candidate"]["url"] == scripted_server.url + "/v1/embeddings"
    assert result["check_warnings"][0]["message"].startswith("candidate_url: base URL %s/v1 ends in /v1" % scripted_server.url)


def test_an_unreachable_reference_fails_with_the_model_the_endpoint_and_a_hint(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, reference_type="caikit", reference_url="http://127.0.0.1:9"))
    assert result["failed"] is True and "passed" not in result
    assert result["error"]["model"] == "minilm" and result["error"]["endpoint"].startswith("http://127.0.0.1:9/")
    assert result["error"]["hint"]


def test_the_reference_is_verified_against_its_own_ca_and_the_candidate_against_ca_path(behind_two_cas, run_module):
    """vLLM behind the router's CA, Caikit's stand-in behind a service CA: ca_path alone cannot verify both."""
    candidate, router_ca, reference, service_ca = behind_two_cas(serve)
    args = module_args(candidate, reference_url=reference.url, ca_path=router_ca)
    refused = run_module(args)
    assert refused["failed"] is True and "passed" not in refused
    assert refused["error"]["endpoint"].startswith(reference.url) and "TLS" in refused["msg"], refused["msg"]
    assert candidate.requests and reference.requests == []  # the handshake failed before any request reached it
    verified = run_module(dict(args, reference_ca_path=service_ca))
    assert verified["passed"] is True, verified.get("msg")
    assert reference.requests
    crossed = run_module(dict(args, ca_path=service_ca, reference_ca_path=service_ca))  # the candidate's CA is wrong now
    assert crossed["failed"] is True and crossed["error"]["endpoint"].startswith(candidate.url)


def test_check_mode_compares_but_writes_no_golden_file(scripted_server, run_module, tmp_path):
    serve(scripted_server)
    golden = tmp_path / "minilm.json"
    checked = run_module(module_args(scripted_server, record_golden=str(golden), _ansible_check_mode=True))
    assert checked["passed"] is True and checked["changed"] is True and not golden.exists()
    assert "golden_file" not in checked
    written = run_module(module_args(scripted_server, record_golden=str(golden)))
    assert written["changed"] is True and written["golden_file"] == str(golden) and golden.exists()
    again = run_module(module_args(scripted_server, record_golden=str(golden)))
    assert again["changed"] is False
    replayed = run_module(module_args(scripted_server, reference_type="golden", reference_path=str(golden),
                                      reference_url=None, reference_model=None))
    assert replayed["passed"] is True and replayed["reference"]["type"] == "golden"


def test_different_weights_fail_the_weights_gate_and_the_message_names_both_folders(scripted_server, run_module,
                                                                                    tmp_path):
    from safetensors_files import caikit_folder, hf_folder, model_tensors  # noqa: E402 - tests/unit

    serve(scripted_server)
    served = str(hf_folder(tmp_path))
    other = caikit_folder(tmp_path, tensors=model_tensors(seed=5))
    args = dict(model_path=served, expected_root="/models/minilm", check_retrieval=False)
    failed = run_module(module_args(scripted_server, reference_weights_path=str(other), **args))
    assert failed["failed"] is True and failed["failed_gates"] == ["weights"]
    assert "different weights: vLLM loads %s" % served in failed["msg"] and str(other / "artifacts") in failed["msg"]
    same = run_module(module_args(scripted_server, reference_weights_path=str(caikit_folder(tmp_path, "same")), **args))
    assert same["passed"] is True and same["gates"]["weights"]["status"] == "passed", same.get("msg")
    assert same["provenance"]["reference"]["weights_path"] == str(tmp_path / "same" / "artifacts")
    # the reference's folder unknown: skipped, listed, never passed
    unknown = run_module(module_args(scripted_server, **args))
    assert unknown["passed"] is True and unknown["skipped_gates"] == ["weights"]
    assert "(skipped: weights)" in unknown["msg"]
