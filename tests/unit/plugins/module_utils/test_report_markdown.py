"""report.md from the records: every gate kind with its own numbers, unknown or odd gates generically, never a crash.

Gates are built with the real gate functions (gates.py, score_parity.py, performance.py), so a change of their
shape that the renderer does not follow shows here as a generic row instead of the numbers asserted.
"""

from __future__ import annotations

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import distinct_outputs, gates, pairs, report_markdown
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import combine_level, performance_record
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import publish_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.score_parity import ScoreSettings, run_score_parity

from test_score_parity import LIMIT, Scorer, Side  # noqa: E402 - the scripted reranker sides of the score tests


def rows(kind, named_gates):
    return {name: (result, numbers, reason) for name, result, numbers, reason in report_markdown.gate_rows(kind, named_gates)}


def embedding_gates():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(4, 8))
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    texts = ["alpha text", "beta text", "gamma text", "delta text"]
    wrong = reference.copy()
    wrong[2] = -wrong[2]
    return {
        "served": gates.served_gate(["minilm"], "minilm"),
        "served_config": gates.served_config_gate({"served_model": "minilm", "root": "/w", "max_model_len": 64}, 256, "/w"),
        "input_lengths": gates.input_lengths_gate(texts, {}, {3: "HTTP 400: too long"}, [5, 6, 7, 300]),
        "dimension": gates.dimension_gate(8, 8, 384),
        "cosine": gates.cosine_gate(wrong, reference, texts, 0.99),
        "norms": gates.norm_gate(reference * 2.0, reference, 0.01),
        "batch": gates.batch_gate(reference, reference, texts, 0.999),
        "tokens": gates.token_gate(texts, [3, 3, 4, 3], [3, 3, 3, 3]),
        "long_input": gates.long_input_gate([
            {"words": 300, "mode": "default", "reference": {"rejected": "too long"}, "candidate": {"vector": reference[0]}},
            {"words": 300, "mode": "truncate", "reference": {"vector": reference[0]}, "candidate": {"vector": reference[0]}}],
            0.99),
        "distinct_outputs": distinct_outputs.distinct_outputs_gate(
            "embedding", distinct_outputs.vectors_collapsed(texts, [np.ones(8)] * 4),
            distinct_outputs.vectors_collapsed(texts, reference), {"role": "candidate", "model": "minilm"},
            {"role": "reference"}),
    }


def test_every_embedding_gate_has_its_own_numbers():
    found = rows("embedding", embedding_gates())
    assert found["served"] == ("pass", "served: minilm", "'minilm' is listed by /v1/models")
    assert found["served_config"][0] == "**FAIL**"
    assert found["served_config"][1] == "context 64 tokens (catalog 256), root /w (expected /w)"
    assert found["input_lengths"][1] == ("4 texts; longest both embed 7 tokens; rejected by both 0; "
                                         "1 rejected by one side only, e.g. text 3 (300 tokens) by the candidate")
    assert found["dimension"][1] == "vLLM 8, reference 8, catalog 384" and found["dimension"][0] == "**FAIL**"
    cosine = embedding_gates()["cosine"]
    assert found["cosine"][1] == "min %s, mean %s, p01 %s (threshold 0.99); 1 below" % (
        cosine["min"], cosine["mean"], cosine["p01"])
    assert found["norms"][1].startswith("vLLM norm 2.0..2.0, reference 1.0..1.0") and found["norms"][0] == "**FAIL**"
    assert found["batch"] == ("pass", "min 1.0, mean 1.0, p01 1.0 (threshold 0.999)", "batched and single requests agree")
    assert found["tokens"][1] == "1 of 4 texts differ, e.g. 'gamma text': vLLM 4, reference 3"
    assert found["long_input"][1] == ("300 words (default): reference rejected, vLLM embedded; "
                                      "300 words (truncate): reference embedded, vLLM embedded, cosine 1.0")
    assert found["distinct_outputs"][:2] == ("**FAIL**", "vLLM the same vector for 4 distinct texts; "
                                                         "reference distinct vectors for 4 distinct texts")


