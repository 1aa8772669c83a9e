# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Embedding parity: run the gates of a candidate against a reference on one corpus."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vllm_pooling.migration.plugins.module_utils import distinct_outputs, gates
from ansible_collections.vllm_pooling.migration.plugins.module_utils.corpus import CorpusError, rag_passages
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import base_url_without_api_path

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

# Over-long inputs are tried as consumers send them by default (``default``: no truncation asked) and with
# both sides asked to truncate to the model's limit (``truncate``).
LONG_INPUT_MODES = ("default", "truncate")


def check_arguments(candidate_url, candidate_model, reference_type, reference_url=None, reference_model=None,
                    cosine_threshold=None, norm_tolerance=None, batch_threshold=None, batch_size=None, max_tokens=None,
                    expected_dimension=None, check_long_inputs=False, length_passages=False):
    """``(problems, warnings, candidate_url, reference_url)`` of embedding_check's arguments, the base URLs without
    a trailing ``/v1``.

    Problems make the comparison meaningless (a cosine threshold of 1.5 never passes, a reference that is the
    candidate itself always does) and are rejected; warnings are ``{gate: "input", message}``.
    """
    problems = gates.threshold_problems({"cosine_threshold": cosine_threshold, "norm_tolerance": norm_tolerance,
                                         "batch_threshold": batch_threshold})
    if batch_size is not None and batch_size < 1:
        problems.append("batch_size=%s must be at least 1" % batch_size)
    if max_tokens is not None and max_tokens < 8:
        problems.append("max_tokens=%s is not a model's input limit (at least 8)" % max_tokens)
    if expected_dimension is not None and expected_dimension < 1:
        problems.append("expected_dimension=%s must be positive" % expected_dimension)
    needs_limit = [name for name, wanted in (("check_long_inputs", check_long_inputs),
                                             ("length_passages", length_passages)) if wanted]
    if needs_limit and not max_tokens:
        names = " and ".join(needs_limit)
        problems.append("%s need max_tokens (the model's input limit); set max_tokens to the catalog's max_tokens "
                        "or set %s to false" % (names, names))
    warnings = []
    urls = {"candidate_url": candidate_url, "reference_url": reference_url}
    for option, url in list(urls.items()):
        if url:
            urls[option], warning = base_url_without_api_path(url)
            if warning:
                warnings.append({"gate": "input", "message": "%s: %s" % (option, warning)})
    if (reference_type == "openai" and urls["reference_url"] == urls["candidate_url"]
            and (reference_model or candidate_model) == candidate_model):
        problems.append("the reference is the candidate itself (%s, model '%s'): every gate would pass trivially; "
                        "point reference_url at the server being replaced (Caikit or another server) or use a "
                        "golden file" % (urls["candidate_url"], candidate_model))
    return problems, warnings, urls["candidate_url"], urls["reference_url"]


def embed_batched(source, texts, batch_size, truncate=False):
    parts = [source.embed(texts[i:i + batch_size], truncate) for i in range(0, len(texts), batch_size)]
    return np.vstack(parts)


def _counted(source, texts, truncate=False):
    """``(matrix, tokens)`` from sources that report token counts, ``(matrix, None)`` from those that do not."""
    if hasattr(source, "embed_counted"):
        return source.embed_counted(texts, truncate)
    return source.embed(texts, truncate), None


def embed_each(source, texts):
    """One request per text: ``(vectors, token counts, rejected)``; a rejected text has None and its message.

    One request per text is what gives per-text token counts (usage of a batch is a sum) and what tells which
    texts a server refuses; the candidate's single requests double as the batch gate's reference.
    """
    vectors, counts, rejected = [], [], {}
    for index, text in enumerate(texts):
        try:
            matrix, tokens = _counted(source, [text])
        except RequestRejected as exc:
            vectors.append(None)
            counts.append(None)
            rejected[index] = exc.detail
            continue
        vectors.append(matrix[0])
        counts.append(tokens)
    return vectors, counts, rejected


