# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Score parity of a reranker: run the gates of a vLLM candidate against a reference on labelled query groups.

The candidate is vLLM (``/v1/score`` and ``/v1/rerank``); the reference answers ``score(query, documents)``
(Caikit, a Cohere/Jina-style rerank server, or a golden file). Optionally the model's own scores (the
third opinion, model_scores.py) attribute a deviation to the candidate or to the reference.
Errors reaching an endpoint propagate as CheckError: no result on partial data.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import distinct_outputs, score_gates
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.model_scores import ModelScoresError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ranking import ACTIVATIONS, alignment, to_activation

GATES = ("served", "input_lengths", "score_parity", "ranking", "distinct_outputs", "labelled", "batch", "long_input",
         "endpoints_agree", "model_agreement")


class ScoreSettings(object):
    """Every setting of a score check, typed and validated in one place (the module passes its options here)."""

    def __init__(self, served_model, expected_max_model_len, candidate_activation, reference_activation,
                 abs_tolerance=1e-3, rel_tolerance=1e-3, consistency_tolerance=1e-4, kendall_tau_threshold=0.8,
                 ndcg_threshold=0.95, ndcg_k=5, reference_deviation="warn", check_labelled=True,
                 labelled_skip_reason="", truncate_long_inputs=False):
        self.served_model = served_model
        self.expected_max_model_len = expected_max_model_len
        self.candidate_activation = candidate_activation
        self.reference_activation = reference_activation
        self.tolerance = score_gates.Tolerance(abs_tolerance, rel_tolerance)
        self.consistency = score_gates.Tolerance(consistency_tolerance, consistency_tolerance)
        self.kendall_tau_threshold = kendall_tau_threshold
        self.ndcg_threshold = ndcg_threshold
        self.ndcg_k = ndcg_k
        self.reference_deviation = reference_deviation
        self.check_labelled = check_labelled
        self.labelled_skip_reason = labelled_skip_reason
        self.truncate_long_inputs = truncate_long_inputs

    def problems(self):
        """Messages for settings that could never give a meaningful result."""
        found = []
        for name in ("candidate_activation", "reference_activation"):
            if getattr(self, name) not in ACTIVATIONS:
                found.append("%s must be one of %s, got %r" % (name, ", ".join(ACTIVATIONS), getattr(self, name)))
        for name, value in (("abs_tolerance", self.tolerance.abs_tolerance), ("rel_tolerance", self.tolerance.rel_tolerance),
                            ("consistency_tolerance", self.consistency.abs_tolerance)):
            if not 0 <= value < 1:
                found.append("%s=%s is outside [0, 1)" % (name, value))
        for name, value in (("kendall_tau_threshold", self.kendall_tau_threshold), ("ndcg_threshold", self.ndcg_threshold)):
            if not 0 < value <= 1:
                found.append("%s=%s is outside (0, 1]" % (name, value))
        if self.ndcg_k < 1:
            found.append("ndcg_k must be at least 1")
        if self.reference_deviation not in score_gates.REFERENCE_DEVIATION_POLICIES:
            found.append("reference_deviation must be warn or fail")
        return found

    def thresholds(self):
        return dict(self.tolerance.as_dict(), consistency_tolerance=self.consistency.abs_tolerance,
                    kendall_tau_threshold=self.kendall_tau_threshold, ndcg_threshold=self.ndcg_threshold,
                    ndcg_k=self.ndcg_k, reference_deviation=self.reference_deviation)


def _outcome(source, query, document, truncate, activation, target):
    try:
        return {"score": float(to_activation(source.score(query, [document], truncate), activation, target)[0])}
    except RequestRejected as exc:
        return {"rejected": exc.detail}


