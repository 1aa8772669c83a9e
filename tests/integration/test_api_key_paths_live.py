"""A real vLLM started with --api-key: every path the Route or Ingress exposes refuses a request without the key.

vLLM checks the key only under /v1 (and /v2, /inference, /cohere); the cluster roles therefore route only
``vllm_server_route_path`` (/v1) to the servers. These tests prove both halves on a real server:

- each /v1 path the collection's clients and consumers use (and any other /v1 path) answers 401 without the
  key and with a wrong key, and the same requests succeed with the key;
- the paths outside /v1 answer without any key, which is why the Route must not expose them (if a vLLM
  release starts guarding them, that test fails and the docs should say so).

The server comes from, in this order:

1. ``VLLM_API_KEY_TEST_URL`` (base URL), ``VLLM_API_KEY_TEST_KEY`` and ``VLLM_API_KEY_TEST_MODEL`` (served
   name, default ``minilm``): any vLLM started with ``--api-key``, for example
   ``python -m vllm.entrypoints.openai.api_server --model DIR --runner pooling --served-model-name minilm
   --api-key KEY``;
2. the fleet ``auth`` (tests/integration/fleet_auth.py), serving catalog key ``minilm_api_key``: all-MiniLM-L6-v2
   with ``vllm_args: ["--api-key", API_KEY]``. No fleet of this repository serves a key yet: without one of
   the two the tests fail and say so.

``VLLM_PUBLIC_URL`` (optional): a Route or Ingress URL in front of such a server; then the router is checked
too (only /v1 reaches the server).
"""

from __future__ import annotations

import os

import pytest
import requests

FLEETS = ["auth"]
KEY_MODEL = "minilm_api_key"
try:  # the fleet, when it exists, says which key its server was started with
    from fleet_auth import API_KEY
except ImportError:
    API_KEY = "live-api-key-paths"

TIMEOUT = 60
EMBED = {"input": ["a short text"]}
# What the Route exposes and the collection's clients use (plugins/module_utils/openai_client.py,
# rerank_client.py, benchmark_workload.py), plus a /v1 path that does not exist: the key is checked first.
V1_REQUESTS = (
    ("GET", "/v1/models", None),
    ("POST", "/v1/embeddings", EMBED),
    ("POST", "/v1/score", {"queries": "q", "documents": ["d"]}),
    ("POST", "/v1/rerank", {"query": "q", "documents": ["d"]}),
    ("GET", "/v1/no-such-path", None),
)
# vLLM's own paths outside /v1: open whatever the key (they must stay inside the cluster).
UNGUARDED_REQUESTS = (
    ("GET", "/health", None),
    ("GET", "/metrics", None),
    ("GET", "/version", None),
    ("POST", "/tokenize", {"prompt": "a short text"}),
    ("POST", "/pooling", {"input": "a short text"}),
)


@pytest.fixture(scope="module")
def guarded(request):
    """(base URL, key, served name) of a vLLM server that requires an API key."""
    url = os.environ.get("VLLM_API_KEY_TEST_URL")
    if url:
        key = os.environ.get("VLLM_API_KEY_TEST_KEY")
        assert key, "VLLM_API_KEY_TEST_URL is set: set VLLM_API_KEY_TEST_KEY to the key that server was started with"
        return url.rstrip("/"), key, os.environ.get("VLLM_API_KEY_TEST_MODEL", "minilm")
    servers = request.getfixturevalue("local_servers")
    assert KEY_MODEL in servers["url"], (
        "no vLLM server with an API key: add tests/integration/fleet_auth.py serving catalog key %s (all-MiniLM-L6-v2 "
        "with vllm_args [--api-key, API_KEY]), or set VLLM_API_KEY_TEST_URL and VLLM_API_KEY_TEST_KEY; started: %s"
        % (KEY_MODEL, sorted(servers["url"])))
    return servers["url"][KEY_MODEL], API_KEY, KEY_MODEL


def call(base_url, method, path, body, model, key=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    payload = dict(body, model=model) if body is not None else None
    return requests.request(method, base_url + path, json=payload, headers=headers, timeout=TIMEOUT)


def unauthenticated_answers(base_url, model, requests_to_make, key=None):
    """{path: HTTP status} of each request sent without a key (or with ``key``, a wrong one)."""
    return {path: call(base_url, method, path, body, model, key).status_code
            for method, path, body in requests_to_make}


def assert_refused_without_the_key(base_url, model, requests_to_make=V1_REQUESTS):
    """Every request without a key, and with a wrong one, is refused with 401."""
    for key in (None, "not-the-key"):
        answers = unauthenticated_answers(base_url, model, requests_to_make, key)
        admitted = {path: status for path, status in answers.items() if status != 401}
        assert not admitted, "answered without the right API key (%s): %s" % ("wrong key" if key else "no key", admitted)


def test_every_exposed_path_refuses_a_request_without_the_key(guarded):
    base_url, _key, model = guarded
    assert_refused_without_the_key(base_url, model)


def test_the_same_requests_pass_with_the_key(guarded):
    base_url, key, model = guarded
    assert call(base_url, "GET", "/v1/models", None, model, key).status_code == 200
    answer = call(base_url, "POST", "/v1/embeddings", EMBED, model, key)
    assert answer.status_code == 200, answer.text[:500]
    assert len(answer.json()["data"][0]["embedding"]) > 0


def test_vllm_leaves_the_paths_outside_v1_open_which_the_route_must_not_expose(guarded):
    base_url, _key, model = guarded
    answers = unauthenticated_answers(base_url, model, UNGUARDED_REQUESTS)
    refused = {path: status for path, status in answers.items() if status in (401, 403)}
    # /health, /metrics, /version and /tokenize answer 200; /pooling may refuse the input (400) but not the caller
    assert not refused, "vLLM now guards %s: the docs' list of unguarded paths is out of date" % refused
    assert answers["/health"] == 200 and answers["/metrics"] == 200


def test_through_the_public_url_only_v1_reaches_the_server_and_it_needs_the_key(guarded):
    public = os.environ.get("VLLM_PUBLIC_URL")
    if not public:
        pytest.skip("VLLM_PUBLIC_URL is not set: no Route or Ingress to check (only the server itself was checked)")
    public = public.rstrip("/")
    _base_url, _key, model = guarded
    assert_refused_without_the_key(public, model)
    answers = unauthenticated_answers(public, model, UNGUARDED_REQUESTS)
    # a router answers 404 or 503 for what it does not route; 200, 400 or 422 come from vLLM itself
    reached = {path: status for path, status in answers.items() if status in (200, 400, 422)}
    assert not reached, "the public URL forwards paths outside /v1 to vLLM: %s" % reached