def on_both_sides(reference_call, candidate_call):
    """Run the reference's and the candidate's requests at the same time: they are different servers, so the check
    takes about as long as the slower one instead of the sum. Errors propagate as raised."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        reference_future = pool.submit(reference_call)
        candidate_future = pool.submit(candidate_call)
        return reference_future.result(), candidate_future.result()


def _outcome(source, text, truncate):
    try:
        return {"vector": source.embed([text], truncate)[0]}
    except RequestRejected as exc:
        return {"rejected": exc.detail}


def _counter(source):
    """``source.count_tokens`` where a text the server refuses as too long counts as too long (Caikit counts by embedding)."""
    def count(text):
        try:
            return source.count_tokens(text)
        except RequestRejected:
            return float("inf")
    return count


def length_passages(max_tokens, candidate, reference):
    """Passages of about 64, 128 and just under ``max_tokens`` tokens, sized with a server's own token count.

    A golden file replays the passages it was recorded with. Otherwise the candidate's ``/tokenize`` sizes them
    (cheap, and it answers whatever its context); where the reference counts a passage over its target (the
    candidate's tokenizer drifted), that passage is sized again by the reference's count, since the passages
    stand for what consumers send the reference today. Each passage says which side ``counted_by``.
    """
    recorded = getattr(reference, "length_passages", None)
    if recorded:
        return recorded
    counters = [(name, _counter(source)) for name, source in (("candidate", candidate), ("reference", reference))
                if hasattr(source, "count_tokens")]
    errors = []
    for position, (name, count_tokens) in enumerate(counters):
        try:
            passages = [dict(p, counted_by=name) for p in rag_passages(max_tokens, count_tokens)]
        except (CheckError, CorpusError) as exc:
            errors.append("%s: %s" % (name, getattr(exc, "cause", None) or exc))
            continue
        if position + 1 < len(counters):
            passages = _fit(max_tokens, passages, *counters[position + 1])
        return passages
    raise CorpusError("cannot size the length passages: no side counts tokens (%s); set length_passages=false "
                      "and give a corpus_file with texts near the model's limit" % ("; ".join(errors) or "no counter"))


def _fit(max_tokens, passages, name, count_tokens):
    """Passages the other side counts over their target, sized again by that side."""
    fitted = []
    for passage in passages:
        if count_tokens(passage["text"]) <= passage["target"]:
            fitted.append(passage)
        else:
            fitted.extend(dict(p, counted_by=name) for p in rag_passages(max_tokens, count_tokens, [passage["target"]]))
    return fitted


def _long_input_gate(candidate, reference, opts):
    outcomes = []
    for mode in opts["long_input_modes"]:
        for text in opts["long_texts"]:
            truncate = mode == "truncate"
            ref, cand = on_both_sides(lambda: _outcome(reference, text, truncate),
                                      lambda: _outcome(candidate, text, truncate))
            outcomes.append({"words": len(text.split()), "mode": mode, "reference": ref, "candidate": cand})
    return gates.long_input_gate(outcomes, opts["cosine_threshold"])


def run_embedding_parity(candidate, reference, corpus, served_models=None, served_config=None, *,
                         cosine_threshold=0.99, norm_tolerance=0.01, batch_threshold=0.9999, batch_size=16,
                         expected_dimension=None, long_texts=(), long_input_modes=LONG_INPUT_MODES,
                         served_model=None, expected_max_model_len=None, expected_root=None, passages=()):
    """Return ``{passed, gates, failed_gates, skipped_gates, corpus_size, dimension}``.

    Settings are keyword-only and named, so a misspelt one is a TypeError instead of a silent default.

    Errors reaching an endpoint propagate as CheckError: a check that could not see all the data
    does not produce a result at all. A text one side rejects is a gate failure (input_lengths), not an error.
    """
    opts = {"cosine_threshold": cosine_threshold, "norm_tolerance": norm_tolerance, "batch_threshold": batch_threshold,
            "batch_size": batch_size, "expected_dimension": expected_dimension, "long_texts": long_texts,
            "long_input_modes": long_input_modes, "served_model": served_model,
            "expected_max_model_len": expected_max_model_len, "expected_root": expected_root, "passages": passages}
    results = {}
    if served_models is not None and opts["served_model"]:
        results["served"] = gates.served_gate(served_models, opts["served_model"])
    if served_config is not None:
        results["served_config"] = gates.served_config_gate(served_config, opts["expected_max_model_len"],
                                                            opts["expected_root"])

    (ref_vectors, ref_counts, ref_rejected), (single_vectors, cand_counts, cand_rejected) = on_both_sides(
        lambda: embed_each(reference, corpus), lambda: embed_each(candidate, corpus))
    results["input_lengths"] = gates.input_lengths_gate(corpus, ref_rejected, cand_rejected, ref_counts,
                                                        opts["passages"])
    accepted = [i for i in range(len(corpus)) if i not in ref_rejected and i not in cand_rejected]
    dimension = None
    if not accepted:
        for name in ("dimension", "cosine", "norms", "batch"):
            results[name] = gates.not_comparable("no corpus text was embedded by both sides")
    else:
        texts = [corpus[i] for i in accepted]
        reference_matrix = np.vstack([ref_vectors[i] for i in accepted])
        single = _stack_or_none([single_vectors[i] for i in accepted])
        batched = embed_batched(candidate, texts, opts["batch_size"])
        dimension = int(batched.shape[1])
        results["dimension"] = gates.dimension_gate(dimension, reference_matrix.shape[1], opts["expected_dimension"])
        if dimension == reference_matrix.shape[1]:
            results["cosine"] = gates.cosine_gate(batched, reference_matrix, texts, opts["cosine_threshold"])
            results["norms"] = gates.norm_gate(batched, reference_matrix, opts["norm_tolerance"])
        else:
            results["cosine"] = gates.not_comparable("dimensions differ")
            results["norms"] = gates.not_comparable("dimensions differ")
        results["batch"] = (gates.batch_gate(batched, single, texts, opts["batch_threshold"]) if single is not None
                            else gates.not_comparable("single requests gave vectors of different dimensions"))
    # judged on each side's own answers (one request per text), whatever the other side embedded
    results["distinct_outputs"] = distinct_outputs.distinct_outputs_gate(
        "embedding", distinct_outputs.vectors_collapsed(corpus, single_vectors),
        distinct_outputs.vectors_collapsed(corpus, ref_vectors),
        distinct_outputs.side(candidate, opts["served_model"]), distinct_outputs.side(reference, role="reference"))
    results["tokens"] = gates.token_gate(corpus, cand_counts, ref_counts)

    if opts["long_texts"]:
        results["long_input"] = _long_input_gate(candidate, reference, opts)

    failed = [name for name, gate in results.items() if gate["status"] == "failed"]
    return {
        "passed": not failed,  # a skipped gate (does not apply by design) is listed apart, never as passed
        "failed_gates": failed,
        "skipped_gates": [name for name, gate in results.items() if gate["status"] == "skipped"],
        "gates": results,
        "corpus_size": len(corpus),
        "dimension": dimension,
    }


def _stack_or_none(rows):
    return np.vstack(rows) if len({row.shape for row in rows}) == 1 else None