def _long_input(candidate, reference, long_pairs, settings, compare_scores):
    cases = []
    for pair in long_pairs:
        truncate = settings.truncate_long_inputs and not pair["within_limit"]
        ref = _outcome(reference, pair["query"], pair["document"], truncate, settings.reference_activation,
                       settings.reference_activation)
        cand = _outcome(candidate, pair["query"], pair["document"], truncate, settings.candidate_activation,
                        settings.reference_activation)
        cases.append({"name": pair["name"], "within_limit": pair["within_limit"], "words": len(pair["document"].split()),
                      "reference": ref, "candidate": cand})
    result = score_gates.long_input_gate(cases, settings.tolerance if compare_scores else None)
    if not compare_scores:
        result["scores_compared"] = False
    return result


def _model_opinion(scorer, groups, settings):
    """The model's own scores in the reference's terms, or ``(None, problem)`` when they could not be computed."""
    if scorer is None:
        return None, None
    try:
        answer = scorer.scores(groups)
    except ModelScoresError as exc:
        return None, "%s. %s" % (exc.cause, exc.hint)
    target = settings.reference_activation
    opinion = {
        "scores": [to_activation(row, "identity", target) for row in answer["with_token_types"]],
        "without_token_types": [to_activation(row, "identity", target) for row in answer["without_token_types"]],
        "info": {"uses_token_types": answer.get("uses_token_types"), "versions": answer.get("versions"),
                 "python": answer.get("python"), "declared_activation_fn": answer.get("declared_activation_fn"),
                 "computed_with": "transformers AutoModelForSequenceClassification, tokenizer pairs with token type ids"},
    }
    return opinion, None


def _scores_or_rejections(source, query, documents):
    """``(scores, {})`` of a group, or ``(None, {index: detail})`` when the server rejects it: then one request per
    pair tells which pairs it refuses. A group refused while each of its pairs is accepted is an error, not a length."""
    try:
        return source.score(query, documents), {}
    except RequestRejected as exc:
        refused = exc
    rejected = {}
    for index, document in enumerate(documents):
        try:
            source.score(query, [document])
        except RequestRejected as exc:
            rejected[index] = exc.detail
    if not rejected:
        raise refused
    return None, rejected


def comparable_groups(candidate, reference, groups, target):
    """The groups cut to the pairs both sides score, with the reference's scores (in ``target`` activation) and the
    candidate's batch scores of them, and the pairs either side rejected: ``(groups, reference, candidate, rejections)``.

    A rejected pair is a property of the servers (a context shorter than the model's), reported by the
    ``input_lengths`` gate; the other gates compare what both sides scored. A group left with fewer than two
    pairs has no ranking and is left out.
    """
    kept, reference_scores, scored, rejections = [], [], [], []
    for group in groups:
        query, documents = group["query"], group["documents"]
        ref, ref_rejected = _scores_or_rejections(reference, query, documents)
        cand, cand_rejected = _scores_or_rejections(candidate, query, documents)
        for index, document in enumerate(documents):
            sides = [name for name, found in (("candidate", cand_rejected), ("reference", ref_rejected)) if index in found]
            if sides:
                rejections.append({"query": query, "document": document,
                                   "rejected_by": sides[0] if len(sides) == 1 else "both",
                                   "detail": cand_rejected.get(index) or ref_rejected.get(index)})
        if not ref_rejected and not cand_rejected:
            kept.append(group)
            reference_scores.append(to_activation(ref, target, target))
            scored.append(cand)
            continue
        accepted = [i for i in range(len(documents)) if i not in ref_rejected and i not in cand_rejected]
        if len(accepted) < 2:
            continue
        relevant = group.get("relevant")
        cut = dict(group, documents=[documents[i] for i in accepted],
                   relevant=accepted.index(relevant) if relevant in accepted else None)
        kept.append(cut)
        reference_scores.append(to_activation(reference.score(query, cut["documents"]), target, target))
        scored.append(candidate.score(query, cut["documents"]))
    return kept, reference_scores, scored, rejections


