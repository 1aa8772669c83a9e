# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Gates: one decision each, with the numbers that made it. Pure functions over arrays."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.metrics import (
    is_normalized, row_cosines, summarize)

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

WORST_SHOWN = 5


def _gate(passed, reason, **numbers):
    result = {"passed": bool(passed), "reason": reason}
    result.update(numbers)
    return result


def not_comparable(reason):
    """A gate that could not be evaluated fails; it never counts as passed."""
    return _gate(False, "not evaluated: " + reason)


def _preview(text, size=60):
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 3] + "..."


def dimension_gate(candidate_dim, reference_dim, expected_dim=None):
    problems = []
    if candidate_dim != reference_dim:
        problems.append("candidate has %d dimensions, reference %d" % (candidate_dim, reference_dim))
    if expected_dim and candidate_dim != expected_dim:
        problems.append("candidate has %d dimensions, the catalog expects %d" % (candidate_dim, expected_dim))
    return _gate(not problems, "; ".join(problems) or "dimensions agree",
                 candidate=candidate_dim, reference=reference_dim, expected=expected_dim)


def cosine_gate(candidate, reference, texts, threshold):
    cos = row_cosines(candidate, reference)
    below = [int(i) for i in np.argsort(cos) if cos[i] < threshold]
    worst = [{"index": i, "cosine": round(float(cos[i]), 6), "text": _preview(texts[i])}
             for i in below[:WORST_SHOWN]]
    reason = ("every text has cosine >= %s" % threshold if not below else
              "%d of %d texts below cosine %s" % (len(below), len(texts), threshold))
    return _gate(not below, reason, threshold=threshold, texts=len(texts), below_threshold=len(below),
                 worst=worst, **summarize(cos))


def norm_gate(candidate, reference, tolerance):
    """A normalized reference needs a normalized candidate; otherwise norms agree within a relative tolerance."""
    cand = np.linalg.norm(candidate, axis=1)
    ref = np.linalg.norm(reference, axis=1)
    numbers = {"tolerance": tolerance,
               "candidate_norm": summarize(cand, 4), "reference_norm": summarize(ref, 4)}
    if is_normalized(ref, tolerance):
        ok = is_normalized(cand, tolerance)
        reason = ("reference and candidate are unit-normalized" if ok else
                  "reference is unit-normalized, candidate is not (norms %.4f..%.4f)" % (cand.min(), cand.max()))
        return _gate(ok, reason, reference_normalized=True, **numbers)
    relative = np.abs(cand - ref) / np.maximum(ref, 1e-12)
    ok = bool(np.all(relative <= tolerance))
    reason = ("norms agree within %s" % tolerance if ok else
              "norms differ by up to %.1f%% (tolerance %.1f%%)" % (relative.max() * 100, tolerance * 100))
    return _gate(ok, reason, reference_normalized=False, max_relative_difference=round(float(relative.max()), 6),
                 **numbers)


def batch_gate(batched, single, texts, threshold):
    """Vectors of a batched request equal those of one request per text (order, padding, pooling)."""
    cos = row_cosines(batched, single)
    below = [int(i) for i in np.argsort(cos) if cos[i] < threshold]
    worst = [{"index": i, "cosine": round(float(cos[i]), 6), "text": _preview(texts[i])}
             for i in below[:WORST_SHOWN]]
    reason = ("batched and single requests agree" if not below else
              "%d of %d texts differ between batched and single requests" % (len(below), len(texts)))
    return _gate(not below, reason, threshold=threshold, below_threshold=len(below), worst=worst,
                 **summarize(cos))


def long_input_gate(outcomes, threshold):
    """Over-long inputs: the candidate must do what the reference does (reject, or embed alike).

    ``outcomes`` is a list of dicts ``{text, tokens_hint, reference, candidate}`` where each side is
    ``{"rejected": detail}`` or ``{"vector": ndarray}``.
    """
    cases = []
    for outcome in outcomes:
        ref, cand = outcome["reference"], outcome["candidate"]
        case = {"words": outcome["words"], "reference": "rejected" if "rejected" in ref else "embedded",
                "candidate": "rejected" if "rejected" in cand else "embedded"}
        if case["reference"] != case["candidate"]:
            case["passed"] = False
            case["reason"] = "reference %s it, candidate %s it" % (case["reference"], case["candidate"])
        elif case["reference"] == "embedded":
            cosine = float(row_cosines(np.atleast_2d(cand["vector"]), np.atleast_2d(ref["vector"]))[0])
            case["cosine"] = round(cosine, 6)
            case["passed"] = cosine >= threshold
            case["reason"] = "both embedded it, cosine %.6f" % cosine
        else:
            case["passed"] = True
            case["reason"] = "both rejected it"
        cases.append(case)
    failed = [c for c in cases if not c["passed"]]
    reason = ("over-long inputs behave as in the reference" if not failed else
              "; ".join("%d words: %s" % (c["words"], c["reason"]) for c in failed))
    return _gate(not failed and bool(cases), reason if cases else "no over-long input was tried", cases=cases)


def served_gate(served, name):
    return _gate(name in served, "'%s' is listed by /v1/models" % name if name in served else
                 "'%s' is not among the served models %s" % (name, served), served=served)
