# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the consumer-visible path of the cutover tests: a stdlib HTTP server answering
``POST /v1/embeddings`` like vLLM, on 127.0.0.1. The emulator has no router and no pods, so the record
URL, the consumer env URL and the Route URL of the cutover tests all point here.

It can be told to answer HTTP 500 after a number of requests (a gate or smoke check that fails).
"""

from __future__ import annotations

import json
import threading

from local_http import LocalJsonServer


class StubEmbeddings(LocalJsonServer):
    def __init__(self, fail_after=None, dimension=4, models=()):
        self.fail_after = fail_after  # None: always answer; N: HTTP 500 from request N+1 on
        self.dimension = dimension
        self.models = list(models)  # answered at GET /v1/models when given (the checks ask it first)
        self.requests = 0
        self.authorizations = set()  # the Authorization headers seen (which API key reached this server)
        self._lock = threading.Lock()
        super().__init__(self._route)

    def _route(self, method, path, headers, body):
        if method == "GET" and path == "/v1/models" and self.models:
            with self._lock:
                self.requests += 1
                self.authorizations.add(headers.get("Authorization") or "")
            return 200, {"object": "list", "data": [{"id": name, "object": "model", "max_model_len": 256}
                                                    for name in self.models]}
        if method != "POST":
            return 501, {"error": {"message": "POST only"}}
        body = json.loads(body or b"{}")
        with self._lock:
            self.requests += 1
            self.authorizations.add(headers.get("Authorization") or "")
            failing = self.fail_after is not None and self.requests > self.fail_after
        if path != "/v1/embeddings":
            return 404, {"error": {"message": "no route %s" % path}}
        if failing:
            return 500, {"error": {"message": "stub told to fail"}}
        texts = body.get("input") if isinstance(body.get("input"), list) else [body.get("input")]
        return 200, {"data": [{"index": i, "embedding": [0.5] * self.dimension} for i in range(len(texts))],
                     "usage": {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}}
