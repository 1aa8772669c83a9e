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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubEmbeddings:
    def __init__(self, fail_after=None, dimension=4):
        self.fail_after = fail_after  # None: always answer; N: HTTP 500 from request N+1 on
        self.dimension = dimension
        self.requests = 0
        self.authorizations = set()  # the Authorization headers seen (which API key reached this server)
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with stub._lock:
                    stub.requests += 1
                    stub.authorizations.add(self.headers.get("Authorization") or "")
                    failing = stub.fail_after is not None and stub.requests > stub.fail_after
                if self.path != "/v1/embeddings":
                    return self._answer(404, {"error": {"message": "no route %s" % self.path}})
                if failing:
                    return self._answer(500, {"error": {"message": "stub told to fail"}})
                texts = body.get("input") if isinstance(body.get("input"), list) else [body.get("input")]
                self._answer(200, {"data": [{"index": i, "embedding": [0.5] * stub.dimension} for i in range(len(texts))],
                                   "usage": {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
