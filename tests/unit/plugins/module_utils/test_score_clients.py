"""Score clients (vLLM /v1/score + /v1/rerank, Cohere/TEI rerank, Caikit rerank) and golden score files:
answers matched back by index, and every error path naming model, URL, cause and hint."""

from __future__ import annotations

import json

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import CaikitRerankClient
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden_scores import (
    GoldenScoresRecorder, GoldenScoresReference)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import JsonEndpoint
from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import VllmScoreClient
from ansible_collections.vllm_pooling.migration.plugins.module_utils.rerank_client import RerankClient

DOCS = ["iphone launch", "AAPL closed at 189", "apple pie"]


def vllm(server, **kwargs):
    params = kwargs.pop("request_params", None)
    return VllmScoreClient(JsonEndpoint(server.url, "msmarco", **kwargs), "served-msmarco", request_params=params)


def score_body(scores, order=None):
    order = order or list(range(len(scores)))
    return {"data": [{"index": i, "score": scores[i]} for i in order], "usage": {"prompt_tokens": 9}}


def rerank_body(scores):
    best_first = sorted(range(len(scores)), key=lambda i: -scores[i])
    return {"results": [{"index": i, "relevance_score": scores[i], "document": {"text": DOCS[i]}} for i in best_first]}


def test_vllm_score_sends_queries_documents_and_params(scripted_server):
    scripted_server.route("/v1/score", body=score_body([0.1, 0.9, 0.3], order=[2, 0, 1]))
    scores = vllm(scripted_server, api_key="k", request_params={"use_activation": False}).score("apple stock", DOCS)
    assert scores.tolist() == [0.1, 0.9, 0.3]
    sent = scripted_server.requests[-1]
    assert sent["json"] == {"model": "served-msmarco", "queries": "apple stock", "documents": DOCS, "use_activation": False}
    assert sent["headers"]["Authorization"] == "Bearer k"


def test_vllm_rerank_matches_best_first_results_back_by_index(scripted_server):
    scripted_server.route("/v1/rerank", body=rerank_body([0.1, 0.9, 0.3]))
    client = vllm(scripted_server)
    assert client.rerank("apple stock", DOCS).tolist() == [0.1, 0.9, 0.3]
    sent = scripted_server.requests[-1]["json"]
    assert sent["top_n"] == 3 and sent["query"] == "apple stock" and sent["documents"] == DOCS
    assert client.rerank_url.endswith("/v1/rerank") and client.url.endswith("/v1/score")


def test_truncate_sends_truncate_prompt_tokens(scripted_server):
    scripted_server.route("/v1/score", body=score_body([0.5]))
    vllm(scripted_server).score("q", ["d"], truncate=True)
    assert scripted_server.requests[-1]["json"]["truncate_prompt_tokens"] == -1


@pytest.mark.parametrize("status, cause", [(401, "HTTP 401"), (403, "HTTP 403"), (404, "HTTP 404"),
                                           (500, "HTTP 500"), (503, "HTTP 503")])
def test_http_errors_name_model_url_and_cause(scripted_server, status, cause):
    scripted_server.route("/v1/score", status=status, body={"error": {"message": "boom"}})
    with pytest.raises(CheckError) as info:
        vllm(scripted_server).score("q", DOCS)
    assert "msmarco" in info.value.message and "/v1/score" in info.value.message and cause in info.value.message
    assert info.value.hint


def test_400_is_a_rejection_to_compare(scripted_server):
    scripted_server.route("/v1/score", status=400, body={"error": {"message": "too long"}})
    with pytest.raises(RequestRejected) as info:
        vllm(scripted_server).score("q", DOCS)
    assert info.value.status == 400 and info.value.detail == "too long"


def test_timeout(scripted_server):
    scripted_server.route("/v1/score", body=score_body([0.1, 0.2, 0.3]), delay=1.5)
    with pytest.raises(CheckError) as info:
        vllm(scripted_server, timeout=0.3).score("q", DOCS)
    assert "no answer within 0.3 s" in info.value.message


def test_malformed_json(scripted_server):
    scripted_server.route("/v1/score", body="<html>login</html>")
    with pytest.raises(CheckError, match="not JSON"):
        vllm(scripted_server).score("q", DOCS)


@pytest.mark.parametrize("body, match", [
    (score_body([0.1, 0.2]), "covers documents"),
    ({"data": [{"index": 0, "score": 0.1}, {"index": 0, "score": 0.2}, {"index": 1, "score": 0.3}]}, "appears twice"),
    ({"data": [{"index": 0, "score": 0.1}, {"index": 1}, {"index": 2, "score": 0.3}]}, "lacks an integer 'index'"),
    ({"data": [{"index": 0, "score": "high"}, {"index": 1, "score": 0.2}, {"index": 2, "score": 0.3}]}, "not a number"),
    ({"object": "list"}, "no list of results"),
])
def test_wrong_counts_and_shapes(scripted_server, body, match):
    scripted_server.route("/v1/score", body=body)
    with pytest.raises(CheckError, match=match):
        vllm(scripted_server).score("q", DOCS)


def test_nan_scores_are_an_error(scripted_server):
    scripted_server.route("/v1/score", body='{"data": [{"index": 0, "score": NaN}, {"index": 1, "score": 0.2},'
                                            ' {"index": 2, "score": Infinity}]}')
    with pytest.raises(CheckError, match="score 0 is nan"):
        vllm(scripted_server).score("q", DOCS)


