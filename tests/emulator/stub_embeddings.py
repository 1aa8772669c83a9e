# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the consumer-visible path of the cutover tests: a stdlib HTTP server answering
``POST /v1/embeddings`` like vLLM, on 127.0.0.1. The emulator has no router and no pods, so the record
URL, the consumer env URL and the Route URL of the cutover tests all point here.

It can be told to answer HTTP 500 after a number of requests (a gate or smoke check that fails).

Each text gets its own unit vector, seeded by a hash of the text (the same text always the same vector, two
stubs agree), as a real model answers. ``constant=True`` answers one vector for every text: a collapsed server
(pooling or truncation gone wrong), which the checks' ``distinct_outputs`` gate fails.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading

from local_http import LocalJsonServer


def text_vector(text, dimension):
    """A deterministic unit vector of ``dimension`` values from the text's SHA-256 (counter mode for long vectors)."""
    raw, counter = [], 0
    while len(raw) < dimension:
        digest = hashlib.sha256(("%d|%s" % (counter, text)).encode()).digest()
        raw.extend(byte / 255.0 - 0.5 for byte in digest)
        counter += 1
    raw = raw[:dimension]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


class StubEmbeddings(LocalJsonServer):
    def __init__(self, fail_after=None, dimension=4, models=(), constant=False):
        self.fail_after = fail_after  # None: always answer; N: HTTP 500 from request N+1 on
        self.dimension = dimension
        self.constant = constant  # True: [0.5] * dimension for every text (a collapsed server)
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
        return 200, {"data": [{"index": i, "embedding": self.vector(text)} for i, text in enumerate(texts)],
                     "usage": {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}}

    def vector(self, text):
        return [0.5] * self.dimension if self.constant else text_vector(str(text), self.dimension)
