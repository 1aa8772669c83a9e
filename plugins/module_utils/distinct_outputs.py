# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Collapsed output: a server that gives every input the same answer, and the ``distinct_outputs`` gate.

Parity is relative: when the candidate and the reference both return one vector for every text (or one score for
every document), every parity gate passes. Real causes are a pooling or truncation setting that leaves a token or
none (``truncate_prompt_tokens``, ``--max-model-len``), a broken tokenizer, a stub or the wrong files served. This
module judges each side on its own: it looks only at what one server returned for different inputs.

Inputs are compared after removing duplicates (texts that differ only in case or whitespace count as one: an uncased
model gives them the same vector legitimately). At least ``MIN_DISTINCT`` distinct inputs are needed to judge;
with fewer a side is not judged, and a gate over a side that was not judged is skipped, never passed.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.gates import gate, skipped
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ranking import logit

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

# Fewer distinct inputs than this say nothing about collapse (two texts may well be near each other).
MIN_DISTINCT = 3
# Vectors count as the same one when every vector's cosine distance to the first is below this and its norm equals
# the first's within NORM_RELATIVE (relative). Distinct sentences of real models stay below cosine 0.9999.
COSINE_DISTANCE = 1e-6
NORM_RELATIVE = 1e-6
# Scores count as the same one when each is within SCORE_TOLERANCE + SCORE_TOLERANCE * |first| of the first
# (numpy.isclose's rule); sigmoid scores are compared as logits, so saturated probabilities near 0 or 1 stay apart.
SCORE_TOLERANCE = 1e-6

GATE = "distinct_outputs"
HINTS = {
    "embedding": "check the pooling type (--pooler-config, the model's modules.json), truncation "
                 "(truncate_prompt_tokens, --max-model-len / max_model_len), the tokenizer files and the model path "
                 "the server was started from",
    "reranker": "check the pooling and classifier settings (--pooler-config, the activation), truncation "
                "(truncate_prompt_tokens, --max-model-len / max_model_len), the tokenizer files, the prompt template "
                "and the model path the server was started from",
}


def distinct_key(text):
    """What makes two inputs different here: their words, not their case or whitespace."""
    return " ".join(str(text).split()).casefold()


def _distinct_rows(texts, rows):
    """The first finite row of each distinct text, and how many rows were dropped as non-finite."""
    seen, kept, non_finite = set(), [], 0
    for text, row in zip(texts, rows):
        if row is None:
            continue
        row = np.asarray(row, dtype=np.float64).ravel()
        if row.size == 0 or not np.all(np.isfinite(row)):
            non_finite += 1
            continue
        key = distinct_key(text)
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept, non_finite