def _compared_gates(candidate, groups, reference_scores, scored, settings, scorer):
    """The gates over the pairs both sides scored: ``(results, warnings, aligned candidate scores)``."""
    target = settings.reference_activation
    results, warnings = {}, []
    reranked = [candidate.rerank(g["query"], g["documents"]) for g in groups]
    single = [[float(candidate.score(g["query"], [document])[0]) for document in g["documents"]] for g in groups]
    aligned = [to_activation(row, settings.candidate_activation, target) for row in scored]
    align = alignment(settings.candidate_activation, target)
    tolerance, k = settings.tolerance, settings.ndcg_k
    rank_args = (k, tolerance.abs_tolerance, settings.kendall_tau_threshold, settings.ndcg_threshold)
    scores_vs_ref = score_gates.compare_scores(groups, aligned, reference_scores, tolerance)
    ranking_vs_ref = score_gates.compare_rankings(groups, aligned, reference_scores, *rank_args)

    opinion, problem = _model_opinion(scorer, groups, settings)
    vs_model = ref_vs_model = rank_vs_model = rank_ref_vs_model = None
    if opinion:
        model = opinion["scores"]
        vs_model = score_gates.compare_scores(groups, aligned, model, tolerance)
        ref_vs_model = score_gates.compare_scores(groups, reference_scores, model, tolerance)
        rank_vs_model = score_gates.compare_rankings(groups, aligned, model, *rank_args)
        rank_ref_vs_model = score_gates.compare_rankings(groups, reference_scores, model, *rank_args)
        without = score_gates.compare_scores(groups, reference_scores, opinion["without_token_types"], tolerance)
        opinion["info"]["reference_matches_model_without_token_types"] = bool(
            opinion["info"]["uses_token_types"] and without["ok"] and not ref_vs_model["ok"])
        results["model_agreement"] = score_gates.model_agreement_gate(vs_model, rank_vs_model, opinion["info"])
    elif problem:
        results["model_agreement"] = score_gates.not_comparable(problem)
    else:
        results["model_agreement"] = score_gates.skipped("no third opinion: model_path and scoring_python not set")

    results["score_parity"], warning = score_gates.score_parity_gate(
        scores_vs_ref, vs_model, ref_vs_model, align, tolerance, settings.reference_deviation, ranking_vs_ref["ok"])
    warnings.extend([warning] if warning else [])
    results["ranking"], warning = score_gates.ranking_gate(
        ranking_vs_ref, rank_vs_model, rank_ref_vs_model, settings.reference_deviation,
        {"kendall_tau_threshold": settings.kendall_tau_threshold, "ndcg_threshold": settings.ndcg_threshold, "ndcg_k": k})
    warnings.extend([warning] if warning else [])
    if opinion and opinion["info"]["reference_matches_model_without_token_types"]:
        warnings.append({"gate": "score_parity", "message": (
            "the reference's scores equal the model run WITHOUT token type ids: the known Caikit-NLP CrossEncoderModule "
            "behaviour (return_token_type_ids=False); vLLM and sentence-transformers use them")})

    if settings.check_labelled:
        results["labelled"] = score_gates.labelled_gate(groups, aligned, reference_scores)
    else:
        results["labelled"] = score_gates.skipped(settings.labelled_skip_reason or "labelled check disabled (check_labelled=false)")
    results["batch"] = score_gates.consistency_gate(groups, scored, single, settings.consistency,
                                                    "one request with many documents and one request per pair")
    results["endpoints_agree"] = score_gates.consistency_gate(groups, scored, reranked, settings.consistency,
                                                              "/v1/score and /v1/rerank")
    return results, warnings, aligned


def _not_compared(reason):
    gates = {name: score_gates.not_comparable(reason)
             for name in ("score_parity", "ranking", "labelled", "batch", "endpoints_agree", "model_agreement")}
    gates["distinct_outputs"] = score_gates.skipped("not judged: " + reason)
    return gates


def _distinct_outputs(candidate, reference, groups, scored, reference_scores, settings):
    """Each side's scores of the compared groups, in its own activation: one score for every document is a failure."""
    return distinct_outputs.distinct_outputs_gate(
        "reranker", distinct_outputs.scores_collapsed(groups, scored, settings.candidate_activation),
        distinct_outputs.scores_collapsed(groups, reference_scores, settings.reference_activation),
        distinct_outputs.side(candidate, settings.served_model), distinct_outputs.side(reference, role="reference"))


