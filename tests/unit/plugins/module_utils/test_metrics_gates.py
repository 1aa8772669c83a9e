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
