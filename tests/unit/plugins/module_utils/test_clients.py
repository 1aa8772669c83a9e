"""Client error paths against a scripted HTTP server: every failure names model, URL, cause and hint."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import CaikitEmbeddingClient
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    JsonEndpoint, base_url_without_api_path)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import OpenAIEmbeddingClient


def openai_body(vectors, order=None):
    order = order or list(range(len(vectors)))
    return {"data": [{"index": i, "embedding": vectors[i]} for i in order], "usage": {"prompt_tokens": 1}}


def client(server, **kwargs):
    return OpenAIEmbeddingClient(JsonEndpoint(server.url, "minilm", **kwargs), "served-minilm")


def test_openai_embed_sorts_by_index_and_sends_model(scripted_server):
    scripted_server.route("/v1/embeddings", body=openai_body([[1.0, 0.0], [0.0, 1.0]], order=[1, 0]))
    m = client(scripted_server, api_key="s3cret").embed(["a", "b"])
    assert m.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    sent = scripted_server.requests[-1]
    assert sent["json"]["model"] == "served-minilm" and sent["json"]["input"] == ["a", "b"]
    assert sent["headers"]["Authorization"] == "Bearer s3cret"
    assert "truncate_prompt_tokens" not in sent["json"]


def test_openai_truncate_flag(scripted_server):
    scripted_server.route("/v1/embeddings", body=openai_body([[1.0]]))
    client(scripted_server).embed(["a"], truncate=True)
    assert scripted_server.requests[-1]["json"]["truncate_prompt_tokens"] == -1


@pytest.mark.parametrize("status,body,cause,hint", [
    (401, {"error": {"message": "Unauthorized"}}, "HTTP 401", "API key"),
    (403, {"error": {"message": "Forbidden"}}, "HTTP 403", "API key"),
    (404, {"error": {"message": "The model `x` does not exist."}}, "does not exist", "serves this model"),
    (500, {"error": {"message": "engine dead"}}, "HTTP 500", "log"),
    (503, "", "HTTP 503", "log"),
])
def test_openai_http_errors(scripted_server, status, body, cause, hint):
    scripted_server.route("/v1/embeddings", status=status, body=body)
    with pytest.raises(CheckError) as err:
        client(scripted_server).embed(["a"])
    text = str(err.value)
    assert "minilm" in text and scripted_server.url + "/v1/embeddings" in text
    assert cause in text and hint in text


def test_rejection_is_its_own_error(scripted_server):
    scripted_server.route("/v1/embeddings", status=400, body={"error": {"message": "too long", "code": 400}})
    with pytest.raises(RequestRejected) as err:
        client(scripted_server).embed(["a"])
    assert err.value.status == 400 and err.value.detail == "too long"


@pytest.mark.parametrize("body,cause", [
    ("<html>login</html>", "not JSON"),
    ({"object": "list"}, "no 'data' list"),
    ({"data": [{"index": 0}]}, "lacks 'index' or 'embedding'"),
    ({"data": [{"index": 0, "embedding": [1.0]}]}, "do not cover the 2 inputs"),
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [1.0, 2.0]}]}, "different lengths"),
    ({"data": [{"index": 0, "embedding": []}, {"index": 1, "embedding": []}]}, "empty"),
    ({"data": [{"index": 0, "embedding": ["a"]}, {"index": 1, "embedding": ["b"]}]}, "not numbers"),
    ('{"data": [{"index": 0, "embedding": [NaN, 1.0]}, {"index": 1, "embedding": [1.0, 1.0]}]}', "NaN"),
    ('{"data": [{"index": 0, "embedding": [1.0, 1.0]}, {"index": 1, "embedding": [Infinity, 1.0]}]}', "vector 1"),
])
def test_openai_malformed_answers(scripted_server, body, cause):
    scripted_server.route("/v1/embeddings", body=body)
    with pytest.raises(CheckError) as err:
        client(scripted_server).embed(["a", "b"])
    assert cause in str(err.value) and "minilm" in str(err.value)


def test_unreachable_endpoint():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    c = OpenAIEmbeddingClient(JsonEndpoint("http://127.0.0.1:%d" % port, "minilm"), "minilm")
    with pytest.raises(CheckError) as err:
        c.embed(["a"])
    assert "cannot connect" in str(err.value) and "running" in str(err.value)


def test_timeout(scripted_server):
    scripted_server.route("/v1/embeddings", body=openai_body([[1.0]]), delay=1.0)
    with pytest.raises(CheckError) as err:
        client(scripted_server, timeout=0.2).embed(["a"])
    assert "no answer within 0.2 s" in str(err.value)


def test_tls_failure_is_named(scripted_server):
    # A plain-HTTP server spoken to over HTTPS fails the TLS handshake.
    https_url = scripted_server.url.replace("http://", "https://")
    c = OpenAIEmbeddingClient(JsonEndpoint(https_url, "minilm"), "minilm")
    with pytest.raises(CheckError) as err:
        c.embed(["a"])
    assert "TLS" in str(err.value) or "cannot connect" in str(err.value)
    assert https_url in str(err.value)


def test_validate_certs_default_on():
    assert JsonEndpoint("https://x", "m").verify is True
    assert JsonEndpoint("https://x", "m", ca_path="/ca.pem").verify == "/ca.pem"
    assert JsonEndpoint("https://x", "m", validate_certs=False).verify is False


def test_caikit_batch_and_single(scripted_server):
    scripted_server.route("/api/v1/task/embedding-tasks",
                          body={"results": {"vectors": [{"data": {"values": [1.0, 0.0]}},
                                                        {"data": {"values": [0.0, 1.0]}}]}})
    scripted_server.route("/api/v1/task/embedding", body={"result": {"data": {"values": [0.5, 0.5]}}})
    c = CaikitEmbeddingClient(JsonEndpoint(scripted_server.url, "minilm"), "minilm-id")
    assert c.embed(["a", "b"]).shape == (2, 2)
    assert scripted_server.requests[-1]["json"] == {"model_id": "minilm-id", "inputs": ["a", "b"],
                                                    "parameters": {"truncate_input_tokens": 0}}
    assert np.allclose(c.embed(["a"], truncate=True), [[0.5, 0.5]])
    assert scripted_server.requests[-1]["json"]["parameters"] == {"truncate_input_tokens": -1}


def test_caikit_error_details(scripted_server):
    scripted_server.route("/api/v1/task/embedding-tasks", status=404,
                          body={"details": "Model 'nope' not loaded", "code": 404, "id": "x"})
    c = CaikitEmbeddingClient(JsonEndpoint(scripted_server.url, "minilm"), "nope")
    with pytest.raises(CheckError) as err:
        c.embed(["a", "b"])
    assert "Model 'nope' not loaded" in str(err.value)


def test_caikit_malformed(scripted_server):
    scripted_server.route("/api/v1/task/embedding-tasks", body={"results": {}})
    c = CaikitEmbeddingClient(JsonEndpoint(scripted_server.url, "minilm"), "m")
    with pytest.raises(CheckError) as err:
        c.embed(["a", "b"])
    assert "results.vectors" in str(err.value)


def test_openai_token_counts_request_params_and_tokenize(scripted_server):
    scripted_server.route("/v1/embeddings", body=openai_body([[1.0, 0.0]]))
    c = OpenAIEmbeddingClient(JsonEndpoint(scripted_server.url, "minilm"), "served-minilm",
                              request_params={"use_activation": False, "model": "ignored"})
    matrix, tokens = c.embed_counted(["a"])
    assert matrix.shape == (1, 2) and tokens == 1
    sent = scripted_server.requests[-1]["json"]
    assert sent["use_activation"] is False and sent["model"] == "served-minilm"  # the check's own fields win
    scripted_server.route("/tokenize", body={"count": 7, "max_model_len": 256, "tokens": [1] * 7})
    assert c.count_tokens("hello") == 7
    assert scripted_server.requests[-1]["json"] == {"model": "served-minilm", "prompt": "hello"}
    scripted_server.route("/tokenize", body={"tokens": []})
    with pytest.raises(CheckError, match="no integer 'count'"):
        c.count_tokens("hello")


def test_openai_without_usage_reports_no_token_count(scripted_server):
    scripted_server.route("/v1/embeddings", body={"data": [{"index": 0, "embedding": [1.0]}]})
    assert client(scripted_server).embed_counted(["a"])[1] is None


def test_openai_served_config_reads_models_and_version(scripted_server):
    scripted_server.route("/v1/models", body={"data": [
        {"id": "other", "root": "/x", "max_model_len": 1},
        {"id": "served-minilm", "root": "/models/minilm", "max_model_len": 64}]})
    scripted_server.route("/version", body={"version": "0.32.0"})
    assert client(scripted_server).served_config() == {
        "served_model": "served-minilm", "root": "/models/minilm", "max_model_len": 64, "version": "0.32.0"}
    scripted_server.route("/version", status=404, body={"detail": "Not Found"})
    scripted_server.route("/v1/models", body={"data": [{"id": "other"}]})
    assert client(scripted_server).served_config() == {
        "served_model": "served-minilm", "root": None, "max_model_len": None, "version": None}


def test_caikit_token_counts_and_version(scripted_server):
    scripted_server.route("/api/v1/task/embedding",
                          body={"result": {"data": {"values": [0.5, 0.5]}}, "input_token_count": 6})
    scripted_server.route("/api/v1/task/embedding-tasks", body={
        "results": {"vectors": [{"data": {"values": [1.0]}}, {"data": {"values": [1.0]}}]}, "input_token_count": 9})
    c = CaikitEmbeddingClient(JsonEndpoint(scripted_server.url, "minilm"), "minilm-id")
    assert c.embed_counted(["Hello World"])[1] == 6 and c.count_tokens("Hello World") == 6
    assert c.embed_counted(["a", "b"])[1] == 9  # a batch has only the sum
    scripted_server.route("/info/version", body={"runtime_version": "", "python_packages": {"caikit_nlp": "0.5.15"}})
    assert c.version() == "caikit-nlp 0.5.15"
    scripted_server.route("/info/version", status=404, body={"details": "no"})
    assert c.version() is None
    scripted_server.route("/api/v1/task/embedding", body={"result": {"data": {"values": [0.5]}}})
    with pytest.raises(CheckError, match="no input_token_count"):
        c.count_tokens("x")


@pytest.mark.parametrize("url,base,warned", [
    ("http://h:8000", "http://h:8000", False),
    ("http://h:8000/", "http://h:8000", False),
    ("http://h:8000/v1", "http://h:8000", True),
    ("https://h/prefix/v1/", "https://h/prefix", True),
    ("http://h:8000/v10", "http://h:8000/v10", False),
])
def test_base_url_without_api_path(url, base, warned):
    fixed, warning = base_url_without_api_path(url)
    assert fixed == base and bool(warning) is warned
