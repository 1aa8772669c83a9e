"""score_check through Ansible against real vLLM CPU servers and the real Caikit runtime (CrossEncoderModule),
serving generated cross-encoders (fleet_rerank.py): the correct deployments and the known-bad variants.

Numbers measured here are printed (pytest -s) so the report can quote them.
"""

from __future__ import annotations

import json

import pytest

from fleet_rerank import MAX_TOKENS
from live_servers import run_module
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import caikit_model_folder, weights_digest

pytestmark = pytest.mark.timeout(1800)
# The servers this module needs (conftest.py starts them together, beside the core fleet).
FLEETS = ["core", "rerank"]


def _venv_python(servers, name):
    return servers["venvs"][name] + "/bin/python"


def check_args(servers, key="bert_ce", **overrides):
    candidate_url = servers.require(key)  # skips, with the reason, when the rerank fleet was left out
    entry = servers["extra_vars"]["vllm_migration_catalog"][key]
    args = {
        "model": key,
        "candidate_url": candidate_url,
        "candidate_model": entry.get("served_name", key),
        "candidate_activation": entry["score_activation"],
        "reference_type": "caikit",
        "reference_url": servers["caikit"],
        "reference_model": entry.get("caikit_model_id", key),
        "max_tokens": entry["max_tokens"],
        "check_labelled": entry["check_labelled"],
        # as the verify role does: retrieval quality on labelled data means nothing for random test weights
        "check_retrieval": entry["check_labelled"],
        "fail_on_gate": False,
    }
    args.update(overrides)
    return args


def third_opinion(servers, key="bert_ce", python="caikit"):
    return {"model_path": servers["extra_vars"]["vllm_migration_catalog"][key]["weights_path"],
            "scoring_python": _venv_python(servers, python)}


def caikit_folder(servers, key):
    """The model folder the fleets' Caikit runtime loads for catalog key ``key`` (made by caikit_nlp's bootstrap)."""
    entry = servers["extra_vars"]["vllm_migration_catalog"][key]
    return servers["state_dir"] / "caikit-models" / entry.get("caikit_model_id", key)


def _show(label, result):
    gates = result.get("gates", {})
    print("\n%s: passed=%s failed=%s skipped=%s"
          % (label, result.get("passed"), result.get("failed_gates"), result.get("skipped_gates")))
    for name in ("score_parity", "ranking", "model_agreement"):
        gate = gates.get(name, {})
        print("  %s: %s | %s" % (name, gate.get("status"), gate.get("reason")))


def test_xlmr_style_reranker_matches_caikit_outright(local_servers):
    # with truncation requested on both sides (see the next test for Caikit's default on over-long pairs)
    result = run_module("score_check", check_args(local_servers, "xlmr_ce", truncate_long_inputs=True,
                                                  reference_weights_path=str(caikit_folder(local_servers, "xlmr_ce")),
                                                  **third_opinion(local_servers, "xlmr_ce")))
    _show("xlmr_ce vs caikit", result)
    assert not result.get("failed"), result.get("msg")
    assert result["passed"] is True and result["failed_gates"] == []
    assert result["skipped_gates"] == ["labelled"]
    assert result["gates"]["weights"]["status"] == "passed"  # the folder vLLM serves and Caikit's re-saved one
    parity = result["gates"]["score_parity"]
    assert parity["attribution"] == "none" and parity["max"] < 1e-4
    assert result["gates"]["ranking"]["min_kendall_tau"] == 1.0
    assert result["gates"]["model_agreement"]["passed"]
    assert result["gates"]["model_agreement"]["model"]["uses_token_types"] is False
    assert result["activation"]["converted"] == []
    for gate in ("served", "batch", "endpoints_agree", "long_input"):
        assert result["gates"][gate]["passed"], (gate, result["gates"][gate]["reason"])
    assert [c["candidate"] for c in result["gates"]["long_input"]["cases"]] == ["scored", "scored", "scored"]
    assert result["check_warnings"] == []
    provenance = result["provenance"]
    assert provenance["candidate"]["max_model_len"] == MAX_TOKENS and provenance["candidate"]["model_digest"]
    assert provenance["reference"]["type"] == "caikit"