def vectors_collapsed(texts, vectors):
    """Whether the vectors a side returned for ``texts`` are all the same vector.

    ``vectors`` is aligned with ``texts``; None marks a text the side did not embed, and a vector with NaN or infinite
    values is left out (counted in ``non_finite``). Returns ``{judged, collapsed, distinct_inputs, non_finite,
    max_cosine_distance, max_norm_difference}``: ``judged`` is false with fewer than ``MIN_DISTINCT`` distinct texts
    (then ``collapsed`` is false and the distances None). Zero vectors for every text are collapsed too.
    """
    rows, non_finite = _distinct_rows(texts, vectors)
    finding = {"judged": False, "collapsed": False, "distinct_inputs": len(rows), "non_finite": non_finite,
               "max_cosine_distance": None, "max_norm_difference": None}
    if len(rows) < MIN_DISTINCT or len({row.shape for row in rows}) != 1:
        return finding
    matrix = np.vstack(rows)
    first = matrix[0]
    norms = np.linalg.norm(matrix, axis=1)
    # relative to the first norm; absolute when the first is a zero vector (never a division by zero, never inf)
    norm_difference = np.abs(norms - norms[0]) / (norms[0] if norms[0] > 0 else 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominators = norms * norms[0]
        cosines = np.where(denominators > 0, matrix.dot(first) / np.where(denominators > 0, denominators, 1.0), 0.0)
    # a zero vector has no direction: it is the same vector only as another zero vector
    zero = norms == 0
    distance = np.where(zero & zero[0], 0.0, 1.0 - np.clip(cosines, -1.0, 1.0))
    collapsed = bool(np.all(distance < COSINE_DISTANCE) and np.all(norm_difference <= NORM_RELATIVE))
    finding.update(judged=True, collapsed=collapsed, max_cosine_distance=float(distance.max()),
                   max_norm_difference=float(norm_difference.max()))
    return finding


def scores_collapsed(groups, scores, activation="identity"):
    """Whether a side gave the same score to every distinct document of every query.

    ``groups`` are ``{query, documents}``, ``scores`` one array per group in document order (None for a group the
    side did not score). A query is judged with at least ``MIN_DISTINCT`` distinct documents with finite scores; the
    side is collapsed when at least one query was judged and every judged query has one score for all of its documents.
    ``activation`` ``sigmoid`` compares the scores as logits. Returns ``{judged, collapsed, queries_judged,
    queries_collapsed, distinct_inputs, most_distinct_documents, non_finite, max_spread}`` (``distinct_inputs``:
    documents over the judged queries; ``most_distinct_documents``: of any one query; ``max_spread``: the largest
    difference between finite scores of one judged query, in the compared terms).
    """
    judged = collapsed = inputs = non_finite = most = 0
    spreads = []
    for group, row in zip(groups, scores):
        if row is None:
            continue
        values, dropped = _distinct_rows(group["documents"], [[value] for value in np.ravel(row)])
        non_finite += dropped
        most = max(most, len(values))
        if len(values) < MIN_DISTINCT:
            continue
        values = np.concatenate(values)
        if activation == "sigmoid":
            values = logit(values)  # exactly 0 or 1 become -inf or +inf, equal only to themselves
        judged += 1
        inputs += len(values)
        collapsed += int(np.isclose(values, values[0], rtol=SCORE_TOLERANCE, atol=SCORE_TOLERANCE).all())
        finite = values[np.isfinite(values)]
        spreads.append(float(finite.max() - finite.min()) if finite.size else 0.0)
    return {"judged": judged > 0, "collapsed": judged > 0 and collapsed == judged, "queries_judged": judged,
            "queries_collapsed": collapsed, "distinct_inputs": inputs, "most_distinct_documents": most,
            "non_finite": non_finite, "max_spread": max(spreads) if spreads else None}


def side(source, model=None, role="candidate"):
    """``{role, type, model, url}`` of a check's source, for the gate's messages (fakes lack some attributes)."""
    wrapped = getattr(source, "source", None)  # a golden recorder wraps the live reference
    names = [getattr(obj, attribute, None) for obj in (source, wrapped) if obj is not None
             for attribute in ("served_model", "model_id", "model")]
    return {"role": role, "type": getattr(source, "kind", None), "url": getattr(source, "url", None),
            "model": model or next((name for name in names if isinstance(name, str) and name), None)}


def _who(where):
    words = "the %s" % where["role"]
    if where["role"] == "reference" and where.get("type"):
        words += " (%s)" % where["type"]
    if where.get("model"):
        words += " model '%s'" % where["model"]
    if where.get("url"):
        words += " at %s" % where["url"]
    return words


def _collapse_words(kind, finding):
    if kind == "embedding":
        return "the same vector for all %d distinct texts" % finding["distinct_inputs"]
    queries = finding["queries_judged"]
    return "one score for all documents of %s (%d distinct documents in all)" % (
        "the query" if queries == 1 else "each of the %d queries" % queries, finding["distinct_inputs"])


def _judged_words(kind, finding):
    if kind == "embedding":
        return "%d distinct texts, max cosine distance to the first %.3g" % (
            finding["distinct_inputs"], finding["max_cosine_distance"])
    return "%d distinct documents over %d queries" % (finding["distinct_inputs"], finding["queries_judged"])


def distinct_outputs_gate(kind, candidate, reference, candidate_side, reference_side):
    """The candidate gives different inputs different answers, and so does the reference it is compared with.

    ``kind`` is ``embedding`` or ``reranker``; ``candidate`` and ``reference`` are findings of ``vectors_collapsed``
    or ``scores_collapsed`` (``reference`` None when not looked at); ``*_side`` come from ``side``. Fails when the
    candidate collapsed (naming model, URL, the count of inputs and what to check) and when the reference collapsed
    (parity with it proves nothing); skipped when the candidate could not be judged; passes otherwise.
    """
    reference = reference or {"judged": False, "collapsed": False}
    thresholds = ({"cosine_distance": COSINE_DISTANCE, "norm_relative": NORM_RELATIVE} if kind == "embedding"
                  else {"score_tolerance": SCORE_TOLERANCE})
    numbers = dict(candidate=candidate, reference=reference, min_distinct=MIN_DISTINCT, **thresholds)
    problems = []
    if candidate["collapsed"]:
        problems.append("%s returned %s: %s" % (_who(candidate_side), _collapse_words(kind, candidate), HINTS[kind]))
    if reference["collapsed"]:
        problems.append("%s returned %s%s, so parity with it proves nothing: check the reference server (a golden "
                        "file recorded from such a server is no reference either)"
                        % (_who(reference_side), _collapse_words(kind, reference),
                           " as well" if candidate["collapsed"] else ""))
    if problems:
        return gate(False, "; ".join(problems), reference_collapsed=reference["collapsed"], **numbers)
    inputs = "texts" if kind == "embedding" else "documents per query"
    if not candidate["judged"]:
        return skipped("not judged: the candidate answered fewer than %d distinct %s (%d)"
                       % (MIN_DISTINCT, inputs, candidate["distinct_inputs"] if kind == "embedding"
                          else candidate["most_distinct_documents"]), reference_collapsed=False, **numbers)
    answers = "vectors" if kind == "embedding" else "scores"
    reason = "the candidate gives distinct %s (%s)" % (answers, _judged_words(kind, candidate))
    if not reference["judged"]:
        reason += "; the reference was not judged (fewer than %d distinct %s)" % (MIN_DISTINCT, inputs)
    return gate(True, reason, reference_collapsed=False, **numbers)
