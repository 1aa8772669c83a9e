# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Client for the Cohere/Jina-style rerank API (vLLM ``/v1/rerank``, Cohere, Jina) and TEI's ``/rerank`` dialect."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.scores import by_index

DIALECTS = {
    # {model, query, documents, top_n} -> {results: [{index, relevance_score}]}
    "cohere": "/v1/rerank",
    # Hugging Face text-embeddings-inference: {query, texts, truncate} -> [{index, score}]
    "tei": "/rerank",
}


class RerankClient(object):
    """``score(query, documents)``: one rerank request for all documents, scores matched back to input order.

    ``extra`` fields go into every request (vLLM: ``use_activation``). Over-long input with ``truncate``:
    vLLM's ``truncate_prompt_tokens: -1`` in the cohere dialect, ``truncate: true`` in TEI's.
    """

    kind = "rerank"

    def __init__(self, endpoint, served_model, dialect="cohere", path=None, extra=None):
        if dialect not in DIALECTS:
            raise ValueError("unknown rerank dialect %r; use one of %s" % (dialect, ", ".join(DIALECTS)))
        self.endpoint = endpoint
        self.served_model = served_model
        self.dialect = dialect
        self.path = path or DIALECTS[dialect]
        self.extra = dict(extra or {})

    @property
    def url(self):
        return self.endpoint.url(self.path)

    def score(self, query, documents, truncate=False):
        documents = list(documents)
        if self.dialect == "tei":
            body = self.endpoint.post(self.path, dict(self.extra, query=query, texts=documents, truncate=bool(truncate)))
            return by_index(body, len(documents), "score", self.endpoint.model, self.url)
        payload = dict(self.extra, model=self.served_model, query=query, documents=documents, top_n=len(documents))
        if truncate:
            payload["truncate_prompt_tokens"] = -1
        body = self.endpoint.post(self.path, payload)
        results = body.get("results") if isinstance(body, dict) else None
        if results is None:
            raise CheckError(self.endpoint.model, self.url, "answer has no 'results' list",
                             "The server does not speak the Cohere/Jina rerank API at this URL")
        return by_index(results, len(documents), "relevance_score", self.endpoint.model, self.url)

    def version(self):
        """The server's version where it says (vLLM ``GET /version``, TEI ``GET /info``), else None."""
        for path in ("/version", "/info"):
            try:
                body = self.endpoint.get(path)
            except CheckError:
                continue
            if isinstance(body, dict) and body.get("version"):
                return str(body["version"])
        return None