def test_caikit_truncates_over_long_pairs_silently_without_token_types(local_servers):
    """Caikit's truncation check reads the token type ids; a tokenizer without them (XLM-R, bge-reranker) makes it
    score over-long pairs silently, where vLLM rejects them by default: long_input says what consumers will see."""
    result = run_module("score_check", check_args(local_servers, "xlmr_ce"))
    _show("xlmr_ce default long inputs", result)
    assert result["failed_gates"] == ["long_input"]
    cases = result["gates"]["long_input"]["cases"]
    outcomes = [(c["reference"], c["candidate"]) for c in cases]
    assert outcomes == [("scored", "scored"), ("scored", "rejected"), ("scored", "rejected")]
    assert "truncate_prompt_tokens" in result["gates"]["long_input"]["reason"]
    # the BERT model (token types present): Caikit rejects them as vLLM does
    bert = run_module("score_check", check_args(local_servers, **third_opinion(local_servers)))
    assert [c["reference"] for c in bert["gates"]["long_input"]["cases"]] == ["scored", "rejected", "rejected"]
    assert bert["gates"]["long_input"]["passed"]


def test_bert_reranker_deviation_is_attributed_to_caikit(local_servers):
    result = run_module("score_check", check_args(local_servers, **third_opinion(local_servers)))
    _show("bert_ce vs caikit, third opinion", result)
    assert not result.get("failed"), result.get("msg")
    parity = result["gates"]["score_parity"]
    assert result["passed"] is True and parity["status"] == "passed" and parity["attribution"] == "reference"
    assert parity["vs_model"]["ok"] and not parity["reference_vs_model"]["ok"]
    assert result["gates"]["model_agreement"]["passed"]
    assert result["gates"]["model_agreement"]["model"]["uses_token_types"] is True
    assert result["gates"]["model_agreement"]["model"]["reference_matches_model_without_token_types"] is True
    messages = " ".join(w["message"] for w in result["check_warnings"])
    assert "reference deviates" in messages and "WITHOUT token type ids" in messages and "raw logit" in messages
    assert result["activation"]["converted"] == ["candidate"] and result["activation"]["compared_as"] == "sigmoid"
    shift = result["score_shift"]
    assert shift["max_change"] > 0.001 and len(shift["queries"]) == result["queries"]
    print("  score shift consumers see: max %s, any top-1 change %s, any top-k change %s"
          % (shift["max_change"], shift["any_top1_change"], shift["any_topk_change"]))

    strict = run_module("score_check", check_args(local_servers, reference_deviation="fail",
                                                  **third_opinion(local_servers, python="vllm")))
    assert strict["passed"] is False and "score_parity" in strict["failed_gates"]
    assert strict["gates"]["score_parity"]["attribution"] == "reference"

    # without a third opinion the deviation cannot be attributed: a plain failure that says how to attribute it
    blind = run_module("score_check", check_args(local_servers))
    assert blind["passed"] is False and "score_parity" in blind["failed_gates"]
    assert blind["gates"]["score_parity"]["attribution"] == "unknown" and "model_path" in blind["gates"]["score_parity"]["reason"]
    assert blind["skipped_gates"] == ["labelled", "model_agreement"]


def test_activation_off_fails_score_parity_while_ranking_passes(local_servers):
    result = run_module("score_check", check_args(local_servers, "xlmr_ce",
                                                  candidate_request_params={"use_activation": False}))
    _show("xlmr_ce use_activation=false", result)
    assert result["passed"] is False and "score_parity" in result["failed_gates"]
    assert result["gates"]["ranking"]["passed"] is True
    assert result["gates"]["score_parity"]["calibration_mismatch"] is True


def test_shortened_max_model_len_fails_served_and_long_input(local_servers):
    result = run_module("score_check", check_args(local_servers, "bert_ce_short", **third_opinion(local_servers)))
    _show("bert_ce_short (--max-model-len 64)", result)
    assert result["passed"] is False
    assert {"served", "long_input"} <= set(result["failed_gates"])
    near = result["gates"]["long_input"]["cases"][0]
    assert near["name"] == "near_limit" and near["reference"] == "scored" and near["candidate"] == "rejected"
    assert "64" in result["gates"]["served"]["reason"]
    # the built-in pairs fit in 64 tokens: all are compared
    assert result["gates"]["input_lengths"]["passed"] and result["pairs_compared"] == result["corpus_size"]


def test_a_context_shorter_than_the_pairs_is_a_verdict_not_an_error(local_servers):
    """bert_ce_short served at --max-model-len 64 checked as if the catalog said 128, with pairs over 64 tokens:
    vLLM answers HTTP 400 "maximum context length is 64 tokens" where Caikit scores them."""
    long_docs = [" ".join(["report"] * words) for words in (20, 50, 70, 90)]
    result = run_module("score_check", check_args(local_servers, "bert_ce_short", check_long_inputs=False,
                                                  pairs=[{"query": "which report", "documents": long_docs}]))
    _show("bert_ce_short with pairs past its context", result)
    assert "error" not in result and not result.get("exception")
    assert {"served", "input_lengths"} <= set(result["failed_gates"])
    lengths = result["gates"]["input_lengths"]
    assert lengths["rejected_by_candidate"] >= 1 and lengths["rejected_by_reference"] == 0
    assert lengths["candidate_context_tokens"] == 64 and lengths["max_tokens"] == MAX_TOKENS
    assert lengths["mismatches"][0]["pair_tokens"] > 64