def score_result(candidate, reference, scorer=None, max_model_len=LIMIT, check_labelled=False):
    settings = ScoreSettings(served_model="m", expected_max_model_len=LIMIT, candidate_activation="sigmoid",
                             reference_activation="sigmoid", reference_deviation="warn", check_labelled=check_labelled)
    return run_score_parity(candidate, reference, pairs.builtin_groups(), pairs.long_pairs(LIMIT), settings,
                            served_models=["m"], served_config={"max_model_len": max_model_len, "root": "/w"},
                            scorer=scorer)


def test_every_reranker_gate_has_its_own_numbers():
    result = score_result(Side(shift=0.5), Side(), scorer=Scorer(), max_model_len=32, check_labelled=True)
    found = rows("reranker", result["gates"])
    assert set(found) == {"served", "input_lengths", "score_parity", "ranking", "model_agreement", "labelled", "batch",
                          "endpoints_agree", "long_input", "distinct_outputs"}
    assert found["input_lengths"][1].startswith("%d pairs; rejected by vLLM only " % result["gates"]["input_lengths"]["pairs"])
    assert found["served"][1] == "served: m; max_model_len 32 (catalog 64)" and found["served"][0] == "**FAIL**"
    parity = result["gates"]["score_parity"]
    assert found["score_parity"][0] == "**FAIL**"
    assert found["score_parity"][1].startswith("max deviation %s, mean %s; %d of %d pairs outside tolerance; signed shift %s"
                                               % (parity["max"], parity["mean"], parity["vs_reference"]["outside_tolerance"],
                                                  parity["vs_reference"]["pairs"], parity["mean_signed_shift"]))
    assert "(tolerance 0.001 + 0.001 x |reference|)" in found["score_parity"][1]
    assert "deviation attributed to: candidate" in found["score_parity"][1]
    assert "min Kendall tau" in found["ranking"][1] and "thresholds: tau 0.8, NDCG@5 0.95" in found["ranking"][1]
    assert "the model uses token type ids: yes" in found["model_agreement"][1]
    assert found["labelled"][1].startswith("relevant document first for ")
    assert found["batch"][1].startswith("max deviation 0.0, mean 0.0; 0 of ")
    assert found["endpoints_agree"][0] == "pass"
    distinct = result["gates"]["distinct_outputs"]["candidate"]
    assert found["distinct_outputs"][:2] == ("pass", "vLLM distinct scores for {0} documents over {1} queries; reference "
                                             "distinct scores for {0} documents over {1} queries".format(
                                                 distinct["distinct_inputs"], distinct["queries_judged"]))
    assert found["long_input"][1].startswith("near_limit (39 words): reference scored, vLLM scored (")
    # no gate fell back to the generic rendering (it would show name/value pairs such as "abs_tolerance 0.001")
    assert not any("abs_tolerance" in numbers for _result, numbers, _reason in found.values())


def test_a_skipped_gate_says_skipped_and_shows_no_numbers():
    found = rows("reranker", score_result(Side(), Side())["gates"])
    assert found["model_agreement"] == ("skipped", "-", "no third opinion: model_path and scoring_python not set")


def test_an_unknown_gate_is_shown_generically_with_its_numbers():
    gate = {"status": "failed", "passed": False, "reason": "NDCG@10 dropped", "ndcg_at_10": {"candidate": 0.61,
            "reference": 0.7}, "queries": 40, "ok": False, "worst": []}
    found = rows("embedding", {"retrieval": gate})
    assert found["retrieval"] == ("**FAIL**", "ndcg_at_10.candidate 0.61, ndcg_at_10.reference 0.7, queries 40",
                                  "NDCG@10 dropped")


