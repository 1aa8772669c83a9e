# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Client for the Caikit-NLP REST runtime (``/api/v1/task/...``)."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.scores import by_index
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import to_matrix

EMBEDDING_PATH = "/api/v1/task/embedding"
EMBEDDINGS_PATH = "/api/v1/task/embedding-tasks"
VERSION_PATH = "/info/version"
RERANK_PATH = "/api/v1/task/rerank"
MODELS_PATH = "/info/models"


def _token_count(body):
    count = body.get("input_token_count") if isinstance(body, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _truncation(truncate):
    # truncate_input_tokens: 0 (Caikit's default) rejects over-long input, -1 truncates to the limit.
    return {"truncate_input_tokens": -1 if truncate else 0}


def models_info(endpoint):
    """The runtime's ``GET /info/models`` answer (every loaded model with its module), as JSON; read it with
    ``kserve.read_model_info``. Raises CheckError when the runtime does not answer."""
    return endpoint.get(MODELS_PATH)


class _CaikitClient(object):
    """What every task of one Caikit runtime shares: the endpoint, the model id and the runtime's version."""

    kind = "caikit"

    def __init__(self, endpoint, model_id):
        self.endpoint = endpoint
        self.model_id = model_id

    def version(self):
        """caikit-nlp's version from ``GET /info/version``, or None where the runtime does not say."""
        try:
            body = self.endpoint.get(VERSION_PATH)
        except CheckError:
            return None
        packages = body.get("python_packages") if isinstance(body, dict) else None
        if isinstance(packages, dict):
            for name in ("caikit-nlp", "caikit_nlp"):
                if packages.get(name):
                    return "caikit-nlp %s" % packages[name]
        runtime = body.get("runtime_version") if isinstance(body, dict) else None
        return str(runtime) if runtime else None


class CaikitEmbeddingClient(_CaikitClient):
    """Caikit embeddings: one text per ``embedding`` call, a list per ``embedding-tasks`` call."""

    @property
    def url(self):
        return self.endpoint.url(EMBEDDINGS_PATH)

    def embed(self, texts, truncate=False):
        return self.embed_counted(texts, truncate)[0]

    def embed_counted(self, texts, truncate=False):
        """``(matrix, input_token_count)``: the vectors and Caikit's token count of the request (None if absent)."""
        texts = list(texts)
        if len(texts) == 1:
            return self._embed_one(texts[0], truncate)
        body = self.endpoint.post(EMBEDDINGS_PATH, {"model_id": self.model_id, "inputs": texts,
                                                    "parameters": _truncation(truncate)})
        try:
            rows = [item["data"]["values"] for item in body["results"]["vectors"]]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, self.url, "answer lacks results.vectors[].data.values",
                             "The server does not speak the Caikit embedding API at this URL")
        return to_matrix(rows, len(texts), self.endpoint.model, self.url), _token_count(body)

    def count_tokens(self, text):
        """Tokens of ``text`` as Caikit counts them (``input_token_count`` of one embedding, special tokens included)."""
        count = self._embed_one(text, False)[1]
        if count is None:
            raise CheckError(self.endpoint.model, self.endpoint.url(EMBEDDING_PATH), "answer has no input_token_count",
                             "This Caikit runtime does not report token counts")
        return count

    def _embed_one(self, text, truncate):
        url = self.endpoint.url(EMBEDDING_PATH)
        body = self.endpoint.post(EMBEDDING_PATH, {"model_id": self.model_id, "inputs": text,
                                                   "parameters": _truncation(truncate)})
        try:
            row = body["result"]["data"]["values"]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, url, "answer lacks result.data.values",
                             "The server does not speak the Caikit embedding API at this URL")
        return to_matrix([row], 1, self.endpoint.model, url), _token_count(body)


class CaikitRerankClient(_CaikitClient):
    """Caikit reranking (``CrossEncoderModule``): ``/api/v1/task/rerank`` answers best-first, matched back by index.

    Caikit applies a sigmoid to single-label logits and tokenizes pairs without token type ids
    (caikit-nlp 0.5.15 ``crossencoder.py``): see docs/rerankers.md.
    """

    @property
    def url(self):
        return self.endpoint.url(RERANK_PATH)

    def score(self, query, documents, truncate=False):
        documents = list(documents)
        parameters = dict(_truncation(truncate), top_n=len(documents), return_documents=False, return_query=False,
                          return_text=False)
        body = self.endpoint.post(RERANK_PATH, {"model_id": self.model_id, "parameters": parameters,
                                                "inputs": {"query": query, "documents": [{"text": d} for d in documents]}})
        try:
            items = body["result"]["scores"]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, self.url, "answer lacks result.scores",
                             "The server does not speak the Caikit rerank API at this URL")
        return by_index(items, len(documents), "score", self.endpoint.model, self.url)