def test_different_checkpoint_under_the_same_name_fails(local_servers):
    result = run_module("score_check", check_args(local_servers, "bert_ce_other", **third_opinion(local_servers)))
    _show("bert_ce_other (another checkpoint named bert_ce)", result)
    assert result["passed"] is False
    assert {"score_parity", "model_agreement"} <= set(result["failed_gates"])
    assert result["gates"]["score_parity"]["attribution"] == "candidate"
    assert result["gates"]["served"]["passed"]  # same name, same context: only the scores tell


def test_the_weights_gate_names_another_checkpoint_by_its_folder(local_servers):
    """bert_ce_other as the verify role checks it: the folder vLLM serves against the folder Caikit loads."""
    caikit = caikit_folder(local_servers, "bert_ce_other")
    served = local_servers["extra_vars"]["vllm_migration_catalog"]["bert_ce_other"]["weights_path"]
    result = run_module("score_check", check_args(local_servers, "bert_ce_other", model_path=served,
                                                  reference_weights_path=str(caikit), check_long_inputs=False))
    assert not result.get("failed"), result.get("msg")
    assert "weights" in result["failed_gates"], result["msg"]
    reason = result["gates"]["weights"]["reason"]
    assert reason.startswith("different weights: vLLM loads %s" % served) and str(caikit / "artifacts") in reason
    assert result["provenance"]["candidate"]["weights_digest"] != result["provenance"]["reference"]["weights_digest"]
    # accepted on purpose: the gate is skipped (never passed) and the difference is a named warning
    accepted = run_module("score_check", check_args(local_servers, "bert_ce_other", model_path=served,
                                                    reference_weights_path=str(caikit), check_long_inputs=False,
                                                    weights_mismatch="warn"))
    assert accepted["gates"]["weights"]["status"] == "skipped" and "weights" in accepted["skipped_gates"]
    assert any(w["gate"] == "weights" for w in accepted["check_warnings"])


def test_the_real_caikit_folders_hold_the_weights_vllm_serves(local_servers):
    """The model folders the real caikit_nlp bootstrap made for the fleets: read through their config.yml (the module
    class gives the kind), and the same tensors as the folder each vLLM server was started from."""
    catalog = local_servers["extra_vars"]["vllm_migration_catalog"]
    for key, kind in (("minilm", "embedding"), ("bert_ce", "reranker"), ("xlmr_ce", "reranker")):
        local_servers.require(key)
        caikit = caikit_folder(local_servers, key) if key in catalog else local_servers["state_dir"] / "caikit-models" / key
        info = caikit_model_folder(str(caikit))
        assert info["kind"] == kind and info["caikit_nlp_version"], info
        argv = local_servers["servers"]["vllm-" + key]["argv"]
        served = argv[argv.index("--model") + 1]
        assert weights_digest(served)["digest"] == weights_digest(str(caikit))["digest"], key
    other = catalog["bert_ce_other"]["weights_path"]
    assert weights_digest(other)["digest"] != weights_digest(str(caikit_folder(local_servers, "bert_ce")))["digest"]


def test_reference_that_ranks_differently_fails_ranking(local_servers):
    """The other checkpoint as reference (another vLLM through the Cohere-style /v1/rerank API)."""
    result = run_module("score_check", check_args(local_servers, reference_type="openai",
                                                  reference_url=local_servers.require("bert_ce_other"),
                                                  reference_model="bert_ce"))
    _show("bert_ce vs bert_ce_other as rerank reference", result)
    assert result["passed"] is False and {"score_parity", "ranking"} <= set(result["failed_gates"])
    assert result["gates"]["ranking"]["min_kendall_tau"] < 0.8


def test_rerank_reference_of_the_same_model_passes(local_servers):
    result = run_module("score_check", check_args(local_servers, "bert_ce", reference_type="openai",
                                                  reference_url=local_servers.require("bert_ce"),
                                                  reference_model="bert_ce"))
    assert result["passed"] is True, result.get("msg")
    assert result["gates"]["score_parity"]["max"] == 0.0 and result["activation"]["converted"] == []


