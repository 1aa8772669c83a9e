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


# Every threshold a check accepts, with its valid range: name -> (lowest, lowest included, highest, highest included).
THRESHOLD_RANGES = {
    "cosine_threshold": (0.0, False, 1.0, True),
    "batch_threshold": (0.0, False, 1.0, True),
    "norm_tolerance": (0.0, True, 1.0, False),
}


def gate(passed, reason, status=None, **numbers):
    """The one shape of a gate: ``{status, passed, reason, ...numbers}``; only ``passed`` status passes."""
    status = status or ("passed" if passed else "failed")
    result = {"status": status, "passed": status == "passed", "reason": reason}
    result.update(numbers)
    return result


def not_comparable(reason, **numbers):
    """A gate that could not be evaluated fails; it never counts as passed."""
    return gate(False, "not evaluated: " + reason, **numbers)


def skipped(reason, **numbers):
    """A gate that does not apply to this model or reference by design; never counts as passed."""
    return gate(False, reason, status="skipped", **numbers)


def add_gate(check, name, gate_result):
    """Put one more gate into a check's result, keeping ``passed``/``failed_gates``/``skipped_gates`` true to it."""
    check["gates"][name] = gate_result
    if gate_result["status"] == "failed":
        check["failed_gates"].append(name)
        check["passed"] = False
    elif gate_result["status"] == "skipped":
        check["skipped_gates"].append(name)
    return check


def threshold_problems(values):
    """Messages for thresholds outside their range (a cosine of 1.5 can never pass, 0 always does)."""
    problems = []
    for name, (low, low_ok, high, high_ok) in THRESHOLD_RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if not ((value >= low if low_ok else value > low) and (value <= high if high_ok else value < high)):
            interval = "%s%s, %s%s" % ("[" if low_ok else "(", low, high, "]" if high_ok else ")")
            problems.append("%s=%s is outside %s" % (name, value, interval))
    return problems


def _preview(text, size=60):
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 3] + "..."


def dimension_gate(candidate_dim, reference_dim, expected_dim=None):
    problems = []
    if candidate_dim != reference_dim:
        problems.append("candidate has %d dimensions, reference %d" % (candidate_dim, reference_dim))
    if expected_dim and candidate_dim != expected_dim:
        problems.append("candidate has %d dimensions, the catalog expects %d" % (candidate_dim, expected_dim))
    return gate(not problems, "; ".join(problems) or "dimensions agree",
                candidate=candidate_dim, reference=reference_dim, expected=expected_dim)


def cosine_gate(candidate, reference, texts, threshold):
    cos = row_cosines(candidate, reference)
    below = [int(i) for i in np.argsort(cos) if cos[i] < threshold]
    worst = [{"index": i, "cosine": round(float(cos[i]), 6), "text": _preview(texts[i])}
             for i in below[:WORST_SHOWN]]
    reason = ("every text has cosine >= %s" % threshold if not below else
              "%d of %d texts below cosine %s" % (len(below), len(texts), threshold))
    return gate(not below, reason, threshold=threshold, texts=len(texts), below_threshold=len(below),
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
        return gate(ok, reason, reference_normalized=True, **numbers)
    relative = np.abs(cand - ref) / np.maximum(ref, 1e-12)
    ok = bool(np.all(relative <= tolerance))
    reason = ("norms agree within %s" % tolerance if ok else
              "norms differ by up to %.1f%% (tolerance %.1f%%)" % (relative.max() * 100, tolerance * 100))
    return gate(ok, reason, reference_normalized=False, max_relative_difference=round(float(relative.max()), 6),
                **numbers)


def batch_gate(batched, single, texts, threshold):
    """Vectors of a batched request equal those of one request per text (order, padding, pooling)."""
    cos = row_cosines(batched, single)
    below = [int(i) for i in np.argsort(cos) if cos[i] < threshold]
    worst = [{"index": i, "cosine": round(float(cos[i]), 6), "text": _preview(texts[i])}
             for i in below[:WORST_SHOWN]]
    reason = ("batched and single requests agree" if not below else
              "%d of %d texts differ between batched and single requests" % (len(below), len(texts)))
    return gate(not below, reason, threshold=threshold, below_threshold=len(below), worst=worst,
                **summarize(cos))


def long_input_gate(outcomes, threshold):
    """Over-long inputs: the candidate must do what the reference does (reject, or embed alike).

    ``outcomes`` is a list of dicts ``{words, mode, reference, candidate}`` where ``mode`` is ``default``
    (sent as consumers send by default) or ``truncate`` (both sides asked to truncate to the limit), and each
    side is ``{"rejected": detail}`` or ``{"vector": ndarray}``. In the truncating mode both must embed alike.
    """
    cases = []
    for outcome in outcomes:
        ref, cand = outcome["reference"], outcome["candidate"]
        case = {"words": outcome["words"], "mode": outcome.get("mode", "default"),
                "reference": "rejected" if "rejected" in ref else "embedded",
                "candidate": "rejected" if "rejected" in cand else "embedded"}
        if case["reference"] != case["candidate"]:
            case["passed"] = False
            case["reason"] = "reference %s it, candidate %s it" % (case["reference"], case["candidate"])
            detail = cand.get("rejected") or ref.get("rejected")
            if detail:
                case["detail"] = _preview(str(detail), 200)
        elif case["reference"] == "embedded" and np.shape(cand["vector"]) != np.shape(ref["vector"]):
            case["passed"] = False
            case["reason"] = "both embedded it, in %d dimensions (candidate) and %d (reference)" % (
                np.size(cand["vector"]), np.size(ref["vector"]))
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
              "; ".join("%d words (%s mode): %s" % (c["words"], c["mode"], c["reason"]) for c in failed))
    return gate(not failed and bool(cases), reason if cases else "no over-long input was tried", cases=cases)