def test_a_known_gate_with_other_numbers_falls_back_instead_of_crashing():
    # today's crash: a reranker's min/mean/max read as an embedding cosine gate with p01
    odd = {"status": "passed", "passed": True, "reason": "ok", "min": 0.0, "mean": 0.1, "max": 0.3}
    assert report_markdown.gate_numbers("embedding", "cosine", odd) == "max 0.3, mean 0.1, min 0.0"
    assert report_markdown.gate_numbers("reranker", "score_parity", odd) == "max 0.3, mean 0.1, min 0.0"
    assert report_markdown.gate_numbers("no_such_kind", "cosine", odd) == "max 0.3, mean 0.1, min 0.0"
    assert report_markdown.gate_rows("embedding", {"broken": "not a gate"}) == [("broken", "**FAIL**", "not a gate", "")]


def test_generic_numbers_are_capped():
    gate = dict(("n%02d" % i, i) for i in range(20))
    assert report_markdown.generic_numbers(gate).endswith("n07 7, ... 12 more in report.json")


def test_cells_cannot_break_the_table():
    assert report_markdown.cell("a | b\nc") == "a \\| b c"
    assert report_markdown.cell(None) == "-"


def performance(advisory=True):
    def side(texts_per_s):
        return {"requests": 100, "succeeded": 100, "errors": {}, "error_count": 0, "error_samples": {},
                "duration_s": 10.0, "requests_per_s": texts_per_s / 2.0, "texts_per_s": texts_per_s,
                "tokens_per_s": texts_per_s * 50, "latency_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0},
                "single_text_p95_ms": 20.0, "by_shape": {}, "client_cpu_s": 0.5}
    levels = [combine_level(1, "closed", side(90.0), side(100.0))]
    return performance_record(levels, advisory=advisory, candidate={"url": "http://v", "model": "m"},
                              reference={"type": "caikit", "url": "http://c", "model": "m"})


def result(key, kind, check, perf=None):
    return {"key": key, "model": "org/" + key, "kind": kind, "status": "passed" if check["passed"] else "failed",
            "candidate": {"url": "http://127.0.0.1:8000"}, "reference": {"type": "caikit", "url": "http://127.0.0.1:8085"},
            "gates": check["gates"], "failed_gates": check["failed_gates"], "skipped_gates": check["skipped_gates"],
            "warnings": check.get("warnings", []), "corpus_size": check.get("corpus_size"), "provenance": {"corpus": "x"},
            "details": {"activation": check.get("activation"), "score_shift": check.get("score_shift")},
            "workarounds": [], "performance": perf, "reason": ""}


def report(reranker_check):
    embedding = {"passed": True, "failed_gates": [], "skipped_gates": [],
                 "gates": {name: gate for name, gate in embedding_gates().items() if gate["passed"]}}
    results = {"minilm": result("minilm", "embedding", embedding, performance()),
               "msmarco": result("msmarco", "reranker", reranker_check, performance())}
    decision = decide(results)
    models = publish_models(results, decision)
    decision = dict(decision, platform="local", generated_at="2026-12-02T12:00:00Z")
    return decision, report_markdown.report_markdown(models, decision)


def test_a_report_with_an_embedding_model_and_a_passing_reranker_lists_both():
    decision, text = report(score_result(Side(), Side()))
    assert decision["decision"] == "migrate"
    assert "- **Decision: `migrate`**" in text
    assert "| minilm (org/minilm) | embedding | passed | - | passed (advisory) | none |" in text
    assert "| msmarco (org/msmarco) | reranker | passed | - | passed (advisory) | none |" in text
    assert "### minilm: passed" in text and "### msmarco: passed" in text
    assert "| score_parity | pass | max deviation 0.0, mean 0.0; 0 of " in text
    assert "- Corpus: %d pairs" % sum(len(g["documents"]) for g in pairs.builtin_groups()) in text
    assert text.count("| concurrency | server |") == 2 and "## Performance" in text


def test_a_failing_reranker_is_hybrid_and_its_gate_is_named_with_numbers():
    decision, text = report(score_result(Side(shift=0.5), Side()))
    assert decision["decision"] == "hybrid"
    assert "msmarco: failed gates: score_parity" in text
    assert "| score_parity | **FAIL** | max deviation " in text
    assert "Worst score deviations of score_parity:" in text
    assert "- Score shift consumers will see: scores change by up to 0.117557 (compared as sigmoid); the top-1 " \
           "document changes for 0 and the top-5 set for 0 of 4 queries" in text


