# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Score gates of rerankers: one decision each, with the numbers that made it (same shape as gates.py).

Scores reaching these functions are already aligned to one activation (see ranking.alignment).
"""

from __future__ import annotations

import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils.gates import gate, not_comparable, skipped
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ranking import query_agreement

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

WORST_SHOWN = 5
REFERENCE_DEVIATION_POLICIES = ("warn", "fail")


def _preview(text, size=50):
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 3] + "..."


def _round(value, digits=6):
    return None if value is None else round(float(value), digits)


class Tolerance(object):
    """Per pair: ``|candidate - reference| <= abs_tolerance + rel_tolerance * |reference|`` (numpy.isclose's rule)."""

    def __init__(self, abs_tolerance, rel_tolerance):
        self.abs_tolerance = abs_tolerance
        self.rel_tolerance = rel_tolerance

    def within(self, candidate, reference):
        return np.abs(candidate - reference) <= self.abs_tolerance + self.rel_tolerance * np.abs(reference)

    def as_dict(self):
        return {"abs_tolerance": self.abs_tolerance, "rel_tolerance": self.rel_tolerance}


def compare_scores(groups, candidate, reference, tolerance):
    """Deviation summary of two lists of per-group score arrays: ``{ok, pairs, outside, min, mean, max, shift, worst}``."""
    cand = np.concatenate(candidate)
    ref = np.concatenate(reference)
    deviation = np.abs(cand - ref)
    within = tolerance.within(cand, ref)
    labels = [(g["query"], d) for g in groups for d in g["documents"]]
    order = [int(i) for i in np.argsort(-deviation) if not within[i]]
    return {
        "ok": bool(within.all()), "pairs": int(len(cand)), "outside_tolerance": int((~within).sum()),
        "min": _round(deviation.min()), "mean": _round(deviation.mean()), "max": _round(deviation.max()),
        # a constant shift or scale shows in the signed mean: a calibration difference, not noise
        "mean_signed_shift": _round((cand - ref).mean()),
        "max_relative": _round((deviation / np.maximum(np.abs(ref), 1e-12)).max()),
        "worst": [{"query": _preview(labels[i][0], 40), "document": _preview(labels[i][1]),
                   "candidate": _round(cand[i]), "reference": _round(ref[i])} for i in order[:WORST_SHOWN]],
    }


def compare_rankings(groups, candidate, reference, k, tie_tolerance, tau_threshold, ndcg_threshold):
    """Per query top-1, Kendall tau and NDCG@k of ``candidate`` against ``reference``; ``ok`` when every query holds."""
    queries = []
    for group, cand, ref in zip(groups, candidate, reference):
        agreement = query_agreement(cand, ref, k, tie_tolerance)
        agreement["query"] = _preview(group["query"], 40)
        agreement["ok"] = (agreement["top1"] and agreement["kendall_tau"] >= tau_threshold
                           and agreement["ndcg"] >= ndcg_threshold)
        queries.append(agreement)
    failing = [q for q in queries if not q["ok"]]
    return {"ok": not failing, "queries": queries, "failing_queries": len(failing),
            "top1_agree": sum(1 for q in queries if q["top1"]),
            "min_kendall_tau": min(q["kendall_tau"] for q in queries), "min_ndcg": min(q["ndcg"] for q in queries)}


def _describe_scores(side):
    return "max deviation %s, mean %s, %d of %d pairs outside tolerance" % (
        side["max"], side["mean"], side["outside_tolerance"], side["pairs"])


def _describe_ranking(side):
    return "%d of %d queries disagree (min Kendall tau %s, min NDCG %s, top-1 equal on %d)" % (
        side["failing_queries"], len(side["queries"]), side["min_kendall_tau"], side["min_ndcg"], side["top1_agree"])


def attributed_gate(name, versus_reference, versus_model, reference_versus_model, describe, policy, hint=""):
    """A gate over a candidate/reference comparison, with the model's own scores as the third opinion.

    ``versus_model`` and ``reference_versus_model`` are None without the third opinion. Returns
    ``(gate, warning or None)``: when the candidate matches the model and the reference does not, the
    deviation is the reference's: a pass with a named warning (``policy`` warn) or a failure (``policy`` fail),
    never a silent pass.
    """
    numbers = {"vs_reference": versus_reference}
    if versus_model is not None:
        numbers.update(vs_model=versus_model, reference_vs_model=reference_versus_model)
    if versus_reference["ok"]:
        attribution = "none"
        if versus_model is not None and not versus_model["ok"]:
            # both servers agree, the model does not: model_agreement fails; this gate states it
            attribution = "both_deviate_from_model"
        return gate(True, "candidate agrees with the reference: %s" % describe(versus_reference),
                    attribution=attribution, **numbers), None
    if versus_model is None:
        return gate(False, "candidate differs from the reference: %s; no third opinion (set model_path and "
                           "scoring_python to attribute the deviation)%s" % (describe(versus_reference), hint),
                    attribution="unknown", **numbers), None
    if versus_model["ok"] and not reference_versus_model["ok"]:
        message = ("%s: the reference deviates from the model's own scores (%s) while the candidate matches them "
                   "(%s); the candidate is right, consumers will see the shift in score_shift"
                   % (name, describe(reference_versus_model), describe(versus_model)))
        status = "passed" if policy == "warn" else "failed"
        return gate(status == "passed", message, status=status, attribution="reference", **numbers), \
            {"gate": name, "message": message}
    if not versus_model["ok"]:
        return gate(False, "candidate deviates from the model's own scores (%s) and from the reference (%s)"
                    % (describe(versus_model), describe(versus_reference)), attribution="candidate", **numbers), None
    return gate(False, "candidate and reference differ (%s) though each is close to the model's own scores"
                % describe(versus_reference), attribution="tolerance", **numbers), None


def score_parity_gate(versus_reference, versus_model, reference_versus_model, alignment, tolerance, policy,
                      ranking_agrees):
    hint = ""
    if ranking_agrees:
        hint = ("; the order agrees, the scale does not: a calibration difference (use_activation off, a shifted logit "
                "scale, or a wrongly declared activation)")
    result, warning = attributed_gate("score_parity", versus_reference, versus_model, reference_versus_model,
                                      _describe_scores, policy, hint)
    if not result["passed"] and ranking_agrees and result.get("attribution") in ("unknown", "candidate"):
        result["reason"] += hint if hint not in result["reason"] else ""
        result["calibration_mismatch"] = True
    result.update(alignment=alignment, **tolerance.as_dict())
    for key in ("min", "mean", "max", "mean_signed_shift"):
        result[key] = versus_reference[key]
    return result, warning


def ranking_gate(versus_reference, versus_model, reference_versus_model, policy, thresholds):
    result, warning = attributed_gate("ranking", versus_reference, versus_model, reference_versus_model,
                                      _describe_ranking, policy)
    result.update(thresholds)
    result.update(min_kendall_tau=versus_reference["min_kendall_tau"], min_ndcg=versus_reference["min_ndcg"])
    return result, warning


def model_agreement_gate(versus_model, ranking_versus_model, model_info):
    """The candidate reproduces the model's own scores (transformers, with the tokenizer's token type ids)."""
    ok = versus_model["ok"] and ranking_versus_model["ok"]
    scores, order = _describe_scores(versus_model), _describe_ranking(ranking_versus_model)
    reason = ("candidate matches the model's own scores: %s" % scores if ok else
              "candidate differs from the model's own scores: %s; %s" % (scores, order))
    return gate(ok, reason, scores=versus_model, ranking=ranking_versus_model, model=model_info)


def labelled_gate(groups, candidate, reference):
    """On groups that name a relevant document, the candidate ranks it first (the reference's count is shown)."""
    labelled = [(g, c, r) for g, c, r in zip(groups, candidate, reference) if g.get("relevant") is not None]
    if not labelled:
        return skipped("no pair group names a relevant document")
    misses = [{"query": _preview(group["query"], 40), "relevant": group["relevant"], "ranked_first": int(np.argmax(cand))}
              for group, cand, ref in labelled if int(np.argmax(cand)) != group["relevant"]]
    reference_right = sum(1 for group, cand, ref in labelled if int(np.argmax(ref)) == group["relevant"])
    reason = ("the relevant document ranks first for all %d labelled queries" % len(labelled) if not misses else
              "the relevant document is not first for %d of %d labelled queries (the reference gets %d right)"
              % (len(misses), len(labelled), reference_right))
    return gate(not misses, reason, queries=len(labelled), correct=len(labelled) - len(misses),
                reference_correct=reference_right, misses=misses)


def consistency_gate(groups, first, second, tolerance, what):
    """The same pairs through two request shapes give the same scores (batch vs single, /v1/score vs /v1/rerank)."""
    summary = compare_scores(groups, first, second, tolerance)
    reason = ("%s agree on all %d pairs (max deviation %s)" % (what, summary["pairs"], summary["max"]) if summary["ok"] else
              "%s differ on %d of %d pairs (max deviation %s)" % (what, summary["outside_tolerance"], summary["pairs"],
                                                                  summary["max"]))
    numbers = {key: summary[key] for key in ("pairs", "outside_tolerance", "min", "mean", "max", "worst")}
    return gate(summary["ok"], reason, **dict(numbers, **tolerance.as_dict()))


def long_input_gate(cases, tolerance):
    """Pairs near and beyond the limit behave as in the reference: scored alike, or rejected by both.

    ``cases``: ``[{name, within_limit, words, reference: {rejected}|{score}, candidate: {rejected}|{score}}]``,
    scores already aligned. ``tolerance`` None compares outcomes only (the reference's scores are not trusted).
    """
    shown = []
    for case in cases:
        ref, cand = case["reference"], case["candidate"]
        row = {"name": case["name"], "words": case["words"],
               "reference": "rejected" if "rejected" in ref else "scored",
               "candidate": "rejected" if "rejected" in cand else "scored"}
        if row["reference"] != row["candidate"]:
            row["passed"] = False
            row["reason"] = "reference %s it, candidate %s it" % (row["reference"], row["candidate"])
            if case["within_limit"] and row["candidate"] == "rejected":
                row["reason"] += " though it is within the model's limit (a shorter --max-model-len?)"
            elif row["candidate"] == "rejected":
                row["reason"] += (" (the reference truncates it silently): consumers sending such pairs would get HTTP 400 "
                                  "unless they send truncate_prompt_tokens; check with truncate_long_inputs=true")
        elif row["reference"] == "scored":
            row.update(candidate_score=_round(cand["score"]), reference_score=_round(ref["score"]))
            row["passed"] = tolerance is None or bool(tolerance.within(np.array([cand["score"]]), np.array([ref["score"]]))[0])
            row["reason"] = "both scored it (%s vs %s%s)" % (row["candidate_score"], row["reference_score"],
                                                             "" if tolerance else ", scores not compared")
        else:
            row["passed"] = True
            row["reason"] = "both rejected it"
        shown.append(row)
    failed = [row for row in shown if not row["passed"]]
    if not shown:
        return not_comparable("no pair near or beyond the limit was tried")
    reason = ("pairs near and beyond the limit behave as in the reference" if not failed else
              "; ".join("%s (%d words): %s" % (row["name"], row["words"], row["reason"]) for row in failed))
    return gate(not failed, reason, cases=shown)


def served_gate(served_models, served_config, name, expected_max_model_len):
    """The served name is listed by ``/v1/models`` and its ``max_model_len`` is the catalog's limit."""
    problems = []
    if name not in served_models:
        problems.append("'%s' is not among the served models %s" % (name, served_models))
    served_len = (served_config or {}).get("max_model_len")
    if served_len is None:
        problems.append("the server does not report max_model_len for '%s' in /v1/models" % name)
    elif int(served_len) != int(expected_max_model_len):
        problems.append("the server's context is %s tokens, the model's limit is %s (check --max-model-len)"
                        % (served_len, expected_max_model_len))
    reason = "; ".join(problems) or "'%s' is listed with max_model_len %s" % (name, served_len)
    return gate(not problems, reason, served=list(served_models), max_model_len=served_len,
                expected_max_model_len=expected_max_model_len, root=(served_config or {}).get("root"))


_CONTEXT = re.compile(r"maximum context length is (\d+)")
_REQUESTED = re.compile(r"(?:requested|has|of|contains|contains at least) (\d+) (?:input )?tokens")


def length_numbers(detail):
    """``(context, requested)`` tokens read from a server's length rejection (vLLM 0.32: "This model's maximum
    context length is 64 tokens. However, your prompt contains at least 65 input tokens, ..."; older vLLM: "...
    However, you requested 41 tokens ..."); None where the message does not say (a count of characters)."""
    text = str(detail)
    context, requested = _CONTEXT.search(text), _REQUESTED.search(text)
    return (int(context.group(1)) if context else None), (int(requested.group(1)) if requested else None)


def input_lengths_gate(rejections, pairs_total, max_tokens):
    """Every pair the reference scores, the candidate scores too, and the other way round.

    ``rejections``: ``[{query, document, rejected_by: candidate|reference|both, detail}]`` (pairs of the groups, not
    the long pairs, which long_input judges). A pair the candidate rejects for length while the reference scores it
    is a context shorter than the model's (``--max-model-len`` below ``max_tokens``): the gate fails with the
    candidate's context and the pair's tokens as the server states them, and the model's limit.
    """
    shown = []
    for item in rejections:
        context, requested = length_numbers(item["detail"])
        shown.append({"query": _preview(item["query"], 40), "document": _preview(item["document"], 40),
                      "rejected_by": item["rejected_by"], "context_tokens": context, "pair_tokens": requested,
                      "detail": _preview(str(item["detail"]), 160)})
    only_candidate = [row for row in shown if row["rejected_by"] == "candidate"]
    only_reference = [row for row in shown if row["rejected_by"] == "reference"]
    problems = []
    if only_candidate:
        first = only_candidate[0]
        numbers = ", ".join(part for part in (
            "%s tokens" % first["pair_tokens"] if first["pair_tokens"] is not None else "",
            "the candidate's context is %s tokens" % first["context_tokens"] if first["context_tokens"] is not None
            else "") if part)
        problems.append("the candidate rejects %d of %d pairs the reference scores, e.g. %r (%s; the model's limit "
                        "max_tokens is %s: check --max-model-len)"
                        % (len(only_candidate), pairs_total, first["document"], numbers or first["detail"], max_tokens))
    if only_reference:
        problems.append("the candidate scores %d of %d pairs the reference rejects, e.g. %r: %s"
                        % (len(only_reference), pairs_total, only_reference[0]["document"], only_reference[0]["detail"]))
    contexts = sorted(set(row["context_tokens"] for row in only_candidate if row["context_tokens"] is not None))
    reason = "; ".join(problems) or "both sides score all %d pairs" % pairs_total
    return gate(not problems, reason, pairs=pairs_total, rejected_by_candidate=len(only_candidate),
                rejected_by_reference=len(only_reference),
                rejected_by_both=sum(1 for row in shown if row["rejected_by"] == "both"),
                candidate_context_tokens=contexts[0] if contexts else None, max_tokens=max_tokens,
                mismatches=(only_candidate + only_reference)[:WORST_SHOWN])


def score_shift(groups, candidate, reference, k, native):
    """What consumers see when they switch: per query mean and max score change and whether top-1/top-k change."""
    queries = []
    for group, cand, ref in zip(groups, candidate, reference):
        change = np.abs(cand - ref)
        agreement = query_agreement(cand, ref, k)
        queries.append({"query": _preview(group["query"], 40), "mean_change": _round(change.mean()),
                        "max_change": _round(change.max()), "top1_changed": not agreement["top1"],
                        "topk_changed": agreement["topk_changed"]})
    return {"native_activation": native, "compared_as": native["reference"], "k": k, "queries": queries,
            "max_change": max(q["max_change"] for q in queries) if queries else None,
            "any_top1_change": any(q["top1_changed"] for q in queries),
            "any_topk_change": any(q["topk_changed"] for q in queries)}
