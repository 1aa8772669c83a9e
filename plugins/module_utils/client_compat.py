# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The calls consumers' clients make, run against a candidate vLLM endpoint (module client_check).

Each named call returns ``{"status": "works"|"fails"|"unavailable", "message": str, ...numbers}``. A call whose
library is missing is ``unavailable``, never ``works``; errors of the endpoint or of a client library become
``fails`` with the model, the URL and what to do. docs/consumers.md says why each call matters.
"""

from __future__ import annotations

import math
import ssl
import sys
import time

try:
    import openai
    HAS_OPENAI = True
except ImportError:  # reported per call as "unavailable"
    HAS_OPENAI = False

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    CLIENT_FAILS, CLIENT_UNAVAILABLE, CLIENT_WORKS)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    AUTH_HINT, CONNECT_HINT, NOT_FOUND_HINT, SERVER_ERROR_HINT, TIMEOUT_HINT, TLS_HINT, JsonEndpoint, root_cause)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.metrics import row_cosines

WORKS, FAILS, UNAVAILABLE = CLIENT_WORKS, CLIENT_FAILS, CLIENT_UNAVAILABLE
# Three short texts of the kind consumers send (two languages, a number).
TEXTS = ("How do I reset my VPN password?", "Der Drucker im dritten Stock druckt nicht.",
         "Quarterly revenue grew 4 % on cloud services.")
QUERY = "How do I reset my VPN password?"
DOCUMENTS = ("Open the self-service portal, choose VPN and click Reset password.",
             "The cafeteria opens at 8 am on weekdays.",
             "Printers on the third floor are serviced on Mondays.")
TOP_N = 2
MAX_TOKENS_PER_DOC = 512  # what Cohere's v2 clients commonly send; halved for a model with a shorter context
# The base64 vectors decoded by the SDK come from a second request, and vLLM on CPU gives the same texts slightly
# different vectors from one request to the next (measured: elements 6e-4 apart): they must point the same way as the
# float answer (the cosine of the parity check's batch gate); a wrong decoding (byte order, dtype) is far below it.
VECTOR_MIN_COSINE = 0.9999


class Unavailable(Exception):
    """The client library of a call is not installed: the call is not run."""


class Failed(Exception):
    """The call ran and its answer is not what the client needs."""


class ClientTarget(object):
    """The candidate endpoint as a consumer's client sees it, shared by the calls of one run.

    ``url`` is the base URL without ``/v1``; ``served_model`` the name sent in requests; ``model`` the name in
    messages. The float vectors of the first embeddings call are kept for the calls that compare with them.
    """

    def __init__(self, url, model, served_model, api_key=None, validate_certs=True, ca_path=None, timeout=60.0,
                 expected_dimension=None, max_tokens=None, session=None):
        self.url = url.rstrip("/")
        self.model = model
        self.served_model = served_model
        self.api_key = api_key
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.expected_dimension = expected_dimension
        self.endpoint = JsonEndpoint(self.url, model, api_key=api_key, validate_certs=validate_certs,
                                     ca_path=ca_path, timeout=timeout, session=session)
        self.max_tokens = max_tokens
        self.float_vectors = None

    def api_url(self, path):
        return self.url + path

    def verify(self):
        """TLS verification as the SDKs' httpx client takes it."""
        if not self.validate_certs:
            return False
        return ssl.create_default_context(cafile=self.ca_path) if self.ca_path else True

    def fail(self, path, cause, hint=""):
        raise Failed(CheckError(self.model, self.api_url(path), cause, hint).message)


# --- the OpenAI Python SDK -------------------------------------------------------------------------------

def _require_openai():
    if not HAS_OPENAI:
        raise Unavailable("openai is not installed in %s" % sys.executable)


