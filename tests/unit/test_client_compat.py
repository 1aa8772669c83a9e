# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""client_compat's calls against scripted vLLM servers: each call works against a server that serves it and
fails, with the model, the URL and the server's message, against one that does not; a missing library is
"unavailable", never "works"."""

from __future__ import annotations

import array
import base64
import sys

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import client_compat

DIMENSION = 4
MATRYOSHKA_REFUSAL = "Model \"minilm\" does not support matryoshka representation, changing output dimensions will lead to poor results."


def vector(text):
    """A vector of float32-exact values from the text (so base64 round trips exactly)."""
    return [float((len(text) * (i + 3)) % 17) / 16.0 for i in range(DIMENSION)]


def embeddings_answer(base64_ok=True, dimensions_ok=False):
    """vLLM's /v1/embeddings: base64 as float32 bytes when asked; ``dimensions`` refused with 400 unless the
    model is a Matryoshka model."""
    def answer(body):
        if body.get("dimensions") is not None and not dimensions_ok:
            return 400, {"error": {"message": MATRYOSHKA_REFUSAL, "type": "BadRequestError", "code": 400}}
        encoding = body.get("encoding_format", "float")
        if encoding == "base64" and not base64_ok:
            return 400, {"error": {"message": "encoding_format base64 is not supported", "code": 400}}
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = []
        for index, text in enumerate(texts):
            values = vector(text)
            if encoding == "base64":
                values = base64.b64encode(array.array("f", values).tobytes()).decode()
            data.append({"index": index, "object": "embedding", "embedding": values})
        return {"object": "list", "model": body["model"], "data": data,
                "usage": {"prompt_tokens": 5, "total_tokens": 5}}
    return answer


def serve_embeddings(server, **kwargs):
    server.route("/v1/embeddings", body=embeddings_answer(**kwargs))


def rerank_answer(drop=None, wrong_text=False):
    def answer(body):
        documents = body["documents"]
        scores = [1.0 / (1 + i) for i in range(len(documents))]
        results = []
        for index in sorted(range(len(documents)), key=lambda i: -scores[i])[:body.get("top_n", len(documents))]:
            item = {"index": index, "relevance_score": scores[index]}
            if body.get("return_documents"):
                item["document"] = {"text": "changed" if wrong_text else documents[index]}
            item.pop(drop, None)
            results.append(item)
        return {"id": "rerank-1", "model": body["model"], "results": results, "usage": {"total_tokens": 30}}
    return answer


def serve_reranker(server, **kwargs):
    server.route("/v1/rerank", body=rerank_answer(**kwargs))
    server.route("/v2/rerank", body=rerank_answer(**kwargs))
    server.route("/v1/score", body=lambda body: {"data": [{"index": i, "object": "score", "score": 0.5 / (1 + i)}
                                                          for i in range(len(body["documents"]))]})


def target(server_url, **kwargs):
    return client_compat.ClientTarget(server_url, "minilm", "minilm", timeout=5.0, **kwargs)


def run(server_url, kind, name, **kwargs):
    return client_compat.run_call(target(server_url, **kwargs), kind, name)


def test_every_embedding_call_but_dimensions_works_against_vllm_and_dimensions_fails_with_the_servers_message(
        scripted_server):
    serve_embeddings(scripted_server)
    results = client_compat.run_calls(target(scripted_server.url, expected_dimension=DIMENSION), "embedding",
                                      client_compat.known_calls("embedding"))
    assert list(results) == ["openai_sdk_float", "openai_sdk_default", "openai_sdk_single", "openai_sdk_dimensions",
                             "langchain_openai"]
    for name in ("openai_sdk_float", "openai_sdk_default", "openai_sdk_single"):
        assert results[name]["status"] == "works", results[name]
    assert results["openai_sdk_float"]["dimension"] == DIMENSION and results["openai_sdk_float"]["vectors"] == 3
    assert results["openai_sdk_default"]["max_abs_difference"] == 0.0
    assert results["openai_sdk_dimensions"]["status"] == "fails"
    assert results["openai_sdk_dimensions"]["message"] == "model 'minilm' at %s/v1/embeddings: HTTP 400: %s" % (
        scripted_server.url, MATRYOSHKA_REFUSAL.rstrip("."))
    # the SDK sent what it sends: base64 when the caller does not say, the string as given, dimensions
    bodies = [request["json"] for request in scripted_server.requests]
    assert [body.get("encoding_format") for body in bodies[:2]] == ["float", "base64"]
    assert bodies[2]["input"] == client_compat.TEXTS[0]
    assert bodies[3]["dimensions"] == DIMENSION
    assert all({k.lower(): v for k, v in request["headers"].items()}["authorization"] == "Bearer EMPTY" for request in scripted_server.requests)


def test_langchain_is_unavailable_when_not_installed_and_never_works(scripted_server, monkeypatch):
    serve_embeddings(scripted_server)
    monkeypatch.setitem(sys.modules, "langchain_openai", None)  # an import of it raises ImportError
    result = run(scripted_server.url, "embedding", "langchain_openai")
    assert result["status"] == "unavailable"
    assert result["message"] == "langchain_openai is not installed in %s" % sys.executable


def test_a_matryoshka_model_accepts_dimensions(scripted_server):
    serve_embeddings(scripted_server, dimensions_ok=True)
    result = run(scripted_server.url, "embedding", "openai_sdk_dimensions")
    assert result["status"] == "works" and result["dimension"] == DIMENSION, result
    # without expected_dimension the call sends the dimension the float call returned
    assert scripted_server.requests[-1]["json"]["dimensions"] == DIMENSION


def test_a_server_that_serves_float_but_not_base64_fails_the_sdk_default(scripted_server):
    serve_embeddings(scripted_server, base64_ok=False)
    assert run(scripted_server.url, "embedding", "openai_sdk_float")["status"] == "works"
    result = run(scripted_server.url, "embedding", "openai_sdk_default")
    assert result["status"] == "fails"
    assert result["message"] == "model 'minilm' at %s/v1/embeddings: HTTP 400: encoding_format base64 is not " \
                                "supported" % scripted_server.url


def test_base64_that_decodes_to_other_vectors_fails_the_sdk_default(scripted_server):
    def float64_base64(body):
        answer = embeddings_answer()(dict(body, encoding_format="float"))
        if body.get("encoding_format") == "base64":  # float64 bytes: the SDK decodes them as twice as many float32
            for item in answer["data"]:
                item["embedding"] = base64.b64encode(array.array("d", item["embedding"]).tobytes()).decode()
        return answer
    scripted_server.route("/v1/embeddings", body=float64_base64)
    result = run(scripted_server.url, "embedding", "openai_sdk_default")
    assert result["status"] == "fails"
    assert "the SDK's default (base64) gives vectors of dimension 8, the float answer 4" in result["message"]


def test_a_wrong_dimension_fails_the_float_call(scripted_server):
    serve_embeddings(scripted_server)
    result = run(scripted_server.url, "embedding", "openai_sdk_float", expected_dimension=384)
    assert result["status"] == "fails" and result["message"].endswith(": dimension 4, expected 384")


def test_a_401_fails_every_kind_of_call_naming_the_key(scripted_server):
    refusal = {"error": {"message": "Unauthorized"}}
    for path in ("/v1/embeddings", "/v1/rerank"):
        scripted_server.route(path, status=401, body=refusal)
    sdk = run(scripted_server.url, "embedding", "openai_sdk_float", api_key="wrong")
    assert sdk["status"] == "fails"
    assert sdk["message"] == "model 'minilm' at %s/v1/embeddings: HTTP 401: Unauthorized. Check the API key / " \
                             "token for this endpoint" % scripted_server.url
    assert {k.lower(): v for k, v in scripted_server.requests[0]["headers"].items()}["authorization"] == "Bearer wrong"
    http = run(scripted_server.url, "reranker", "cohere_rerank")
    assert http["status"] == "fails" and http["message"].startswith("model 'minilm' at %s/v1/rerank: HTTP 401" %
                                                                    scripted_server.url)
    assert http["message"].endswith("Check the API key / token for this endpoint")


@pytest.mark.parametrize("kind,name,path", [("embedding", "openai_sdk_float", "/v1/embeddings"),
                                            ("reranker", "score", "/v1/score")])
def test_an_unreachable_endpoint_fails_naming_the_model_the_url_and_what_to_do(kind, name, path):
    result = run("http://127.0.0.1:9", kind, name)
    assert result["status"] == "fails"
    assert result["message"] == "model 'minilm' at http://127.0.0.1:9%s: cannot connect (connection refused). " \
                                "Check that the server is running and that the URL and port are right" % path


def test_tls_with_the_ca_works_and_without_it_fails_with_the_tls_hint(tls_server):
    server, ca_path = tls_server("router")
    serve_embeddings(server)
    assert run(server.url, "embedding", "openai_sdk_float", ca_path=ca_path)["status"] == "works"
    result = run(server.url, "embedding", "openai_sdk_float")
    assert result["status"] == "fails"
    assert result["message"].startswith("model 'minilm' at %s/v1/embeddings: TLS handshake or certificate "
                                        "verification failed" % server.url)
    assert "Point ca_path at the CA bundle" in result["message"]
    assert run(server.url, "embedding", "openai_sdk_float", validate_certs=False)["status"] == "works"


def test_without_the_openai_sdk_its_calls_are_unavailable_and_send_nothing(scripted_server, monkeypatch):
    serve_embeddings(scripted_server)
    monkeypatch.setattr(client_compat, "HAS_OPENAI", False)
    results = client_compat.run_calls(target(scripted_server.url), "embedding", client_compat.known_calls("embedding"))
    for name in ("openai_sdk_float", "openai_sdk_default", "openai_sdk_single", "openai_sdk_dimensions"):
        assert results[name] == {"status": "unavailable", "seconds": results[name]["seconds"],
                                 "message": "openai is not installed in %s" % sys.executable}
    assert results["langchain_openai"]["status"] == "unavailable"
    assert scripted_server.requests == []


def test_every_rerank_call_works_against_vllm(scripted_server):
    serve_reranker(scripted_server)
    results = client_compat.run_calls(target(scripted_server.url), "reranker", client_compat.known_calls("reranker"))
    assert {name: result["status"] for name, result in results.items()} == {
        "cohere_rerank": "works", "cohere_v2_rerank": "works", "score": "works"}
    assert results["cohere_rerank"]["results"] == 2 and results["cohere_rerank"]["top_index"] == 0
    assert results["score"]["scores"] == 3
    bodies = {request["path"]: request["json"] for request in scripted_server.requests}
    assert bodies["/v1/rerank"]["return_documents"] is True and bodies["/v1/rerank"]["top_n"] == 2
    assert bodies["/v2/rerank"]["max_tokens_per_doc"] == 512
    assert bodies["/v1/score"]["queries"] == client_compat.QUERY


@pytest.mark.parametrize("scripted,message", [
    (dict(drop="relevance_score"), "result 0 has no finite 'relevance_score'"),
    (dict(wrong_text=True), "result 0 has document.text 'changed', not the document sent"),
    (dict(drop="index"), "a result has no valid 'index'"),
])
def test_a_rerank_answer_without_the_cohere_fields_fails(scripted_server, scripted, message):
    serve_reranker(scripted_server, **scripted)
    result = run(scripted_server.url, "reranker", "cohere_rerank")
    assert result["status"] == "fails"
    assert result["message"].startswith("model 'minilm' at %s/v1/rerank: %s" % (scripted_server.url, message))


def test_a_gateway_that_does_not_route_score_fails_it(scripted_server):
    serve_reranker(scripted_server)
    scripted_server.route("/v1/score", status=404, body={"detail": "Not Found"})
    result = run(scripted_server.url, "reranker", "score")
    assert result["status"] == "fails" and "/v1/score: HTTP 404: Not Found. Check the URL path" in result["message"]


def test_an_unexpected_error_of_a_client_library_is_a_failure_not_a_traceback(scripted_server, monkeypatch):
    def broken(_target):
        raise ValueError("No embedding data received")
    monkeypatch.setitem(client_compat.CALLS["embedding"], "openai_sdk_float", broken)
    result = run(scripted_server.url, "embedding", "openai_sdk_float")
    assert result["status"] == "fails"
    assert result["message"] == "model 'minilm' at %s: openai_sdk_float raised ValueError: No embedding data " \
                                "received" % scripted_server.url


def test_verdict_passes_only_when_every_required_call_works():
    results = {"a": {"status": "works"}, "b": {"status": "fails"}, "c": {"status": "unavailable"}}
    assert client_compat.verdict(results, ["a"]) == (True, [])
    assert client_compat.verdict(results, ["a", "b", "c"]) == (False, ["b", "c"])
    assert client_compat.verdict(results, []) == (True, [])
    assert client_compat.unknown_calls("reranker", ["score", "openai_sdk_float"]) == ["openai_sdk_float"]


def _base64_of(values):
    return base64.b64encode(array.array("f", values).tobytes()).decode()


@pytest.mark.parametrize("encode, status", [
    # a second request answered with numbers a little apart, as vLLM on CPU does: the same vectors
    (lambda values: _base64_of([v + (6e-4 if i == 0 else 0.0) for i, v in enumerate(values)]), "works"),
    # a server that sends the bytes in the other byte order: decoded into other vectors
    (lambda values: base64.b64encode(array.array("f", values).tobytes()[::-1]).decode(), "fails"),
])
def test_the_sdk_default_is_compared_by_direction_not_by_digits(scripted_server, encode, status):
    def answer(body):
        texts = body["input"]
        encoded = body.get("encoding_format") == "base64"
        return {"object": "list", "model": body["model"], "usage": {"prompt_tokens": 5, "total_tokens": 5},
                "data": [{"index": i, "object": "embedding",
                          "embedding": encode(vector(t)) if encoded else vector(t)} for i, t in enumerate(texts)]}
    scripted_server.route("/v1/embeddings", body=answer)
    result = run(scripted_server.url, "embedding", "openai_sdk_default")
    assert result["status"] == status, result
    if status == "fails":
        assert "gives other vectors than the float answer (cosine" in result["message"]
        assert result["message"].startswith("model 'minilm' at %s/v1/embeddings: " % scripted_server.url)


def test_the_v2_rerank_call_fits_max_tokens_per_doc_to_the_models_context(scripted_server):
    serve_reranker(scripted_server)
    assert run(scripted_server.url, "reranker", "cohere_v2_rerank", max_tokens=128)["status"] == "works"
    assert run(scripted_server.url, "reranker", "cohere_v2_rerank", max_tokens=8192)["status"] == "works"
    sent = [request["json"]["max_tokens_per_doc"] for request in scripted_server.requests]
    assert sent == [64, 512]
