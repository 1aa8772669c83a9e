# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Client for OpenAI-compatible pooling APIs (vLLM, or any server speaking /v1/embeddings)."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.rerank_client import RerankClient
from ansible_collections.vllm_pooling.migration.plugins.module_utils.scores import by_index
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import to_matrix

EMBEDDINGS_PATH = "/v1/embeddings"
SCORE_PATH = "/v1/score"
# vLLM's own endpoints (outside /v1, so not guarded by --api-key; they reveal no data).
TOKENIZE_PATH = "/tokenize"
VERSION_PATH = "/version"


def _prompt_tokens(body):
    usage = body.get("usage") if isinstance(body, dict) else None
    count = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


class OpenAIEmbeddingClient(object):
    """``POST /v1/embeddings``. Uses the ``/v1`` path on purpose: vLLM's ``--api-key`` guards only ``/v1``."""

    kind = "openai"

    def __init__(self, endpoint, served_model, request_params=None):
        self.endpoint = endpoint
        self.served_model = served_model
        # extra fields of every embeddings request, as consumers send them (e.g. use_activation, dimensions)
        self.request_params = dict(request_params or {})

    @property
    def url(self):
        return self.endpoint.url(EMBEDDINGS_PATH)

    def embed(self, texts, truncate=False):
        return self.embed_counted(texts, truncate)[0]

    def embed_counted(self, texts, truncate=False):
        """``(matrix, prompt_tokens)``: the vectors and the request's ``usage.prompt_tokens`` (None if absent)."""
        payload = dict(self.request_params, model=self.served_model, input=list(texts), encoding_format="float")
        if truncate:
            payload["truncate_prompt_tokens"] = -1
        body = self.endpoint.post(EMBEDDINGS_PATH, payload)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise CheckError(self.endpoint.model, self.url, "answer has no 'data' list",
                             "The server does not speak the OpenAI embeddings API at this URL")
        try:
            ordered = sorted(data, key=lambda item: item["index"])
            indices = [item["index"] for item in ordered]
            rows = [item["embedding"] for item in ordered]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, self.url, "an item of 'data' lacks 'index' or 'embedding'",
                             "The server does not speak the OpenAI embeddings API at this URL")
        if indices != list(range(len(texts))):
            raise CheckError(self.endpoint.model, self.url,
                             "answer indices %s do not cover the %d inputs" % (indices[:10], len(texts)),
                             "The server returned a partial answer")
        return to_matrix(rows, len(texts), self.endpoint.model, self.url), _prompt_tokens(body)

    def count_tokens(self, text):
        """Tokens of ``text`` as the server counts them for embedding (vLLM ``POST /tokenize``, special tokens included)."""
        body = self.endpoint.post(TOKENIZE_PATH, {"model": self.served_model, "prompt": text})
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool):
            raise CheckError(self.endpoint.model, self.endpoint.url(TOKENIZE_PATH), "answer has no integer 'count'",
                             "The server does not speak vLLM's tokenize API at this URL")
        return count

    def served_config(self):
        """What the server says it serves: ``{served_model, root, max_model_len, version}`` (None where it does not say).

        From ``GET /v1/models`` (the entry of the served name) and vLLM's ``GET /version``.
        """
        body = self.endpoint.get("/v1/models")
        entries = [item for item in body.get("data", []) if isinstance(item, dict)] if isinstance(body, dict) else []
        entry = next((item for item in entries if item.get("id") == self.served_model), {})
        try:
            version = self.endpoint.get(VERSION_PATH)
        except CheckError:  # not every OpenAI-compatible server has /version: unknown, not invented
            version = None
        return {"served_model": self.served_model, "root": entry.get("root"),
                "max_model_len": entry.get("max_model_len"),
                "version": version.get("version") if isinstance(version, dict) else None}

    def served_models(self):
        body = self.endpoint.get("/v1/models")
        return [item.get("id") for item in body.get("data", []) if isinstance(item, dict)]


class VllmScoreClient(object):
    """vLLM's score APIs for cross-encoders: ``POST /v1/score`` and ``POST /v1/rerank`` (the Cohere-style
    rerank API, spoken by ``rerank_client.RerankClient``). The ``/v1`` paths on purpose: ``--api-key`` guards only ``/v1``.

    ``request_params`` go into every request as consumers send them (e.g. ``use_activation``).
    """

    kind = "vllm"

    def __init__(self, endpoint, served_model, request_params=None):
        self.endpoint = endpoint
        self.served_model = served_model
        self.request_params = dict(request_params or {})
        self.reranker = RerankClient(endpoint, served_model, extra=self.request_params)

    @property
    def url(self):
        return self.endpoint.url(SCORE_PATH)

    @property
    def rerank_url(self):
        return self.reranker.url

    def _options(self, truncate):
        return dict(self.request_params, truncate_prompt_tokens=-1) if truncate else dict(self.request_params)

    def score(self, query, documents, truncate=False):
        """Scores of (query, document) pairs in document order, from ``/v1/score`` (1:N)."""
        documents = list(documents)
        payload = dict(self._options(truncate), model=self.served_model, queries=query, documents=documents)
        body = self.endpoint.post(SCORE_PATH, payload)
        data = body.get("data") if isinstance(body, dict) else None
        return by_index(data, len(documents), "score", self.endpoint.model, self.url)

    def rerank(self, query, documents, truncate=False):
        """The same pairs through ``/v1/rerank``, matched back to document order by ``index``."""
        return self.reranker.score(query, documents, truncate)

    def served_config(self):
        return OpenAIEmbeddingClient(self.endpoint, self.served_model).served_config()

    def served_models(self):
        return OpenAIEmbeddingClient(self.endpoint, self.served_model).served_models()