def openai_client(target):
    """``OpenAI(base_url=<url>/v1, ...)`` as a consumer builds it, with the check's TLS settings and no retries
    (a failure is reported, not retried). vLLM without ``--api-key`` ignores the placeholder key."""
    _require_openai()
    http_client = openai.DefaultHttpxClient(verify=target.verify())
    return openai.OpenAI(base_url=target.url + "/v1", api_key=target.api_key or "EMPTY", timeout=target.timeout,
                         max_retries=0, http_client=http_client)


def _server_message(exc):
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(getattr(exc, "message", exc))


def sdk_failure(target, path, exc):
    """The message of an exception of the OpenAI SDK (or of a library built on it), as ``Failed``."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        hint = {401: AUTH_HINT, 403: AUTH_HINT, 404: NOT_FOUND_HINT}.get(status, SERVER_ERROR_HINT if status >= 500 else "")
        target.fail(path, "HTTP %d: %s" % (status, _server_message(exc)), hint)
    if HAS_OPENAI and isinstance(exc, openai.APITimeoutError):
        target.fail(path, "no answer within %s s" % target.timeout, TIMEOUT_HINT)
    if HAS_OPENAI and isinstance(exc, openai.APIConnectionError):
        cause = root_cause(exc.__cause__ or exc)
        if "ssl" in repr(exc.__cause__).lower() or "certificate" in cause.lower():
            target.fail(path, "TLS handshake or certificate verification failed (%s)" % cause, TLS_HINT)
        target.fail(path, "cannot connect (%s)" % cause, CONNECT_HINT)
    target.fail(path, "%s: %s" % (type(exc).__name__, exc))


def _embeddings_path():
    return "/v1/embeddings"


def _vectors(target, rows, count, path):
    """``rows`` as lists of floats: ``count`` of them, finite, of the expected dimension (else ``Failed``)."""
    if len(rows) != count:
        target.fail(path, "%d vectors for %d inputs" % (len(rows), count))
    vectors = []
    for row in rows:
        if isinstance(row, str):
            target.fail(path, "a vector came back as a string (%s...), not decoded" % row[:16])
        vector = [float(x) for x in row]
        if not vector or not all(math.isfinite(x) for x in vector):
            target.fail(path, "a vector is empty or not finite")
        vectors.append(vector)
    dimensions = sorted(set(len(v) for v in vectors))
    if len(dimensions) > 1:
        target.fail(path, "vectors of different dimensions %s" % dimensions)
    if target.expected_dimension and dimensions[0] != target.expected_dimension:
        target.fail(path, "dimension %d, expected %d" % (dimensions[0], target.expected_dimension))
    return vectors


def _sdk_embeddings(target, texts, **kwargs):
    client = openai_client(target)
    try:
        answer = client.embeddings.create(model=target.served_model, input=texts, **kwargs)
    except openai.OpenAIError as exc:
        sdk_failure(target, _embeddings_path(), exc)
    rows = [item.embedding for item in sorted(answer.data, key=lambda item: item.index)]
    return _vectors(target, rows, 1 if isinstance(texts, str) else len(texts), _embeddings_path())


def float_vectors(target):
    """The vectors of the float call, requested once per target."""
    if target.float_vectors is None:
        target.float_vectors = _sdk_embeddings(target, list(TEXTS), encoding_format="float")
    return target.float_vectors


def max_difference(left, right):
    return max(abs(a - b) for row_a, row_b in zip(left, right) for a, b in zip(row_a, row_b))


def _equal_to_float(target, vectors, how):
    reference = float_vectors(target)
    if [len(v) for v in vectors] != [len(v) for v in reference]:
        target.fail(_embeddings_path(), "%s gives vectors of dimension %d, the float answer %d"
                    % (how, len(vectors[0]), len(reference[0])))
    difference = max_difference(vectors, reference)
    lowest = float(min(row_cosines(vectors, reference)))
    if lowest < VECTOR_MIN_COSINE:
        target.fail(_embeddings_path(), "%s gives other vectors than the float answer (cosine %.6f < %s, largest "
                    "difference %.3g)" % (how, lowest, VECTOR_MIN_COSINE, difference))
    return difference


def openai_sdk_float(target):
    vectors = float_vectors(target)
    return {"message": "%d vectors of dimension %d" % (len(vectors), len(vectors[0])),
            "vectors": len(vectors), "dimension": len(vectors[0])}


def openai_sdk_default(target):
    """The SDK's default: it asks for base64 and decodes the answer itself."""
    vectors = _sdk_embeddings(target, list(TEXTS))
    difference = _equal_to_float(target, vectors, "the SDK's default (base64)")
    return {"message": "base64 answer decoded by the SDK equals the float answer (largest difference %.3g)" % difference,
            "vectors": len(vectors), "dimension": len(vectors[0]), "max_abs_difference": difference}