def run_score_parity(candidate, reference, groups, long_pairs, settings, served_models, served_config, scorer=None):
    """Return ``{passed, gates, failed_gates, skipped_gates, warnings, corpus_size, score_shift, activation}``.

    ``served`` is judged first, from ``/v1/models``: a served name that is not listed sends no pair (every other
    gate is not evaluated). Pairs a side rejects are the ``input_lengths`` gate, never an error; errors reaching
    an endpoint (connection, TLS, auth, malformed answers) still propagate as CheckError.
    """
    results = {"served": score_gates.served_gate(served_models, served_config, settings.served_model,
                                                 settings.expected_max_model_len)}
    warnings = []
    corpus_size = sum(len(g["documents"]) for g in groups)
    if settings.served_model not in served_models:
        reason = "no pair was sent: '%s' is not among the served models" % settings.served_model
        results.update(_not_compared(reason), input_lengths=score_gates.not_comparable(reason),
                       long_input=score_gates.not_comparable(reason))
        return _summary(results, warnings, groups, [], settings, [], [])
    sent = groups
    groups, reference_scores, scored, rejections = comparable_groups(candidate, reference, sent,
                                                                     settings.reference_activation)
    results["input_lengths"] = score_gates.input_lengths_gate(rejections, corpus_size, settings.expected_max_model_len)
    aligned = []
    if groups:
        compared, found, aligned = _compared_gates(candidate, groups, reference_scores, scored, settings, scorer)
        results.update(compared)
        results["distinct_outputs"] = _distinct_outputs(candidate, reference, groups, scored, reference_scores, settings)
        warnings.extend(found)
    else:
        results.update(_not_compared("no pair was scored by both sides (see input_lengths)"))
    # scores of long pairs are compared only where the two sides agree on ordinary pairs: otherwise score_parity
    # already reports the deviation, and long_input judges what it is about, the behaviour at the limit
    trusted = results["score_parity"]["passed"] and results["score_parity"].get("attribution") != "reference"
    results["long_input"] = (_long_input(candidate, reference, long_pairs, settings, trusted) if long_pairs
                             else score_gates.skipped("long inputs not checked (check_long_inputs=false)"))

    return _summary(results, warnings, sent, groups, settings, aligned, reference_scores)


def _summary(results, warnings, sent, groups, settings, aligned, reference_scores):
    """The result over ``sent`` groups, of which ``groups`` (cut to the pairs both sides scored) were compared."""
    target, k = settings.reference_activation, settings.ndcg_k
    native = {"candidate": settings.candidate_activation, "reference": target}
    shift = score_gates.score_shift(groups, aligned, reference_scores, k, native)
    if settings.candidate_activation != target:
        warnings.append({"gate": "score_parity", "message": (
            "the candidate returns %s scores where the reference returned %s scores: consumers switching to vLLM "
            "must convert their score thresholds (or send use_activation)" % (
                "raw logit" if settings.candidate_activation == "identity" else "sigmoid",
                "raw logit" if target == "identity" else "sigmoid"))})
    if shift["any_topk_change"] and results["ranking"]["passed"]:
        warnings.append({"gate": "ranking", "message": "the top-%d set of some queries changes for consumers "
                                                       "(see score_shift)" % k})

    ordered = {name: results[name] for name in GATES if name in results}
    failed = [name for name, result in ordered.items() if result["status"] == "failed"]
    skipped = [name for name, result in ordered.items() if result["status"] == "skipped"]
    return {
        "passed": not failed,
        "failed_gates": failed,
        "skipped_gates": skipped,
        "gates": ordered,
        "warnings": warnings,
        "corpus_size": sum(len(g["documents"]) for g in sent),
        "pairs_compared": sum(len(g["documents"]) for g in groups),
        "queries": len(sent),
        "activation": alignment(settings.candidate_activation, target),
        "score_shift": shift,
    }
