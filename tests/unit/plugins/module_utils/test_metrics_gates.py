from __future__ import annotations

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import gates
from ansible_collections.vllm_pooling.migration.plugins.module_utils.metrics import (
    is_normalized, row_cosines, summarize)

RNG = np.random.default_rng(7)


def unit_rows(n, d):
    m = RNG.normal(size=(n, d))
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_row_cosines_identity_and_opposite():
    a = unit_rows(4, 8)
    assert np.allclose(row_cosines(a, a), 1.0)
    assert np.allclose(row_cosines(a, -a), -1.0)


def test_row_cosines_zero_vector_is_zero_not_nan():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    b = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert row_cosines(a, b).tolist() == [0.0, 1.0]


def test_row_cosines_shape_mismatch():
    with pytest.raises(ValueError):
        row_cosines(np.ones((2, 3)), np.ones((2, 4)))


def test_summarize_reports_p01_below_mean():
    values = [0.5] * 3 + [1.0] * 197
    s = summarize(values)
    assert s["min"] == 0.5 and s["max"] == 1.0
    assert s["p01"] < s["mean"] < 1.0


def test_summarize_empty_raises():
    with pytest.raises(ValueError):
        summarize([])


def test_is_normalized():
    assert is_normalized([1.0, 0.995], 0.01)
    assert not is_normalized([1.0, 1.5], 0.01)


def test_cosine_gate_passes_on_identical_and_lists_worst_on_drift():
    ref = unit_rows(10, 16)
    texts = ["t%d" % i for i in range(10)]
    ok = gates.cosine_gate(ref, ref, texts, 0.99)
    assert ok["passed"] and ok["below_threshold"] == 0 and ok["min"] >= 0.999999

    cand = ref.copy()
    cand[3] = unit_rows(1, 16)[0]  # one text gets an unrelated vector
    bad = gates.cosine_gate(cand, ref, texts, 0.99)
    assert not bad["passed"]
    assert bad["below_threshold"] == 1
    assert bad["worst"][0]["index"] == 3 and bad["worst"][0]["text"] == "t3"
    assert "1 of 10" in bad["reason"]


def test_norm_gate_normalized_reference_needs_normalized_candidate():
    ref = unit_rows(5, 8)
    assert gates.norm_gate(ref, ref, 0.01)["passed"]
    scaled = gates.norm_gate(ref * 3.0, ref, 0.01)
    assert not scaled["passed"] and scaled["reference_normalized"]


def test_norm_gate_unnormalized_reference_relative_tolerance():
    ref = unit_rows(5, 8) * 7.0
    assert gates.norm_gate(ref * 1.005, ref, 0.01)["passed"]
    off = gates.norm_gate(ref * 1.2, ref, 0.01)
    assert not off["passed"] and off["max_relative_difference"] == pytest.approx(0.2)


def test_dimension_gate():
    assert gates.dimension_gate(384, 384, 384)["passed"]
    assert not gates.dimension_gate(384, 768)["passed"]
    assert not gates.dimension_gate(384, 384, 768)["passed"]


def test_batch_gate_detects_order_swap():
    single = unit_rows(4, 8)
    batched = single[[1, 0, 2, 3]]
    result = gates.batch_gate(batched, single, ["a", "b", "c", "d"], 0.9999)
    assert not result["passed"] and result["below_threshold"] == 2


def test_long_input_gate_outcomes():
    v = unit_rows(1, 4)[0]
    both_rejected = {"words": 300, "reference": {"rejected": "too long"}, "candidate": {"rejected": "too long"}}
    assert gates.long_input_gate([both_rejected], 0.99)["passed"]
    silently_truncated = {"words": 300, "reference": {"rejected": "too long"}, "candidate": {"vector": v}}
    result = gates.long_input_gate([silently_truncated], 0.99)
    assert not result["passed"] and "reference rejected it, candidate embedded it" in result["reason"]
    both_embedded_apart = {"words": 300, "reference": {"vector": v}, "candidate": {"vector": -v}}
    assert not gates.long_input_gate([both_embedded_apart], 0.99)["passed"]
    assert not gates.long_input_gate([], 0.99)["passed"]


def test_not_comparable_never_passes():
    assert gates.not_comparable("dimensions differ")["passed"] is False


def test_every_gate_has_a_status_and_only_passed_passes():
    ok = gates.dimension_gate(384, 384)
    assert ok["status"] == "passed" and ok["passed"] is True
    bad = gates.dimension_gate(384, 768)
    assert bad["status"] == "failed" and bad["passed"] is False
    skipped = gates.skipped("does not apply")
    assert skipped["status"] == "skipped" and skipped["passed"] is False
    assert gates.not_comparable("x")["status"] == "failed"


