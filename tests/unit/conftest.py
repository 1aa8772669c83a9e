"""Shared fixtures for unit tests: a scripted HTTP server on 127.0.0.1 for client error paths."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class ScriptedServer:
    """Answers each request with the (status, body, delay) registered for its path; records requests."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers),
                                        "json": json.loads(body) if body else None})
                status, payload, delay = server.routes.get(self.path, (404, {"error": {"message": "no route"}}, 0))
                if callable(payload):  # a callable answers with a body, or (status, body) to choose the status too
                    payload = payload(server.requests[-1]["json"])
                    if isinstance(payload, tuple):
                        status, payload = payload
                if delay:
                    threading.Event().wait(delay)
                data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
                data = data.encode() if isinstance(data, str) else data
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path, status=200, body=None, delay=0):
        self.routes[path] = (status, body if body is not None else {}, delay)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted_server():
    server = ScriptedServer()
    yield server
    server.close()
