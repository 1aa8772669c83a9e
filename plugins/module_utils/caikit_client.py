# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Client for the Caikit-NLP REST runtime (``/api/v1/task/...``)."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import to_matrix

EMBEDDING_PATH = "/api/v1/task/embedding"
EMBEDDINGS_PATH = "/api/v1/task/embedding-tasks"


class CaikitEmbeddingClient(object):
    """Caikit embeddings: one text per ``embedding`` call, a list per ``embedding-tasks`` call."""

    kind = "caikit"

    def __init__(self, endpoint, model_id):
        self.endpoint = endpoint
        self.model_id = model_id

    @property
    def url(self):
        return self.endpoint.url(EMBEDDINGS_PATH)

    def _parameters(self, truncate):
        # truncate_input_tokens: 0 (Caikit's default) rejects over-long input, -1 truncates to the limit.
        return {"truncate_input_tokens": -1 if truncate else 0}

    def embed(self, texts, truncate=False):
        texts = list(texts)
        if len(texts) == 1:
            return self._embed_one(texts[0], truncate)
        body = self.endpoint.post(EMBEDDINGS_PATH, {"model_id": self.model_id, "inputs": texts,
                                                    "parameters": self._parameters(truncate)})
        try:
            rows = [item["data"]["values"] for item in body["results"]["vectors"]]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, self.url, "answer lacks results.vectors[].data.values",
                             "The server does not speak the Caikit embedding API at this URL")
        return to_matrix(rows, len(texts), self.endpoint.model, self.url)

    def _embed_one(self, text, truncate):
        url = self.endpoint.url(EMBEDDING_PATH)
        body = self.endpoint.post(EMBEDDING_PATH, {"model_id": self.model_id, "inputs": text,
                                                   "parameters": self._parameters(truncate)})
        try:
            row = body["result"]["data"]["values"]
        except (KeyError, TypeError):
            raise CheckError(self.endpoint.model, url, "answer lacks result.data.values",
                             "The server does not speak the Caikit embedding API at this URL")
        return to_matrix([row], 1, self.endpoint.model, url)