def test_rerank_with_top_n_cut_is_partial(scripted_server):
    body = rerank_body([0.1, 0.9, 0.3])
    body["results"] = body["results"][:2]
    scripted_server.route("/v1/rerank", body=body)
    with pytest.raises(CheckError, match="partial answer"):
        vllm(scripted_server).rerank("q", DOCS)


def test_rerank_without_results(scripted_server):
    scripted_server.route("/v1/rerank", body={"data": []})
    with pytest.raises(CheckError, match="no 'results' list"):
        RerankClient(JsonEndpoint(scripted_server.url, "bge"), "bge").score("q", DOCS)


def test_tei_dialect(scripted_server):
    scripted_server.route("/rerank", body=[{"index": 2, "score": 0.3}, {"index": 0, "score": 0.1}, {"index": 1, "score": 0.9}])
    client = RerankClient(JsonEndpoint(scripted_server.url, "bge"), "bge", dialect="tei")
    assert client.score("q", DOCS, truncate=True).tolist() == [0.1, 0.9, 0.3]
    assert scripted_server.requests[-1]["json"] == {"query": "q", "texts": DOCS, "truncate": True}
    with pytest.raises(ValueError):
        RerankClient(JsonEndpoint(scripted_server.url, "bge"), "bge", dialect="jina2")


def test_rerank_version_from_vllm_or_tei_or_none(scripted_server):
    client = RerankClient(JsonEndpoint(scripted_server.url, "bge"), "bge")
    assert client.version() is None
    scripted_server.route("/info", body={"version": "1.8.0"})
    assert client.version() == "1.8.0"
    scripted_server.route("/version", body={"version": "0.32.0"})
    assert client.version() == "0.32.0"


def caikit_body(scores):
    best_first = sorted(range(len(scores)), key=lambda i: -scores[i])
    return {"result": {"query": None, "scores": [{"index": i, "score": scores[i], "text": None, "document": None}
                                                 for i in best_first]},
            "producer_id": {"name": "Cross-Encoder", "version": "0.0.1"}, "input_token_count": 30}


def test_caikit_rerank_request_and_answer(scripted_server):
    scripted_server.route("/api/v1/task/rerank", body=caikit_body([0.2, 0.7, 0.4]))
    client = CaikitRerankClient(JsonEndpoint(scripted_server.url, "msmarco"), "msmarco-caikit")
    assert client.score("apple stock", DOCS).tolist() == [0.2, 0.7, 0.4]
    sent = scripted_server.requests[-1]["json"]
    assert sent["model_id"] == "msmarco-caikit"
    assert sent["inputs"] == {"query": "apple stock", "documents": [{"text": d} for d in DOCS]}
    assert sent["parameters"]["top_n"] == 3 and sent["parameters"]["truncate_input_tokens"] == 0
    client.score("q", DOCS, truncate=True)
    assert scripted_server.requests[-1]["json"]["parameters"]["truncate_input_tokens"] == -1


def test_caikit_rerank_malformed_and_errors(scripted_server):
    client = CaikitRerankClient(JsonEndpoint(scripted_server.url, "msmarco"), "msmarco")
    scripted_server.route("/api/v1/task/rerank", body={"results": []})
    with pytest.raises(CheckError, match="lacks result.scores"):
        client.score("q", DOCS)
    scripted_server.route("/api/v1/task/rerank", status=404, body={"details": "model not found", "code": 404})
    with pytest.raises(CheckError, match="model not found"):
        client.score("q", DOCS)


class FakeReference(object):
    kind = "caikit"
    url = "http://caikit/api/v1/task/rerank"

    def score(self, query, documents, truncate=False):
        if truncate is False and len(documents[0]) > 20:
            raise RequestRejected("m", self.url, 400, "too long")
        import numpy as np
        return np.linspace(0.1, 0.9, len(documents))

    def version(self):
        return "caikit-nlp 0.5.15"


def test_golden_scores_record_and_replay(tmp_path):
    recorder = GoldenScoresRecorder(FakeReference(), "sigmoid")
    recorder.score("q", ["a", "b"])
    with pytest.raises(RequestRejected):
        recorder.score("q", ["x" * 30])
    path = tmp_path / "golden.json"
    path.write_text(json.dumps(recorder.document("msmarco")))
    replay = GoldenScoresReference(str(path), "msmarco")
    assert replay.activation == "sigmoid" and replay.version() == "caikit-nlp 0.5.15"
    assert replay.score("q", ["a", "b"]).tolist() == pytest.approx([0.1, 0.9])
    with pytest.raises(RequestRejected, match="too long"):
        replay.score("q", ["x" * 30])
    with pytest.raises(CheckError, match="no record"):
        replay.score("q", ["b", "a"])


@pytest.mark.parametrize("content, match", [
    (None, "cannot read"), ("{not json", "not valid JSON"),
    (json.dumps({"format": "vllm_pooling.migration/golden-embeddings/v1"}), "not a golden score file"),
])
def test_golden_scores_bad_files(tmp_path, content, match):
    path = tmp_path / "golden.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CheckError, match=match):
        GoldenScoresReference(str(path), "msmarco")


def test_golden_scores_with_nan_are_refused(tmp_path):
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({"format": "vllm_pooling.migration/golden-scores/v1", "records": [
        {"query": "q", "documents": ["a"], "truncate": False, "scores": [float("nan")]}]}))
    with pytest.raises(CheckError, match="nan"):
        GoldenScoresReference(str(path), "m").score("q", ["a"])
