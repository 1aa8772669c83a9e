"""score_parity orchestration with scripted sides: every gate, the alignment and the attribution to candidate or reference."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import pairs
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.model_scores import ModelScoresError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ranking import sigmoid
from ansible_collections.vllm_pooling.migration.plugins.module_utils.score_parity import ScoreSettings, run_score_parity

LIMIT = 64


def model_logit(query, document):
    """A deterministic 'model': the raw logit of a pair."""
    return (zlib.crc32((query + "|" + document).encode()) % 1000) / 100.0 - 5.0


class Side(object):
    """A scripted server: logits from ``model_logit`` + ``shift``, returned as ``activation``; rejects past ``limit``."""

    kind = "scripted"
    url = "http://scripted"

    def __init__(self, activation="sigmoid", shift=0.0, limit=LIMIT, rerank_shift=0.0, batch_shift=0.0):
        self.activation, self.shift, self.limit = activation, shift, limit
        self.rerank_shift, self.batch_shift = rerank_shift, batch_shift

    def _scores(self, query, documents, truncate, extra=0.0):
        if not truncate and any(len(query.split()) + len(d.split()) > self.limit for d in documents):
            raise RequestRejected("m", self.url, 400, "too long")
        logits = np.array([model_logit(query, d) + self.shift + extra for d in documents])
        return sigmoid(logits) if self.activation == "sigmoid" else logits

    def score(self, query, documents, truncate=False):
        return self._scores(query, documents, truncate, self.batch_shift if len(documents) > 1 else 0.0)

    def rerank(self, query, documents, truncate=False):
        return self._scores(query, documents, truncate, self.rerank_shift)


class Scorer(object):
    def __init__(self, shift=0.0, fail=False):
        self.shift, self.fail = shift, fail

    def scores(self, groups):
        if self.fail:
            raise ModelScoresError("scoring_python /nope does not exist", "Point it at a venv python")
        rows = [[model_logit(g["query"], d) + self.shift for d in g["documents"]] for g in groups]
        return {"with_token_types": rows, "without_token_types": [[x + 0.7 for x in r] for r in rows],
                "uses_token_types": True, "versions": {"torch": "x"}}


def run(candidate, reference, scorer=None, candidate_activation="sigmoid", reference_activation="sigmoid",
        max_model_len=LIMIT, policy="warn", check_labelled=False):
    settings = ScoreSettings(served_model="m", expected_max_model_len=LIMIT, candidate_activation=candidate_activation,
                             reference_activation=reference_activation, reference_deviation=policy,
                             check_labelled=check_labelled)
    return run_score_parity(candidate, reference, pairs.builtin_groups(), pairs.long_pairs(LIMIT), settings,
                            served_models=["m"], served_config={"max_model_len": max_model_len, "root": "/w"},
                            scorer=scorer)


def test_identical_sides_pass_every_gate_and_skip_labelled():
    result = run(Side(), Side())
    assert result["passed"] and result["failed_gates"] == []
    assert result["skipped_gates"] == ["labelled", "model_agreement"]
    assert result["gates"]["labelled"]["status"] == "skipped" and result["gates"]["labelled"]["passed"] is False
    assert result["gates"]["score_parity"]["max"] == 0.0
    assert [c["reference"] for c in result["gates"]["long_input"]["cases"]] == ["scored", "rejected", "rejected"]
    assert result["corpus_size"] == sum(len(g["documents"]) for g in pairs.builtin_groups())


def test_declared_activation_difference_is_aligned_and_stated():
    result = run(Side(activation="identity"), Side(activation="sigmoid"), candidate_activation="identity")
    assert result["passed"], result["failed_gates"]
    assert result["activation"]["converted"] == ["candidate"] and result["activation"]["compared_as"] == "sigmoid"
    assert any("raw logit" in w["message"] for w in result["warnings"])


def test_use_activation_off_fails_score_parity_but_not_ranking():
    # the server sends raw logits although the catalog declares sigmoid: nothing converts them
    result = run(Side(activation="identity"), Side())
    assert result["failed_gates"] == ["score_parity"]
    assert result["gates"]["long_input"]["scores_compared"] is False
    parity = result["gates"]["score_parity"]
    assert parity["calibration_mismatch"] is True and "calibration" in parity["reason"]
    assert result["gates"]["ranking"]["passed"]


def test_shifted_logit_scale_fails_score_parity_only():
    result = run(Side(shift=0.3), Side())
    assert result["failed_gates"] == ["score_parity"]
    assert result["gates"]["score_parity"]["mean_signed_shift"] > 0


def test_reference_deviation_is_a_named_warning_or_a_failure():
    warned = run(Side(), Side(shift=0.7), scorer=Scorer())
    parity = warned["gates"]["score_parity"]
    assert warned["passed"] and parity["status"] == "passed" and parity["attribution"] == "reference"
    assert [w["gate"] for w in warned["warnings"]][:1] == ["score_parity"]
    assert "reference deviates" in warned["warnings"][0]["message"]
    assert warned["gates"]["model_agreement"]["passed"]
    # the reference equals the model run without token type ids (the Caikit quirk): named too
    assert any("WITHOUT token type ids" in w["message"] for w in warned["warnings"])
    assert warned["gates"]["long_input"]["scores_compared"] is False
    failed = run(Side(), Side(shift=0.7), scorer=Scorer(), policy="fail")
    assert "score_parity" in failed["failed_gates"] and failed["gates"]["score_parity"]["attribution"] == "reference"


def test_candidate_deviation_is_attributed_to_the_candidate():
    result = run(Side(shift=0.5), Side(), scorer=Scorer())
    assert "score_parity" in result["failed_gates"] and "model_agreement" in result["failed_gates"]
    assert result["gates"]["score_parity"]["attribution"] == "candidate"
    assert "deviates from the model" in result["gates"]["score_parity"]["reason"]


def test_a_third_opinion_that_cannot_run_fails_model_agreement_as_not_evaluated():
    result = run(Side(), Side(), scorer=Scorer(fail=True))
    gate = result["gates"]["model_agreement"]
    assert gate["status"] == "failed" and gate["reason"].startswith("not evaluated: scoring_python")
    assert not result["passed"]


def test_a_reference_that_ranks_differently_fails_ranking():
    class Reversed(Side):
        def score(self, query, documents, truncate=False):
            return 1.0 - super().score(query, documents, truncate)

    result = run(Side(), Reversed())
    assert {"score_parity", "ranking"} <= set(result["failed_gates"])
    assert result["gates"]["ranking"]["min_kendall_tau"] < 0


def test_short_context_fails_served_and_long_input():
    result = run(Side(limit=40), Side(), max_model_len=40)
    assert {"served", "long_input"} <= set(result["failed_gates"])
    near = result["gates"]["long_input"]["cases"][0]
    assert near["name"] == "near_limit" and near["candidate"] == "rejected" and "--max-model-len" in near["reason"]
    assert "context is 40 tokens" in result["gates"]["served"]["reason"]


def test_batch_and_endpoint_disagreements():
    assert run(Side(rerank_shift=0.01), Side())["failed_gates"] == ["endpoints_agree"]
    batch = run(Side(batch_shift=0.01), Side())
    assert "batch" in batch["failed_gates"]


def test_labelled_gate_counts_misses():
    result = run(Side(), Side(), check_labelled=True)
    labelled = result["gates"]["labelled"]
    assert labelled["queries"] == 4 and labelled["correct"] + len(labelled["misses"]) == 4
    assert labelled["passed"] == (not labelled["misses"])


def test_settings_problems():
    settings = ScoreSettings("m", 64, "identity", "softmax", abs_tolerance=2.0, kendall_tau_threshold=0, ndcg_k=0)
    problems = " ".join(settings.problems())
    for word in ("reference_activation", "abs_tolerance", "kendall_tau_threshold", "ndcg_k"):
        assert word in problems


def test_pairs_validation_and_templates(tmp_path):
    with pytest.raises(pairs.PairsError, match="at least two"):
        pairs.validate_groups([{"query": "q", "documents": ["only one"]}])
    with pytest.raises(pairs.PairsError, match="index"):
        pairs.validate_groups([{"query": "q", "documents": ["a", "b"], "relevant": 5}])
    assert len(pairs.builtin_groups(multilingual=True)) > len(pairs.builtin_groups())
    templated = pairs.apply_template(pairs.builtin_groups()[:1], "<Q>{query}", "<D>{document}")
    assert templated[0]["query"] == "<Q>apple stock price" and templated[0]["documents"][0].startswith("<D>")
    with pytest.raises(pairs.PairsError, match="placeholders"):
        pairs.apply_template(pairs.builtin_groups()[:1], "{question}", None)
    path = tmp_path / "p.json"
    path.write_text('{"groups": [{"query": "q", "documents": ["a", "b"], "relevant": 0}]}')
    assert pairs.load_groups(path=str(path))[0]["relevant"] == 0
    with pytest.raises(pairs.PairsError, match="at least 16"):
        pairs.long_pairs(8)


def test_model_scorer_runs_the_source_and_reports_every_failure(tmp_path):
    import sys

    from ansible_collections.vllm_pooling.migration.plugins.module_utils.model_scores import ModelScorer

    groups = [{"query": "q", "documents": ["a", "b"]}]
    echo = ("import json, sys; r = json.load(sys.stdin); "
            "print(json.dumps({'with_token_types': [[1.0] * len(g['documents']) for g in r['groups']], "
            "'without_token_types': [[0.0, 0.0]], 'uses_token_types': False, 'path': r['model_path']}))")
    answer = ModelScorer(sys.executable, str(tmp_path), echo).scores(groups)
    assert answer["with_token_types"] == [[1.0, 1.0]] and answer["path"] == str(tmp_path)
    cases = [
        (ModelScorer(str(tmp_path / "no-python"), "m", echo), "cannot run scoring_python"),
        (ModelScorer(sys.executable, "m", "import sys; sys.exit('no torch here')"), "failed (exit 1): no torch here"),
        (ModelScorer(sys.executable, "m", "print('hello')"), "no JSON"),
        (ModelScorer(sys.executable, "m", "print('{\"with_token_types\": [[1.0]]}')"), "do not cover every pair"),
        (ModelScorer(sys.executable, "m", "import time; time.sleep(5)", timeout=0.5), "longer than 0.5 s"),
    ]
    for scorer, message in cases:
        with pytest.raises(ModelScoresError) as info:
            scorer.scores(groups)
        assert message in info.value.cause and info.value.hint
