# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The HTTP side of the tests' stand-ins: a threaded stdlib server on 127.0.0.1 that hands every request to one
function and sends back what it returns."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalJsonServer:
    """``route(method, path, headers, body)`` answers each request with ``(status, payload)``: ``body`` is the raw
    request body (None for GET); a ``bytes`` payload is sent as it is, anything else as JSON. With ``tls_context``
    (a server-side ``ssl.SSLContext``) it serves HTTPS. A context manager."""

    def __init__(self, route, tls_context=None):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 (the http.server API)
                self._answer(*route("GET", self.path, self.headers, None))

            def do_POST(self):  # noqa: N802
                self._answer(*route("POST", self.path, self.headers,
                                    self.rfile.read(int(self.headers.get("Content-Length") or 0))))

            def _answer(self, status, payload):
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls_context is not None else "http", self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