def openai_sdk_single(target):
    vectors = _sdk_embeddings(target, TEXTS[0], encoding_format="float")
    return {"message": "one vector of dimension %d for a plain string" % len(vectors[0]),
            "vectors": 1, "dimension": len(vectors[0])}


def openai_sdk_dimensions(target):
    """``dimensions`` as clients written for OpenAI's models send it: the expected dimension, else the one the
    float call returns (the model's own)."""
    dimension = target.expected_dimension or len(float_vectors(target)[0])
    vectors = _sdk_embeddings(target, list(TEXTS), encoding_format="float", dimensions=dimension)
    if len(vectors[0]) != dimension:
        target.fail(_embeddings_path(), "dimensions=%d gives vectors of dimension %d" % (dimension, len(vectors[0])))
    return {"message": "dimensions=%d accepted" % dimension, "vectors": len(vectors), "dimension": dimension}


def _langchain_embeddings_class():
    try:
        from langchain_openai import OpenAIEmbeddings
    except ImportError:
        raise Unavailable("langchain_openai is not installed in %s" % sys.executable)
    return OpenAIEmbeddings


def langchain_openai(target):
    """LangChain's ``OpenAIEmbeddings`` with ``check_embedding_ctx_length=False``: with its default it splits
    texts with OpenAI's tiktoken tokenizer and sends token ids, which are not the served model's tokens."""
    embeddings_class = _langchain_embeddings_class()
    _require_openai()
    embedder = embeddings_class(model=target.served_model, base_url=target.url + "/v1",
                                api_key=target.api_key or "EMPTY", timeout=target.timeout, max_retries=0,
                                check_embedding_ctx_length=False,
                                http_client=openai.DefaultHttpxClient(verify=target.verify()))
    try:
        rows = embedder.embed_documents(list(TEXTS))
    except openai.OpenAIError as exc:
        sdk_failure(target, _embeddings_path(), exc)
    vectors = _vectors(target, rows, len(TEXTS), _embeddings_path())
    difference = _equal_to_float(target, vectors, "LangChain's OpenAIEmbeddings")
    return {"message": "embed_documents gives the float answer's vectors (largest difference %.3g)" % difference,
            "vectors": len(vectors), "dimension": len(vectors[0]), "max_abs_difference": difference}


# --- rerank and score over HTTP (JsonEndpoint) -----------------------------------------------------------

def _finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _rerank_results(target, path, body, with_documents):
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        target.fail(path, "answer has no 'results' list", "The server does not speak the Cohere rerank API here")
    if len(results) != TOP_N:
        target.fail(path, "%d results for top_n=%d" % (len(results), TOP_N))
    scores = []
    for item in results:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(DOCUMENTS):
            target.fail(path, "a result has no valid 'index' (%r)" % (item,))
        if not _finite_number(item.get("relevance_score")):
            target.fail(path, "result %d has no finite 'relevance_score'" % index)
        if with_documents:
            document = item.get("document")
            text = document.get("text") if isinstance(document, dict) else None
            if text != DOCUMENTS[index]:
                target.fail(path, "result %d has document.text %r, not the document sent" % (index, text))
        scores.append(item["relevance_score"])
    if scores != sorted(scores, reverse=True):
        target.fail(path, "results are not ordered best first (%s)" % scores)
    return {"results": len(results), "top_index": results[0]["index"], "top_score": scores[0]}