def test_a_malformed_performance_record_is_named_not_fatal():
    decision, _text = report(score_result(Side(), Side()))
    models = {"m": {"kind": "embedding", "status": "passed", "performance": {"schema": "other"}, "gates": {}}}
    text = report_markdown.report_markdown(models, decision)
    assert "performance record not shown: the value for 'm' is not a performance record" in text


def test_every_level_shows_its_window_answers_per_shape_and_validity():
    record = performance()
    level = record["levels"][0]
    level["candidate"].update(window_s=20.0, completions_by_shape={"batch": 12, "query": 80}, valid=True)
    level["reference"].update(window_s=20.0, completions_by_shape={"batch": 2, "query": 40}, valid=False,
                              invalid_reason="fewer than 5 completions inside the window (batch 2)")
    record["reference_load"] = {"max_concurrency": 4, "max_rate": None, "requests": 420, "duration_s": 44.5,
                                "not_sent": ["concurrency 16"],
                                "stopped": [{"level": "concurrency 4", "reason": "p99 3100 ms > 3000 ms"}],
                                "limits": {"max_concurrency": 4, "max_rate": None, "high_load_allowed": False,
                                           "stop_rule": {"max_error_rate": 0.05, "max_p99_ms": 3000.0}}}
    text = report_markdown.performance_markdown({"minilm": record})
    assert "| window s | answers in window | valid |" in text
    assert "| 20.0 | batch 12, query 80 | yes |" in text
    assert "| 20.0 | batch 2, query 40 | no: fewer than 5 completions inside the window (batch 2) |" in text
    assert ("- load on the reference: at most concurrency 4, 420 requests in 44.5 s; limits: high_load_allowed False, "
            "max_concurrency 4, stop_rule.max_error_rate 0.05, stop_rule.max_p99_ms 3000.0; not sent: concurrency 16; "
            "stopped at concurrency 4: p99 3100 ms > 3000 ms") in text


def test_a_reranker_pair_rejected_for_length_is_shown_with_the_context():
    gate = {"status": "failed", "passed": False, "reason": "r", "pairs": 20, "rejected_by_candidate": 3,
            "rejected_by_reference": 0, "rejected_by_both": 0, "candidate_context_tokens": 32, "max_tokens": 128,
            "mismatches": []}
    assert report_markdown.gate_numbers("reranker", "input_lengths", gate) == (
        "20 pairs; rejected by vLLM only 3, by the reference only 0, by both 0; vLLM's context 32 tokens, "
        "the model's max_tokens 128")


def test_a_report_needs_a_decision():
    with pytest.raises(report_markdown.ReportMarkdownError, match="needs the decide role's vllm_migration_decision"):
        report_markdown.report_markdown({}, {})


def test_retrieval_quality_is_shown_side_by_side_with_the_changed_queries_and_in_the_summary():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import report_record, retrieval
    from test_retrieval import BAD, GOOD, SETTINGS, tiny_set  # the stand-in embedders of the retrieval tests

    gate, detail, _warnings = retrieval.measure("embedding", BAD, GOOD, None, SETTINGS, labelled_set=tiny_set())
    check = {"passed": False, "failed_gates": ["retrieval"], "skipped_gates": [], "gates": {"retrieval": gate}}
    model = result("minilm", "embedding", check)
    model["details"]["retrieval"] = detail
    decision = dict(decide({"minilm": model}), platform="local", generated_at="2026-12-02T12:00:00Z")
    models = publish_models({"minilm": model}, decision)
    text = report_markdown.report_markdown(models, decision)
    assert "| retrieval | **FAIL** | ndcg@3 vLLM 0.3100, reference 1.0000, delta -0.6900 (interval -1.0000 to " in text
    assert "Retrieval quality on tiny (4 queries, 6 passages, 6 judgements, sha256 %s...)" % detail["dataset"]["sha256"][:12] \
        in text
    assert "| ndcg@3 | 0.3100 | 1.0000 | -0.6900 | -1.0000 to -0.3801 | 4 / 0 |" in text
    assert "Queries whose top 3 changed: 4 (worst first; report.json lists up to 4):" in text
    assert "- `q1` second: ndcg@3 1.000 -> 0.000; entered d3, d4, d5, left d2, d1, d0" in text
    summary = report_record.report_summary(models, decision)
    assert "minilm: failed: retrieval, ndcg@3 vLLM 0.310 / reference 1.000 (stays on Caikit)" in summary


