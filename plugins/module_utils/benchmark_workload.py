# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What the benchmark sends: realistic texts, request shapes, and how each server type wants them.

A workload is a fixed, seeded list of request specs (shape + texts); the same list goes to the
candidate and the reference, so both serve exactly the same inputs in the same order. Each server
type has an encoder that turns a spec into (URL, JSON body bytes) once, before any timing starts,
so the load generator only moves bytes while it measures.
"""

from __future__ import annotations

import json
import random

# Common English words that are a single token in the WordPiece (BERT), SentencePiece (XLM-R) and
# BPE vocabularies of the catalog models: a text of N of them is about N tokens (plus punctuation),
# which lets near-limit chunks be built from a model's max_tokens without its tokenizer.
_WORDS = (
    "the of and to in is for on that with as by this are be from at or it an was which can not have "
    "data service model server request cluster user system time number first new other more most "
    "when each where they will into than only some these over under after before because about "
    "report policy network storage memory update change order support result value process state "
    "team plan price year month week day city country market product customer account access "
    "group field point table query answer search index document page file line text word name type "
    "level rate cost power water light energy health care school student law court case public "
    "open close start stop run build test check write read send receive keep move show find give"
).split()

_QUESTION_STARTS = ("how do i", "what is the", "why does the", "where can i find the", "when will the",
                    "which", "can i change the", "who owns the")

SHAPES = ("query", "chunk", "long_chunk", "batch", "rerank")
EMBEDDING_SHAPES = ("query", "chunk", "long_chunk", "batch")
# Shapes whose requests carry one text: the p95 latency gate is measured on these.
SINGLE_TEXT_SHAPES = ("query", "chunk", "long_chunk")
DEFAULT_MIX = {"query": 4, "chunk": 2, "long_chunk": 1, "batch": 1}
CHUNK_WORDS = 110          # about 128 tokens with punctuation and special tokens
DEFAULT_MAX_TOKENS = 512   # when the catalog does not say
SERVER_TYPES = ("openai", "caikit")


class WorkloadError(ValueError):
    pass


def _sentence_text(rng, words):
    """``words`` words in sentences of 8-16 words, capitalised and with full stops."""
    out = []
    while len(out) < words:
        length = min(rng.randint(8, 16), words - len(out))
        sentence = [rng.choice(_WORDS) for _word in range(length)]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        out.extend(sentence)
    return " ".join(out)


def _query(rng):
    return "%s %s %s?" % (rng.choice(_QUESTION_STARTS), rng.choice(_WORDS), " ".join(
        rng.choice(_WORDS) for _word in range(rng.randint(2, 6))))


def long_chunk_words(max_tokens):
    """Words in a near-limit chunk: 80% of the limit, leaving room for punctuation and special tokens."""
    return max(8, int((max_tokens - 2) * 0.8))


def build_workload(kind, max_tokens=None, mix=None, batch_size=32, documents=16, variants=8, seed=0):
    """The request specs of one benchmark, in the order they are sent (then repeated cyclically).

    Embeddings: ``mix`` weights the shapes ``query`` (one short question), ``chunk`` (one ~128-token
    RAG chunk), ``long_chunk`` (one chunk near ``max_tokens``) and ``batch`` (``batch_size`` chunks in
    one request). Rerankers: each request is a query with ``documents`` ~128-token passages (shape
    ``rerank``), shortened so query and passage fit within ``max_tokens``.
    Returns ``{"kind", "requests": [{"shape", "texts"} or {"shape", "query", "documents"}], "description"}``.
    """
    if batch_size < 1 or documents < 1 or variants < 1:
        raise WorkloadError("batch_size, documents and variants must be at least 1")
    rng = random.Random(seed)
    limit = int(max_tokens or DEFAULT_MAX_TOKENS)
    chunk_words = min(CHUNK_WORDS, long_chunk_words(limit))
    if kind == "reranker":
        doc_words = max(8, min(chunk_words, long_chunk_words(limit) - 12))
        requests = [{"shape": "rerank", "query": _query(rng),
                     "documents": [_sentence_text(rng, doc_words) for _doc in range(documents)]}
                    for _variant in range(variants)]
        return {"kind": kind, "requests": requests, "max_tokens": limit,
                "description": "query + %d documents of about %d words (rerank), %d variants"
                               % (documents, doc_words, variants)}
    if kind != "embedding":
        raise WorkloadError("unknown model kind '%s'; use embedding or reranker" % kind)
    mix = dict(DEFAULT_MIX if mix is None else mix)
    unknown = sorted(set(mix) - set(EMBEDDING_SHAPES))
    if unknown:
        raise WorkloadError("unknown request shapes %s in the mix; use %s" % (", ".join(unknown), ", ".join(EMBEDDING_SHAPES)))
    if any(int(w) < 0 for w in mix.values()) or not any(int(w) > 0 for w in mix.values()):
        raise WorkloadError("the mix needs at least one shape with a positive weight, and no negative weights")
    makers = {
        "query": lambda: [_query(rng)],
        "chunk": lambda: [_sentence_text(rng, chunk_words)],
        "long_chunk": lambda: [_sentence_text(rng, long_chunk_words(limit))],
        "batch": lambda: [_sentence_text(rng, chunk_words) for _text in range(batch_size)],
    }
    requests = []
    for _variant in range(variants):
        # Interleave shapes (not all queries, then all batches) so every stretch of the run has the same mix.
        for round_ in range(max(int(w) for w in mix.values())):
            for shape in EMBEDDING_SHAPES:
                if int(mix.get(shape, 0)) > round_:
                    requests.append({"shape": shape, "texts": makers[shape]()})
    parts = ", ".join("%s x%d" % (s, int(mix[s])) for s in EMBEDDING_SHAPES if int(mix.get(s, 0)) > 0)
    return {"kind": kind, "requests": requests, "max_tokens": limit,
            "description": "mix of %s per round; chunk ~%d words, long_chunk %d words (limit %d tokens), "
                           "batch %d chunks; %d variants" % (parts, chunk_words, long_chunk_words(limit), limit,
                                                             batch_size, variants)}


def text_count(spec):
    """Texts a request carries: its inputs (embeddings) or its documents (rerank)."""
    return len(spec["documents"]) if spec["shape"] == "rerank" else len(spec["texts"])


def estimated_tokens(spec):
    """Tokens of a request when the server does not report usage: one per word and punctuation mark."""
    texts = ([spec["query"]] * len(spec["documents"]) + spec["documents"]) if spec["shape"] == "rerank" else spec["texts"]
    return sum(len(t.split()) + t.count(".") + t.count("?") + 2 for t in texts)


def encode_request(server_type, base_url, model, spec):
    """(URL, JSON body bytes) of one request spec for one server type.

    ``openai``: vLLM's ``/v1/embeddings`` and ``/v1/rerank`` (the ``/v1`` paths are the ones
    ``--api-key`` protects). ``caikit``: ``/api/v1/task/embedding`` for one text,
    ``/api/v1/task/embedding-tasks`` for several, ``/api/v1/task/rerank``.
    """
    base = base_url.rstrip("/")
    shape = spec["shape"]
    if server_type == "openai":
        if shape == "rerank":
            path, body = "/v1/rerank", {"model": model, "query": spec["query"], "documents": spec["documents"]}
        else:
            texts = spec["texts"]
            path, body = "/v1/embeddings", {"model": model, "input": texts[0] if shape != "batch" else texts,
                                            "encoding_format": "float"}
    elif server_type == "caikit":
        if shape == "rerank":
            path, body = "/api/v1/task/rerank", {
                "model_id": model,
                "inputs": {"query": spec["query"], "documents": [{"text": d} for d in spec["documents"]]},
                "parameters": {"top_n": len(spec["documents"]), "return_documents": False}}
        elif shape == "batch":
            path, body = "/api/v1/task/embedding-tasks", {"model_id": model, "inputs": spec["texts"]}
        else:
            path, body = "/api/v1/task/embedding", {"model_id": model, "inputs": spec["texts"][0]}
    else:
        raise WorkloadError("unknown server type '%s'; use %s" % (server_type, " or ".join(SERVER_TYPES)))
    return base + path, json.dumps(body).encode("utf-8")


def check_answer(server_type, spec, answer):
    """``(problem, tokens)``: problem is None when ``answer`` (decoded JSON) holds one result per text of
    ``spec``, else what is wrong; tokens are the prompt tokens the server reports, or None.

    Used on the calibration pass: a server that answers HTTP 200 with the wrong content must not
    be timed as if it worked.
    """
    expected = text_count(spec)
    tokens = None
    try:
        if server_type == "openai":
            items = answer["results"] if spec["shape"] == "rerank" else answer["data"]
            usage = answer.get("usage") or {}
            tokens = usage.get("prompt_tokens") or usage.get("total_tokens")
        elif spec["shape"] == "rerank":
            items = answer["result"]["scores"]
        elif spec["shape"] == "batch":
            items = answer["results"]["vectors"]
        else:
            items = [answer["result"]["data"]["values"]]
            tokens = answer.get("input_token_count")
    except (KeyError, TypeError, AttributeError) as exc:
        return "unexpected answer (missing %s): %s" % (exc, json.dumps(answer)[:200]), None
    if not isinstance(items, list) or len(items) != expected:
        return "expected %d results, got %s" % (expected, len(items) if isinstance(items, list) else type(items).__name__), None
    return None, (int(tokens) if isinstance(tokens, (int, float)) and tokens > 0 else None)
