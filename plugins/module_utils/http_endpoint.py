# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""JSON over HTTP(S) with errors turned into CheckError (one place for transport concerns)."""

from __future__ import annotations

import json

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module via missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected

_REJECTION_CODES = (400, 413, 422)

# What to do, per kind of failure (shared with the clients that do not go through JsonEndpoint: client_compat).
TLS_HINT = ("Point ca_path at the CA bundle that signed the server certificate; "
            "validate_certs=false only for a throwaway test")
TIMEOUT_HINT = "The server is overloaded or stuck; check its log, or raise timeout"
CONNECT_HINT = "Check that the server is running and that the URL and port are right"
AUTH_HINT = "Check the API key / token for this endpoint"
NOT_FOUND_HINT = "Check the URL path and that the server serves this model under that name"
SERVER_ERROR_HINT = "The server failed; read its log (for vLLM a 5xx often means the engine died)"


def _error_detail(response):
    """Best-effort server message: vLLM/OpenAI ``{"error": {"message"}}``, Caikit ``{"details"}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        for key in ("details", "detail", "message", "error"):
            if body.get(key):
                return str(body[key])
    return json.dumps(body)[:300]


def base_url_without_api_path(url):
    """``(base, warning)``: an OpenAI-style base URL ending in ``/v1`` loses it (the clients add ``/v1/...``
    themselves, else requests go to ``/v1/v1/models``); ``warning`` says so, or is None when nothing changed."""
    base = url.rstrip("/")
    if base.endswith("/v1"):
        fixed = base[:-len("/v1")]
        return fixed, "base URL %s ends in /v1; using %s (the check adds /v1/... itself)" % (url, fixed)
    return base, None


class JsonEndpoint(object):
    """A base URL plus auth, TLS and timeout settings; ``post``/``get`` return decoded JSON."""

    def __init__(self, base_url, model, api_key=None, validate_certs=True, ca_path=None, timeout=60.0,
                 session=None):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.verify = (ca_path or True) if validate_certs else False
        self.headers = {"Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = "Bearer %s" % api_key
        self.session = session or requests.Session()

    def url(self, path):
        return self.base_url + path

    def post(self, path, payload):
        return self._request("POST", path, payload)

    def get(self, path):
        return self._request("GET", path, None)

    def _fail(self, url, cause, hint):
        raise CheckError(self.model, url, cause, hint)

    def _request(self, method, path, payload):
        url = self.url(path)
        try:
            response = self.session.request(method, url, json=payload, headers=self.headers,
                                            timeout=self.timeout, verify=self.verify)
        except requests.exceptions.SSLError as exc:
            self._fail(url, "TLS handshake or certificate verification failed (%s)" % root_cause(exc), TLS_HINT)
        except requests.exceptions.Timeout:
            self._fail(url, "no answer within %s s" % self.timeout, TIMEOUT_HINT)
        except requests.exceptions.ConnectionError as exc:
            self._fail(url, "cannot connect (%s)" % root_cause(exc), CONNECT_HINT)
        except requests.exceptions.RequestException as exc:
            self._fail(url, "request failed (%s)" % exc, "Check the URL")
        return self._decode(url, response)

    def _decode(self, url, response):
        status = response.status_code
        if status in (401, 403):
            self._fail(url, "HTTP %d %s: %s" % (status, response.reason, _error_detail(response)),
                       AUTH_HINT)
        if status == 404:
            self._fail(url, "HTTP 404: %s" % _error_detail(response), NOT_FOUND_HINT)
        if status in _REJECTION_CODES:
            raise RequestRejected(self.model, url, status, _error_detail(response))
        if status >= 400:
            self._fail(url, "HTTP %d %s: %s" % (status, response.reason, _error_detail(response)),
                       SERVER_ERROR_HINT)
        try:
            return response.json()
        except ValueError:
            preview = response.text[:120].replace("\n", " ")
            self._fail(url, "malformed response, not JSON (starts with %r)" % preview,
                       "Check that the URL points at the serving API and not at a proxy or login page")


def root_cause(exc):
    """The innermost reason of a connection error, without urllib3's long wrapper text."""
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "Connection refused", "Name or service not known", "No route to host",
                   "Temporary failure in name resolution", "Network is unreachable"):
        if marker in text:
            return marker.lower()
    return text[:200]
