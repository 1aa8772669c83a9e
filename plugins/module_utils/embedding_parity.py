# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Embedding parity: run the gates of a candidate against a reference on one corpus."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import gates
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import RequestRejected

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

DEFAULTS = {
    "cosine_threshold": 0.99,
    "norm_tolerance": 0.01,
    "batch_threshold": 0.9999,
    "batch_size": 16,
    "expected_dimension": None,
    "long_texts": (),
    "truncate_long_inputs": False,
    "served_model": None,
}


def embed_batched(source, texts, batch_size, truncate=False):
    parts = [source.embed(texts[i:i + batch_size], truncate) for i in range(0, len(texts), batch_size)]
    return np.vstack(parts)


def _outcome(source, text, truncate):
    try:
        return {"vector": source.embed([text], truncate)[0]}
    except RequestRejected as exc:
        return {"rejected": exc.detail}


def run_embedding_parity(candidate, reference, corpus, served_models=None, **settings):
    """Return ``{passed, gates, failed_gates, corpus_size, dimension}``.

    Errors reaching an endpoint propagate as CheckError: a check that could not see all the data
    does not produce a result at all.
    """
    opts = dict(DEFAULTS, **settings)
    results = {}
    if served_models is not None and opts["served_model"]:
        results["served"] = gates.served_gate(served_models, opts["served_model"])

    reference_vectors = embed_batched(reference, corpus, opts["batch_size"])
    batched = embed_batched(candidate, corpus, opts["batch_size"])
    single = np.vstack([candidate.embed([text]) for text in corpus])

    results["dimension"] = gates.dimension_gate(batched.shape[1], reference_vectors.shape[1],
                                                opts["expected_dimension"])
    comparable = batched.shape[1] == reference_vectors.shape[1]
    if comparable:
        results["cosine"] = gates.cosine_gate(batched, reference_vectors, corpus, opts["cosine_threshold"])
        results["norms"] = gates.norm_gate(batched, reference_vectors, opts["norm_tolerance"])
    else:
        results["cosine"] = gates.not_comparable("dimensions differ")
        results["norms"] = gates.not_comparable("dimensions differ")
    results["batch"] = gates.batch_gate(batched, single, corpus, opts["batch_threshold"])

    if opts["long_texts"]:
        outcomes = []
        for text in opts["long_texts"]:
            ref = _outcome(reference, text, opts["truncate_long_inputs"])
            cand = _outcome(candidate, text, opts["truncate_long_inputs"])
            if ("vector" in ref and "vector" in cand and ref["vector"].shape != cand["vector"].shape):
                cand = {"rejected": "dimension differs from the reference"}
            outcomes.append({"words": len(text.split()), "reference": ref, "candidate": cand})
        results["long_input"] = gates.long_input_gate(outcomes, opts["cosine_threshold"])

    failed = [name for name, gate in results.items() if not gate["passed"]]
    return {
        "passed": not failed,
        "failed_gates": failed,
        "gates": results,
        "corpus_size": len(corpus),
        "dimension": int(batched.shape[1]),
    }
