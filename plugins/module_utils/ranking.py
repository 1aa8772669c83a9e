# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Ranking agreement and score activations: pure functions over lists of scores.

Ties: two documents whose reference scores differ by at most ``tie_tolerance`` have no order the
candidate must reproduce (the same tolerance the score_parity gate allows per pair), so swapping
them is neither a concordant nor a discordant pair, and either of them may be the top-1.
"""

from __future__ import annotations

import math

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

# What a server's score is: the classifier's raw logit, or the logit through a sigmoid (a probability).
ACTIVATIONS = ("identity", "sigmoid")


def sigmoid(values):
    values = np.asarray(values, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-values))


def logit(values):
    """The inverse of the sigmoid; probabilities of exactly 0 or 1 (saturated float32) map to +-inf, never NaN."""
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.log(values) - np.log1p(-values)


def to_activation(values, source, target):
    """Scores declared as activation ``source`` expressed as ``target`` (identity <-> sigmoid)."""
    for name in (source, target):
        if name not in ACTIVATIONS:
            raise ValueError("unknown activation %r; use one of %s" % (name, ", ".join(ACTIVATIONS)))
    if source == target:
        return np.asarray(values, dtype=np.float64)
    return sigmoid(values) if target == "sigmoid" else logit(values)


def alignment(candidate, reference):
    """How two declared activations are compared: always in the reference's terms, stated for the result.

    The alignment only converts what the configuration *declares*. A server that does not do what is
    declared (``use_activation`` off, a shifted logit scale) is not corrected: its scores stay off and
    the score_parity gate fails, while the order (ranking) can still agree.
    """
    return {"candidate": candidate, "reference": reference, "compared_as": reference,
            "converted": [] if candidate == reference else ["candidate"],
            "statement": ("both sides declare %s scores; compared as received" % reference if candidate == reference else
                          "candidate declares %s scores, reference %s: the candidate's scores are converted to %s "
                          "(%s) before comparing" % (candidate, reference, reference,
                                                     "sigmoid" if reference == "sigmoid" else "logit = inverse sigmoid"))}


def kendall_tau(candidate, reference, tie_tolerance=0.0):
    """Kendall's tau-b of the candidate's order against the reference's.

    Pairs tied in the reference (within ``tie_tolerance``) have no order to reproduce and are left out;
    pairs tied exactly in the candidate count as ties (tau-b). Returns 1.0 for fewer than two documents
    or when no pair is left (nothing to disagree on).
    """
    cand = [float(x) for x in candidate]
    ref = [float(x) for x in reference]
    if len(cand) != len(ref):
        raise ValueError("kendall_tau needs two score lists of the same length (%d, %d)" % (len(cand), len(ref)))
    concordant = discordant = tied_cand = 0
    for i in range(len(ref)):
        for j in range(i + 1, len(ref)):
            dr = ref[i] - ref[j]
            dc = cand[i] - cand[j]
            if abs(dr) <= tie_tolerance:
                continue
            if dc == 0:
                tied_cand += 1
            elif (dr > 0) == (dc > 0):
                concordant += 1
            else:
                discordant += 1
    if concordant + discordant == 0:
        # no pair to order, or a candidate that ties everything the reference orders (constant scores)
        return 0.0 if tied_cand else 1.0
    denominator = math.sqrt((concordant + discordant) * (concordant + discordant + tied_cand))
    return (concordant - discordant) / denominator


def ndcg_at_k(candidate, reference, k):
    """NDCG@k of the candidate's order, the reference's order giving the gains (best document n, worst 1)."""
    ref = np.asarray(reference, dtype=np.float64)
    n = len(ref)
    if n == 0:
        return 1.0
    gains = np.empty(n)
    gains[np.argsort(-ref, kind="stable")] = np.arange(n, 0, -1)
    discounts = 1.0 / np.log2(np.arange(2, min(k, n) + 2))
    order = np.argsort(-np.asarray(candidate, dtype=np.float64), kind="stable")[:k]
    ideal = np.sort(gains)[::-1][:k]
    return float(np.dot(gains[order], discounts) / np.dot(ideal, discounts))


def top1_agrees(candidate, reference, tie_tolerance=0.0):
    """The candidate's best document is the reference's best, or tied with it within ``tie_tolerance``."""
    ref = np.asarray(reference, dtype=np.float64)
    best = int(np.argmax(np.asarray(candidate, dtype=np.float64)))
    return bool(ref.max() - ref[best] <= tie_tolerance)


def top_k_set(scores, k):
    return sorted(int(i) for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k])


def query_agreement(candidate, reference, k, tie_tolerance=0.0):
    """``{top1, kendall_tau, ndcg, topk_changed}`` of one query's scores (same activation on both sides)."""
    return {
        "top1": top1_agrees(candidate, reference, tie_tolerance),
        "kendall_tau": round(kendall_tau(candidate, reference, tie_tolerance), 6),
        "ndcg": round(ndcg_at_k(candidate, reference, k), 6),
        "topk_changed": top_k_set(candidate, k) != top_k_set(reference, k),
    }
