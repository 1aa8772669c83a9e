# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Client for OpenAI-compatible pooling APIs (vLLM, or any server speaking /v1/embeddings)."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import to_matrix

EMBEDDINGS_PATH = "/v1/embeddings"


class OpenAIEmbeddingClient(object):
    """``POST /v1/embeddings``. Uses the ``/v1`` path on purpose: vLLM's ``--api-key`` guards only ``/v1``."""

    kind = "openai"

    def __init__(self, endpoint, served_model):
        self.endpoint = endpoint
        self.served_model = served_model

    @property
    def url(self):
        return self.endpoint.url(EMBEDDINGS_PATH)

    def embed(self, texts, truncate=False):
        payload = {"model": self.served_model, "input": list(texts), "encoding_format": "float"}
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
        return to_matrix(rows, len(texts), self.endpoint.model, self.url)

    def served_models(self):
        body = self.endpoint.get("/v1/models")
        return [item.get("id") for item in body.get("data", []) if isinstance(item, dict)]