def input_lengths_gate(texts, reference_rejected, candidate_rejected, token_counts, passages=()):
    """Every corpus text the reference embeds, the candidate embeds too, and the other way round.

    Catches a context shorter than the model's (``--max-model-len 64`` rejects RAG chunks Caikit embeds).
    ``*_rejected`` map a text index to the server's message; ``token_counts`` are the reference's (or None).
    """
    def described(index, side, detail):
        tokens = token_counts[index] if token_counts and token_counts[index] is not None else None
        return {"index": index, "text": _preview(texts[index]), "tokens": tokens, "rejected_by": side,
                "detail": _preview(str(detail), 160)}

    only_candidate = [described(i, "candidate", d) for i, d in sorted(candidate_rejected.items())
                      if i not in reference_rejected]
    only_reference = [described(i, "reference", d) for i, d in sorted(reference_rejected.items())
                      if i not in candidate_rejected]
    both = sorted(set(candidate_rejected) & set(reference_rejected))
    accepted = [i for i in range(len(texts)) if i not in candidate_rejected and i not in reference_rejected]
    counted = [token_counts[i] for i in accepted if token_counts and token_counts[i] is not None]
    longest = max(counted) if counted else None
    problems = []
    if only_candidate:
        problems.append("the candidate rejects %d text(s) the reference embeds, e.g. %s"
                        % (len(only_candidate), _mismatch_preview(only_candidate[0])))
    if only_reference:
        problems.append("the candidate embeds %d text(s) the reference rejects, e.g. %s"
                        % (len(only_reference), _mismatch_preview(only_reference[0])))
    reason = "; ".join(problems) or ("both sides embed every text (longest %s tokens)" % longest
                                     if longest is not None else "both sides embed the same texts")
    return gate(not problems, reason, texts=len(texts), rejected_by_both=len(both), longest_tokens=longest,
                passages=list(passages), mismatches=(only_candidate + only_reference)[:WORST_SHOWN])


def _mismatch_preview(item):
    tokens = "%s tokens, " % item["tokens"] if item["tokens"] is not None else ""
    return "text %d (%s%r): %s" % (item["index"], tokens, item["text"][:40], item["detail"])


def token_gate(texts, candidate_counts, reference_counts):
    """Per-text token counts agree (Caikit ``input_token_count`` vs vLLM ``usage.prompt_tokens``).

    A tokenizer that lost its lowercasing or its special tokens shows here with the texts that differ.
    ``None`` marks a text one side rejected or did not count; such texts are not compared.
    """
    if not any(count is not None for count in reference_counts):
        return skipped("the reference reports no token counts (only Caikit, an OpenAI server with usage, "
                       "or a golden file recorded from them do)")
    if not any(count is not None for count in candidate_counts):
        return not_comparable("the candidate reports no token counts (usage.prompt_tokens)")
    pairs = [(i, c, r) for i, (c, r) in enumerate(zip(candidate_counts, reference_counts))
             if c is not None and r is not None]
    differ = [{"index": i, "text": _preview(texts[i]), "candidate": c, "reference": r}
              for i, c, r in pairs if c != r]
    if differ:
        shown = ", ".join("%r candidate %d vs reference %d" % (d["text"][:40], d["candidate"], d["reference"])
                          for d in differ[:3])
        reason = "%d of %d texts have different token counts: %s" % (len(differ), len(pairs), shown)
    else:
        reason = "token counts agree on all %d texts" % len(pairs)
    return gate(not differ and bool(pairs), reason if pairs else "not evaluated: no text was counted by both sides",
                texts=len(pairs), differing=len(differ), worst=differ[:WORST_SHOWN])


def served_config_gate(config, expected_max_model_len=None, expected_root=None):
    """What the candidate says it serves (``/v1/models`` root and max_model_len, ``/version``) matches the catalog.

    ``config`` is ``{served_model, root, max_model_len, version}`` (None where the server did not say).
    The context length must equal the model's limit: ``--max-model-len 64`` or a missing
    ``sentence_bert_config.json`` (512 instead of 256) fail here.
    """
    numbers = dict(config, expected_max_model_len=expected_max_model_len, expected_root=expected_root)
    if not expected_max_model_len:
        return not_comparable("no expected context length: set max_tokens (the catalog's max_tokens)", **numbers)
    problems = []
    served_len = config.get("max_model_len")
    if served_len is None:
        problems.append("the server does not report max_model_len in /v1/models")
    elif int(served_len) != int(expected_max_model_len):
        problems.append("the server's context is %s tokens, the model's limit is %s (check --max-model-len and "
                        "sentence_bert_config.json)" % (served_len, expected_max_model_len))
    if expected_root:
        root = config.get("root")
        if not root:
            problems.append("the server does not report the model root in /v1/models")
        elif _root(root) != _root(expected_root):
            problems.append("the server serves %s, expected %s" % (root, expected_root))
    reason = "; ".join(problems) or ("context %s tokens as expected%s" % (
        served_len, ", root %s" % config.get("root") if expected_root else ""))
    return gate(not problems, reason, **numbers)


def _root(value):
    return str(value).rstrip("/") or "/"


def served_gate(served, name):
    return gate(name in served, "'%s' is listed by /v1/models" % name if name in served else
                "'%s' is not among the served models %s" % (name, served), served=served)