def _post(target, path, payload):
    try:
        return target.endpoint.post(path, payload)
    except CheckError as exc:
        raise Failed(exc.message)


def _rerank(target, path, extra, what):
    body = _post(target, path, dict(extra, model=target.served_model, query=QUERY, documents=list(DOCUMENTS),
                                    top_n=TOP_N))
    numbers = _rerank_results(target, path, body, with_documents=extra.get("return_documents", False))
    return dict(numbers, message="%d results with %s" % (numbers["results"], what))


def cohere_rerank(target):
    return _rerank(target, "/v1/rerank", {"return_documents": True}, "index, relevance_score and document.text")


def cohere_v2_rerank(target):
    return _rerank(target, "/v2/rerank", {"max_tokens_per_doc": max_tokens_per_doc(target.max_tokens)},
                   "index and relevance_score")


def max_tokens_per_doc(max_tokens):
    """What the v2 call sends: 512, or half the model's context when that is shorter (vLLM wants less than it)."""
    return MAX_TOKENS_PER_DOC if not max_tokens else max(1, min(MAX_TOKENS_PER_DOC, max_tokens // 2))


def score(target):
    path = "/v1/score"
    body = _post(target, path, {"model": target.served_model, "queries": QUERY, "documents": list(DOCUMENTS)})
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or len(data) != len(DOCUMENTS):
        target.fail(path, "answer has no 'data' list of %d scores" % len(DOCUMENTS),
                    "The server does not serve vLLM's score API here")
    ordered = sorted(data, key=lambda item: item.get("index", -1) if isinstance(item, dict) else -1)
    if [item.get("index") for item in ordered] != list(range(len(DOCUMENTS))) or \
            not all(_finite_number(item.get("score")) for item in ordered):
        target.fail(path, "'data' items lack an index or a finite 'score'")
    scores = [item["score"] for item in ordered]
    return {"message": "%d scores" % len(scores), "scores": len(scores), "top_score": max(scores)}


CALLS = {
    "embedding": {
        "openai_sdk_float": openai_sdk_float,
        "openai_sdk_default": openai_sdk_default,
        "openai_sdk_single": openai_sdk_single,
        "openai_sdk_dimensions": openai_sdk_dimensions,
        "langchain_openai": langchain_openai,
    },
    "reranker": {
        "cohere_rerank": cohere_rerank,
        "cohere_v2_rerank": cohere_v2_rerank,
        "score": score,
    },
}


def known_calls(kind):
    return list(CALLS[kind])


def unknown_calls(kind, names):
    return [name for name in names if name not in CALLS[kind]]


def run_call(target, kind, name):
    """One call as a result dict; never raises for what the endpoint or a client library does."""
    started = time.monotonic()
    try:
        result = dict(CALLS[kind][name](target), status=WORKS)
    except Unavailable as exc:
        result = {"status": UNAVAILABLE, "message": str(exc)}
    except Failed as exc:
        result = {"status": FAILS, "message": str(exc)}
    except Exception as exc:  # pylint: disable=broad-exception-caught  # a client library's own error: the call fails
        result = {"status": FAILS, "message": "model '%s' at %s: %s raised %s: %s" % (
            target.model, target.url, name, type(exc).__name__, exc)}
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def run_calls(target, kind, names):
    """``{name: result}`` in the registry's order, for the ``names`` asked for."""
    return {name: run_call(target, kind, name) for name in CALLS[kind] if name in names}


def verdict(results, required):
    """``(passed, failed_required)``: passed when every required call works."""
    failed = [name for name in required if results.get(name, {}).get("status") != WORKS]
    return not failed, failed
