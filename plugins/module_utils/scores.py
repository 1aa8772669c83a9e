# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Turn decoded JSON relevance scores into a checked numpy array in input order, or raise CheckError.

Every rerank API (vLLM ``/v1/rerank``, Cohere/Jina ``/rerank``, Caikit ``/api/v1/task/rerank``) answers
best-first with an ``index`` per result; this is the one place that matches them back to the documents.
"""

from __future__ import annotations

import math

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_scores(values, expected_count, model, url):
    """Check ``values`` (a list of numbers, one per document, in input order); return float64 ``(n,)``.

    Partial answers, non-numbers and NaN/Inf are errors: a check never passes on data it did not fully receive.
    """
    if not isinstance(values, list) or len(values) != expected_count:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise CheckError(model, url, "expected %d scores, got %s" % (expected_count, got),
                         "The server returned a partial or malformed answer")
    for position, value in enumerate(values):
        if not _number(value):
            raise CheckError(model, url, "score %d is not a number (%r)" % (position, value),
                             "The server returned a malformed answer")
        if not math.isfinite(value):
            raise CheckError(model, url, "score %d is %s" % (position, value),
                             "The model produced non-finite output; check dtype (float16 overflow) and weights")
    return np.asarray(values, dtype=np.float64)


def by_index(items, expected_count, score_field, model, url):
    """Scores in input order from ``[{index, <score_field>}]`` items in any order (rerank answers are best-first).

    Every index from 0 to ``expected_count - 1`` must appear exactly once: a ``top_n`` cut or a duplicate is an error.
    """
    if not isinstance(items, list):
        raise CheckError(model, url, "answer has no list of results", "The server does not speak a rerank API at this URL")
    found = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("index"), int) or score_field not in item:
            raise CheckError(model, url, "a result lacks an integer 'index' or '%s'" % score_field,
                             "The server does not speak this rerank API at this URL")
        if item["index"] in found:
            raise CheckError(model, url, "document index %d appears twice in the answer" % item["index"],
                             "The server returned a malformed answer")
        found[item["index"]] = item[score_field]
    if sorted(found) != list(range(expected_count)):
        raise CheckError(model, url, "answer covers documents %s, expected 0..%d" % (sorted(found)[:10], expected_count - 1),
                         "The server returned a partial answer (a top_n limit?)")
    return to_scores([found[i] for i in range(expected_count)], expected_count, model, url)
