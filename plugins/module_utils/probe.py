# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A short probe through the path consumers use: the cutover's smoke check and its step gates.

Every request sends a real embedding or rerank call and checks the answer the way the verification
checks do (every vector present and finite, the expected dimension, one finite score per document);
an answer that is not fully right counts as an error. The verdict: error rate and p95 latency
within their limits, and at least one request answered.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import (
    CaikitEmbeddingClient, CaikitRerankClient)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import (
    OpenAIEmbeddingClient, VllmScoreClient)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import percentiles_ms

# Short texts on purpose: the probe proves the path answers correctly; parity was proven by verify.
PROBE_TEXTS = ("How do I rotate the API key of the embedding service?",
               "Retrieval-augmented generation finds passages before the model answers.",
               "Die Rechnung wurde am Montag verschickt.")
PROBE_QUERY = "how is the service key rotated"
CLIENTS = {("openai", "embedding"): OpenAIEmbeddingClient, ("openai", "reranker"): VllmScoreClient,
           ("caikit", "embedding"): CaikitEmbeddingClient, ("caikit", "reranker"): CaikitRerankClient}
MAX_SAMPLES = 5


def probe_client(endpoint, api, kind, model):
    try:
        return CLIENTS[(api, kind)](endpoint, model)
    except KeyError:
        raise CheckError(endpoint.model, endpoint.base_url, "no probe for api %r and kind %r" % (api, kind),
                         "api is openai or caikit, kind embedding or reranker")


def probe_once(client, kind, index, expected_dimension=None):
    """One request; returns the problem found in its answer, or None when the answer is right."""
    text = PROBE_TEXTS[index % len(PROBE_TEXTS)]
    if kind == "embedding":
        matrix = client.embed([text])  # shape and finiteness are checked by the client
        if expected_dimension and matrix.shape[1] != expected_dimension:
            return "dimension %d, expected %d" % (matrix.shape[1], expected_dimension)
        return None
    scores = client.rerank(PROBE_QUERY, list(PROBE_TEXTS)) if hasattr(client, "rerank") \
        else client.score(PROBE_QUERY, list(PROBE_TEXTS))
    if len(scores) != len(PROBE_TEXTS) or not all(math.isfinite(score) for score in scores):
        return "scores %s are not one finite number per document" % list(scores)
    return None


def run_probe(client, kind, requests=8, concurrency=2, expected_dimension=None, clock=time.monotonic):
    """Send ``requests`` calls, ``concurrency`` at a time: ``{requests, errors, error_rate, p50_ms, p95_ms,
    error_samples}`` (latencies of the answered requests only)."""
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be at least 1")

    def one(index):
        start = clock()
        try:
            problem = probe_once(client, kind, index, expected_dimension)
        except CheckError as exc:
            problem = exc.message
        return clock() - start, problem

    with ThreadPoolExecutor(max_workers=min(concurrency, requests)) as pool:
        outcomes = list(pool.map(one, range(requests)))
    latencies = [latency for latency, problem in outcomes if problem is None]
    problems = [problem for _latency, problem in outcomes if problem is not None]
    quantiles = percentiles_ms(latencies, (50, 95))
    return {"requests": requests, "errors": len(problems), "error_rate": round(len(problems) / float(requests), 4),
            "p50_ms": quantiles["p50"], "p95_ms": quantiles["p95"],
            "error_samples": sorted(set(problems))[:MAX_SAMPLES]}


def probe_verdict(result, max_error_rate, max_p95_ms):
    """``(passed, reason)``: within the limits, with at least one answered request."""
    problems = []
    if result["errors"] == result["requests"]:
        problems.append("no request was answered correctly (%s)" % "; ".join(result["error_samples"]))
    elif result["error_rate"] > max_error_rate:
        problems.append("error rate %.2f%% above %.2f%% (%s)" % (100 * result["error_rate"], 100 * max_error_rate,
                                                                 "; ".join(result["error_samples"])))
    if result["p95_ms"] is not None and result["p95_ms"] > max_p95_ms:
        problems.append("p95 %.0f ms above %.0f ms" % (result["p95_ms"], max_p95_ms))
    return not problems, "; ".join(problems)