def _client_calls():
    return {"openai_sdk_float": {"status": "works", "message": "3 vectors of dimension 384"},
            "openai_sdk_dimensions": {"status": "fails",
                                      "message": "model 'minilm' at http://v: HTTP 400: does not support matryoshka"},
            "langchain_openai": {"status": "unavailable", "message": "langchain_openai is not installed"}}


@pytest.mark.parametrize("required, status, failed_gates", [
    ([], "passed", []),
    (["openai_sdk_float"], "passed", []),
    (["openai_sdk_dimensions", "openai_sdk_float"], "failed", ["clients"]),
])
def test_client_calls_are_listed_and_a_required_call_that_fails_keeps_the_model_on_caikit(required, status,
                                                                                          failed_gates):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import report_record
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import result_record

    failed_required = [name for name in required if name != "openai_sdk_float"]
    clients = {"clients": _client_calls(), "required": required, "failed_required": failed_required,
               "passed": not failed_required, "msg": "model 'minilm' at http://v: 1 of 3 client calls work"}
    check = {"passed": True, "failed_gates": [], "skipped_gates": [], "gates": {"cosine": {"passed": True}},
             "msg": "all gates passed"}
    entry = resolve_models({}, ["minilm"])[0]
    model = result_record(entry, {"url": "http://v"}, {"type": "caikit"}, check=check, clients=clients)
    assert model["status"] == status and model["failed_gates"] == failed_gates
    assert ("clients" in model["gates"]) is bool(required)
    decision = dict(decide({"minilm": model}), platform="local", generated_at="2026-12-02T12:00:00Z")
    assert decision["models"]["minilm"]["parity_ok"] is (not failed_gates)
    models = publish_models({"minilm": model}, decision)
    text = report_markdown.report_markdown(models, decision)
    assert "| openai_sdk_dimensions | fails | %s | model 'minilm' at http://v: HTTP 400: does not support " \
           "matryoshka |" % ("yes" if "openai_sdk_dimensions" in required else "no") in text
    assert "| langchain_openai | unavailable | no | langchain_openai is not installed |" in text
    summary = report_record.report_summary(models, decision)
    assert any("client calls 1/3 work" in line for line in summary)


def test_a_skipped_or_failed_client_check_is_not_a_pass():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import clients_gate, result_record

    entry = resolve_models({}, ["minilm"])[0]
    check = {"passed": True, "failed_gates": [], "skipped_gates": [], "gates": {}, "msg": "ok"}
    skipped = result_record(entry, {"url": "http://v"}, {"type": "caikit"}, check=check, clients={"skipped": True})
    assert "clients" not in skipped["details"] and skipped["status"] == "passed"
    # the module stopped before any call (an unknown call name): the required calls did not work
    broken = clients_gate({"failed": True, "required": ["openai_sdk_default"], "msg": "unknown embedding client calls"})
    assert broken["passed"] is False and broken["failed"] == ["openai_sdk_default"]


