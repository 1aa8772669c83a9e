"""Kendall tau, NDCG@k, top-1 and activation alignment: the numbers behind the ranking and score_parity gates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import ranking


def test_kendall_tau_identical_reversed_and_one_swap():
    ref = [5.0, 4.0, 3.0, 2.0, 1.0]
    assert ranking.kendall_tau(ref, ref) == pytest.approx(1.0)
    assert ranking.kendall_tau(ref[::-1], ref) == pytest.approx(-1.0)
    # one adjacent swap of five: (9 - 1) / 10
    assert ranking.kendall_tau([5.0, 4.0, 2.0, 3.0, 1.0], ref) == pytest.approx(0.8)


def test_kendall_tau_is_invariant_to_monotone_transforms():
    ref = [0.3, -1.2, 2.5, 0.9]
    assert ranking.kendall_tau(ranking.sigmoid(ref), ref) == pytest.approx(1.0)
    assert ranking.kendall_tau([x * 3 + 7 for x in ref], ref) == pytest.approx(1.0)


def test_kendall_tau_ties_within_tolerance_do_not_count_as_disagreement():
    ref = [1.0, 1.0004, 0.0]
    swapped = [1.0004, 1.0, 0.0]
    assert ranking.kendall_tau(swapped, ref) < 1.0
    assert ranking.kendall_tau(swapped, ref, tie_tolerance=0.001) == pytest.approx(1.0)
    assert ranking.kendall_tau([1.0], [2.0]) == 1.0
    # constant candidate scores order nothing the reference orders
    assert ranking.kendall_tau([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]) == 0.0
    with pytest.raises(ValueError):
        ranking.kendall_tau([1.0, 2.0], [1.0])


def test_ndcg_perfect_worst_and_partial():
    ref = [3.0, 2.0, 1.0]
    assert ranking.ndcg_at_k(ref, ref, 3) == pytest.approx(1.0)
    # reversed order: gains 1,2,3 instead of 3,2,1
    dcg = 1 / math.log2(2) + 2 / math.log2(3) + 3 / math.log2(4)
    ideal = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ranking.ndcg_at_k(ref[::-1], ref, 3) == pytest.approx(dcg / ideal)
    # only the top k matters: a swap below k is invisible
    assert ranking.ndcg_at_k([3.0, 2.0, 0.5, 1.0], [3.0, 2.0, 1.0, 0.5], 2) == pytest.approx(1.0)


def test_top1_with_tie_tolerance():
    assert ranking.top1_agrees([0.2, 0.9], [0.1, 0.8])
    assert not ranking.top1_agrees([0.9, 0.2], [0.1, 0.8])
    assert ranking.top1_agrees([0.9, 0.2], [0.7995, 0.8], tie_tolerance=0.001)


def test_activation_alignment_converts_only_what_is_declared():
    logits = np.array([-2.0, 0.0, 3.0])
    probabilities = ranking.to_activation(logits, "identity", "sigmoid")
    assert probabilities.tolist() == pytest.approx([1 / (1 + math.e ** 2), 0.5, 1 / (1 + math.e ** -3)])
    assert ranking.to_activation(probabilities, "sigmoid", "identity").tolist() == pytest.approx(logits.tolist())
    assert ranking.to_activation(logits, "sigmoid", "sigmoid").tolist() == logits.tolist()
    with pytest.raises(ValueError):
        ranking.to_activation(logits, "softmax", "sigmoid")
    stated = ranking.alignment("identity", "sigmoid")
    assert stated["compared_as"] == "sigmoid" and stated["converted"] == ["candidate"]
    assert "converted to sigmoid" in stated["statement"]
    assert ranking.alignment("sigmoid", "sigmoid")["converted"] == []


def test_logit_of_saturated_probabilities_is_infinite_not_nan():
    values = ranking.logit([0.0, 1.0, 0.5])
    assert values[0] == -np.inf and values[1] == np.inf and values[2] == 0.0


def test_alignment_does_not_hide_a_calibration_mismatch():
    """use_activation off: the server sends logits while sigmoid is declared; nothing converts them."""
    logits = np.array([-1.0, 0.5, 2.0])
    reference = ranking.sigmoid(logits)
    candidate = ranking.to_activation(logits, "sigmoid", "sigmoid")  # declared sigmoid, really logits
    assert np.abs(candidate - reference).max() > 0.4
    assert ranking.kendall_tau(candidate, reference) == pytest.approx(1.0)


def test_query_agreement_reports_topk_change():
    agreement = ranking.query_agreement([0.1, 0.9, 0.5, 0.2], [0.1, 0.9, 0.2, 0.5], k=2)
    assert agreement["top1"] is True and agreement["topk_changed"] is True
    assert agreement["kendall_tau"] < 1.0
