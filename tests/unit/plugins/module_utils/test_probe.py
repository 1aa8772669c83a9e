"""The cutover's probe: every answer is checked, and a probe passes only within its limits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.probe import (
    probe_verdict, run_probe)


class Embeddings(object):
    """Answers like a client: a (1, dim) matrix, or raises what the client would raise."""

    def __init__(self, dim=384, fail_every=0):
        self.dim = dim
        self.fail_every = fail_every
        self.calls = itertools.count(1)

    def embed(self, texts):
        call = next(self.calls)
        if self.fail_every and call % self.fail_every == 0:
            raise CheckError("minilm", "http://x/v1/embeddings", "HTTP 503 Service Unavailable", "")
        return np.ones((len(texts), self.dim))


class Scores(object):
    def __init__(self, scores):
        self.scores = scores

    def rerank(self, query, documents):
        return self.scores


def clock_of(step):
    ticks = itertools.count()
    return lambda: next(ticks) * step


def test_correct_answers_pass_with_their_latency():
    result = run_probe(Embeddings(), "embedding", requests=6, concurrency=1, expected_dimension=384, clock=clock_of(0.01))
    assert result["errors"] == 0 and result["requests"] == 6
    assert result["p95_ms"] == pytest.approx(10.0)
    assert probe_verdict(result, 0.0, 100) == (True, "")


def test_wrong_dimension_counts_as_an_error():
    result = run_probe(Embeddings(dim=256), "embedding", requests=4, concurrency=2, expected_dimension=384)
    assert result["errors"] == 4 and result["error_samples"] == ["dimension 256, expected 384"]
    passed, why = probe_verdict(result, 0.5, 1000)
    assert not passed and "no request was answered correctly" in why


def test_error_rate_and_p95_limits():
    result = run_probe(Embeddings(fail_every=4), "embedding", requests=8, concurrency=1, clock=clock_of(0.5))
    assert result["errors"] == 2 and result["error_rate"] == 0.25
    assert "HTTP 503" in result["error_samples"][0]
    passed, why = probe_verdict(result, 0.1, 100)
    assert not passed and "error rate 25.00% above 10.00%" in why and "p95 500 ms above 100 ms" in why
    assert probe_verdict(result, 0.25, 1000) == (True, "")


def test_reranker_needs_one_finite_score_per_document():
    assert run_probe(Scores([0.1, 0.9, 0.2]), "reranker", requests=2)["errors"] == 0
    bad = run_probe(Scores([0.1, float("nan"), 0.2]), "reranker", requests=2)
    assert bad["errors"] == 2 and "not one finite number per document" in bad["error_samples"][0]
    assert run_probe(Scores([0.1]), "reranker", requests=1)["errors"] == 1


def test_nonsense_settings_are_refused():
    with pytest.raises(ValueError):
        run_probe(Embeddings(), "embedding", requests=0)