def test_the_weights_line_says_where_each_side_loads_from_and_whether_they_match(tmp_path):
    from safetensors_files import caikit_folder, hf_folder, model_tensors  # noqa: E402 - tests/unit
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.provenance import build_provenance
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import add_weights_gate

    def model(candidate, reference):
        check = {"gates": {}, "passed": True, "failed_gates": [], "skipped_gates": []}
        sides = add_weights_gate(check, [], candidate, reference, "embedding")
        check["provenance"] = build_provenance({"root": candidate}, None, "caikit", None, "minilm", "", {}, weights=sides)
        return check

    vllm = str(hf_folder(tmp_path))
    same = report_markdown.weights_line(model(vllm, str(caikit_folder(tmp_path))))
    assert same.startswith("- Weights: the same tensors on both sides (sha256:")
    assert "vLLM from %s, the reference from %s" % (vllm, tmp_path / "caikit" / "artifacts") in same
    # a reference whose folder the discovery copied from Caikit's S3 storage says where from
    fetched = dict(model(vllm, str(caikit_folder(tmp_path, "fetched"))),
                   reference={"type": "caikit", "weights_source": "s3://models/caikit/minilm/"})
    assert "the reference from s3://models/caikit/minilm/, copied to %s" % (tmp_path / "fetched" / "artifacts") in \
        report_markdown.weights_line(fetched)
    # on a cluster: vLLM's files from Caikit's claim, and Caikit's folder on it, both read in the check Job
    mounted = dict(model(vllm, str(caikit_folder(tmp_path, "mounted"))),
                   candidate={"weights_source": "pvc://models/caikit/minilm/artifacts, mounted read-only"},
                   reference={"type": "caikit", "weights_source": "pvc://models/caikit/minilm",
                              "weights_claim": {"claim": "models", "path": "caikit/minilm", "pods": {}}})
    line = report_markdown.weights_line(mounted)
    assert "vLLM from %s (pvc://models/caikit/minilm/artifacts, mounted read-only), the reference from " \
           "pvc://models/caikit/minilm, mounted at %s" % (vllm, tmp_path / "mounted" / "artifacts") in line, line
    other = model(vllm, str(caikit_folder(tmp_path, "other", tensors=model_tensors(seed=3))))
    assert report_markdown.weights_line(other).startswith("- Weights: DIFFERENT: different weights: vLLM loads ")
    assert report_markdown.gate_numbers("embedding", "weights", other["gates"]["weights"]).endswith(
        "0 tensors in common")
    unread = report_markdown.weights_line(model(vllm, None))
    assert unread.startswith("- Weights: not compared: the reference's model folder is not known")
    assert "the reference from a folder this run could not read" in unread
    nothing = {"provenance": build_provenance({"root": "org/minilm"}, None, "caikit", None, "minilm", "", {})}
    assert report_markdown.weights_line(nothing) == (
        "- Weights: not compared (neither model folder is readable from where the check ran); vLLM from org/minilm, "
        "the reference from a folder this run could not read")


def test_each_model_says_where_its_checks_ran_and_the_path_to_each_server():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import result_record

    entry = resolve_models({}, ["minilm"])[0]
    check = {"passed": True, "failed_gates": [], "skipped_gates": [], "gates": {}, "msg": "ok"}
    endpoint = {"url": "http://vllm-minilm.vllm-migration.svc:8000", "platform": "openshift"}
    predictor = {"type": "caikit", "url": "http://caikit-minilm-predictor.rag-prod.svc.cluster.local"}
    in_job = result_record(entry, endpoint, predictor, check=check, location="cluster_job")
    lines = report_markdown.model_section("minilm", in_job)
    assert "- Checked from: cluster_job (The checks ran on a Job inside the cluster and reached vLLM through its " \
           "in-cluster Service, the reference the same way.)" in lines
    routed = result_record(entry, dict(endpoint, url="https://vllm-minilm.apps.example.com"),
                           dict(predictor, url="https://caikit-minilm-rag-prod.apps.example.com"), check=check)
    assert any(line.startswith("- Checked from: controller (The checks ran on the controller (the machine that ran "
                               "ansible-playbook) and reached vLLM through the OpenShift router") for line in
               report_markdown.model_section("minilm", routed))
    # a model no check ran for says nothing about a path
    planned = result_record(entry, endpoint, predictor, plan={"status": "not_verified", "reason": "no endpoint"})
    assert planned["checked_from"] is None
    assert not any(line.startswith("- Checked from") for line in report_markdown.model_section("minilm", planned))