@pytest.mark.parametrize("values,bad", [
    ({"cosine_threshold": 1.5}, "cosine_threshold=1.5"),
    ({"cosine_threshold": 0.0}, "cosine_threshold=0.0"),
    ({"cosine_threshold": -0.2}, "cosine_threshold=-0.2"),
    ({"batch_threshold": 1.0001}, "batch_threshold=1.0001"),
    ({"norm_tolerance": -0.01}, "norm_tolerance=-0.01"),
    ({"norm_tolerance": 1.0}, "norm_tolerance=1.0"),
])
def test_thresholds_outside_their_range_are_problems(values, bad):
    problems = gates.threshold_problems(values)
    assert len(problems) == 1 and bad in problems[0]


def test_thresholds_inside_their_range_are_fine():
    assert gates.threshold_problems({"cosine_threshold": 1.0, "batch_threshold": 0.9999, "norm_tolerance": 0.0}) == []


SERVED = {"served_model": "minilm", "root": "/models/minilm", "max_model_len": 256, "version": "0.32.0"}


def test_served_config_gate_passes_on_the_catalog_context_and_root():
    gate = gates.served_config_gate(SERVED, 256, "/models/minilm/")
    assert gate["passed"], gate["reason"]
    assert gate["max_model_len"] == 256 and gate["root"] == "/models/minilm" and gate["version"] == "0.32.0"


@pytest.mark.parametrize("served_len", [64, 512])
def test_served_config_gate_catches_a_context_that_differs(served_len):
    # --max-model-len 64, or sentence_bert_config.json missing (512 positions instead of 256)
    gate = gates.served_config_gate(dict(SERVED, max_model_len=served_len), 256)
    assert not gate["passed"] and "%d tokens" % served_len in gate["reason"] and "256" in gate["reason"]


def test_served_config_gate_catches_another_model_and_missing_facts():
    assert "expected /models/other" in gates.served_config_gate(SERVED, 256, "/models/other")["reason"]
    unknown = gates.served_config_gate(dict(SERVED, max_model_len=None, root=None), 256, "/models/minilm")
    assert not unknown["passed"] and "does not report max_model_len" in unknown["reason"]
    assert "does not report the model root" in unknown["reason"]
    assert gates.served_config_gate(SERVED, None)["reason"].startswith("not evaluated")


def test_token_gate_names_the_texts_that_differ():
    texts = ["hello", "Hello World", "ABC"]
    ok = gates.token_gate(texts, [3, 4, 3], [3, 4, 3])
    assert ok["passed"] and ok["texts"] == 3
    drift = gates.token_gate(texts, [3, 6, 5], [3, 4, 3])  # lowercasing lost: mixed case splits differently
    assert not drift["passed"] and drift["differing"] == 2
    assert drift["worst"][0] == {"index": 1, "text": "Hello World", "candidate": 6, "reference": 4}
    assert "'Hello World' candidate 6 vs reference 4" in drift["reason"]
    no_specials = gates.token_gate(texts, [1, 2, 1], [3, 4, 3])
    assert no_specials["differing"] == 3


def test_token_gate_skips_without_reference_counts_and_fails_without_candidate_counts():
    assert gates.token_gate(["a"], [3], [None])["status"] == "skipped"
    assert gates.token_gate(["a"], [None], [3])["status"] == "failed"
    # rejected texts (None) are not compared
    assert gates.token_gate(["a", "b"], [3, None], [3, 300])["passed"]


def test_input_lengths_gate_catches_a_short_context():
    texts = ["short", "passage of 128 tokens", "passage of 252 tokens"]
    ok = gates.input_lengths_gate(texts, {}, {}, [3, 128, 252])
    assert ok["passed"] and ok["longest_tokens"] == 252
    short = gates.input_lengths_gate(texts, {}, {1: "too long", 2: "too long"}, [3, 128, 252],
                                     passages=[{"target": 128, "tokens": 128}])
    assert not short["passed"] and "candidate rejects 2 text(s)" in short["reason"] and "128 tokens" in short["reason"]
    assert short["mismatches"][0]["rejected_by"] == "candidate" and short["passages"][0]["tokens"] == 128
    longer = gates.input_lengths_gate(texts, {2: "too long"}, {}, [3, 128, None])
    assert not longer["passed"] and "embeds 1 text(s) the reference rejects" in longer["reason"]
    both = gates.input_lengths_gate(texts, {2: "x"}, {2: "y"}, [3, 128, None])
    assert both["passed"] and both["rejected_by_both"] == 1


def test_long_input_gate_truncating_mode_must_agree_on_the_vector():
    v = unit_rows(2, 4)
    chunked = {"words": 264, "mode": "truncate", "reference": {"vector": v[0]}, "candidate": {"vector": v[1]}}
    result = gates.long_input_gate([chunked], 0.99)
    assert not result["passed"] and "(truncate mode)" in result["reason"]
    assert result["cases"][0]["mode"] == "truncate"
    alike = {"words": 264, "mode": "truncate", "reference": {"vector": v[0]}, "candidate": {"vector": v[0] * 1.0}}
    assert gates.long_input_gate([alike], 0.99)["passed"]