def test_golden_record_replay_and_an_edited_golden_file(local_servers, tmp_path):
    golden = tmp_path / "golden" / "xlmr.json"
    record = dict(record_golden=str(golden), truncate_long_inputs=True)
    first = run_module("score_check", check_args(local_servers, "xlmr_ce", **record))
    assert first["passed"] and first["changed"] is True and golden.exists(), first.get("msg")
    again = run_module("score_check", check_args(local_servers, "xlmr_ce", **record))
    assert again["changed"] is False
    replay = dict(reference_type="golden", reference_path=str(golden), truncate_long_inputs=True)
    args = {k: v for k, v in check_args(local_servers, "xlmr_ce", **replay).items() if k not in ("reference_url",)}
    ok = run_module("score_check", args)
    assert ok["passed"] is True and ok["reference"]["activation"] == "sigmoid", ok.get("msg")
    # a golden file whose scores rank differently (each query's scores reversed)
    document = json.loads(golden.read_text())
    for record in document["records"]:
        if "scores" in record and len(record["scores"]) > 1:
            record["scores"] = record["scores"][::-1]
    golden.write_text(json.dumps(document))
    bad = run_module("score_check", args)
    assert bad["passed"] is False and "ranking" in bad["failed_gates"]


def test_unreachable_reference_is_an_error_not_a_result(local_servers):
    result = run_module("score_check", check_args(local_servers, reference_url="http://127.0.0.1:9"))
    assert result["failed"] is True and "gates" not in result
    assert result["error"]["model"] == "bert_ce" and "cannot connect" in result["error"]["cause"]


def test_decision_is_hybrid_from_real_results(local_servers):
    """A passing embedding model (minilm vs Caikit) plus a failing reranker (another checkpoint) -> hybrid;
    with a passing reranker instead -> migrate. Real check results, the collection's records and decision module."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_entry
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import result_record

    embedding = run_module("embedding_check", {
        "model": "minilm", "candidate_url": local_servers.require("minilm"), "candidate_model": "minilm",
        "reference_type": "caikit", "reference_url": local_servers["caikit"], "reference_model": "minilm",
        "expected_dimension": 384, "max_tokens": 256, "fail_on_gate": False})
    failing = run_module("score_check", check_args(local_servers, "bert_ce_other"))
    passing = run_module("score_check", check_args(local_servers, "xlmr_ce", truncate_long_inputs=True))
    assert embedding["passed"] is True, embedding.get("msg")
    assert failing["passed"] is False and passing["passed"] is True

    catalog = local_servers["extra_vars"]["vllm_migration_catalog"]

    def record(key, check):
        entry = resolve_entry(key, catalog[key]) if key in catalog else resolve_entry(key, {
            "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding"})
        # The modules return their named findings as check_warnings (Ansible owns "warnings": display strings);
        # the result record's warnings are those findings.
        check = dict(check, warnings=check.get("check_warnings", []))
        return result_record(entry, endpoint={"url": local_servers.require(key)}, check=check)

    hybrid = run_module("migration_decision", {"require_performance": False, "results": {
        "minilm": record("minilm", embedding), "bert_ce_other": record("bert_ce_other", failing)}})
    assert hybrid["decision"] == "hybrid", hybrid
    assert hybrid["blocked_models"] == ["bert_ce_other"] and "score_parity" in " ".join(hybrid["reasons"])
    migrate = run_module("migration_decision", {"require_performance": False, "results": {
        "minilm": record("minilm", embedding), "xlmr_ce": record("xlmr_ce", passing)}})
    assert migrate["decision"] == "migrate", migrate


def test_a_reranker_reranks_the_labelled_set_like_caikit_through_both_real_servers(local_servers):
    """The retrieval gate's reranker path end to end: the built-in set's BM25 candidates scored by the real vLLM
    and the real Caikit, and by the model itself (the generated weights rank at random, so only agreement is
    meaningful here: the same scores give the same rankings and a zero difference)."""
    result = run_module("score_check", check_args(local_servers, "xlmr_ce", truncate_long_inputs=True,
                                                  check_retrieval=True, retrieval_rerank_depth=10,
                                                  **third_opinion(local_servers, "xlmr_ce")))
    assert not result.get("failed"), result.get("msg")
    gate, detail = result["gates"]["retrieval"], result["retrieval"]
    assert gate["passed"] is True and gate["delta"] == 0.0 and detail["changed_count"] == 0, gate["reason"]
    assert detail["first_stage"] == "lexical BM25 top 10 (the same candidates on both sides)"
    assert detail["metrics"]["candidate"] == detail["metrics"]["reference"]
    # both sides rank alike, so they are equally far from the model's own ranking and neither is blamed
    opinion = detail["model_opinion"]
    assert opinion["distance"]["candidate"] == opinion["distance"]["reference"]
    assert opinion["attribution"] in ("none", "both") and gate["attribution"] == opinion["attribution"]
    print("reranker retrieval on the built-in set: %s" % detail["seconds"])
