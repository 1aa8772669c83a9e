# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The checks' per-endpoint credentials read from the cluster (``*_api_key_from``, ``*_ca_from``): main() of
embedding_check, score_check and client_check against TLS servers behind two private CAs, with kubernetes.core's
client replaced by a fake cluster holding the Secrets and ConfigMaps. Each endpoint gets its own token and CA, the
precedence of the token sources holds, failures are one line, and no token reaches the result."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import module_args as module_args_utils
from ansible_collections.vllm_pooling.migration.plugins.modules import client_check, embedding_check, score_check

from test_embedding_check import module_args, serve
from test_score_check import module_args as score_args
from test_score_check import serve_vllm as serve_scores

LOGIN_TOKEN = "sha256~login-token-of-the-operator"
REFERENCE_TOKEN = "sha256~reference-token-from-a-secret"
CANDIDATE_TOKEN = "vllm-key-from-its-secret"


class ApiError(Exception):
    def __init__(self, status, reason):
        super(ApiError, self).__init__("(%s) %s" % (status, reason))
        self.status, self.reason = status, reason


class Configuration(object):
    def __init__(self, token):
        self.api_key = {"authorization": "Bearer " + token} if token else {}


class FakeCluster(object):
    """kubernetes.core's client as cluster_credentials uses it: ``client.request`` by path, ``configuration``."""

    def __init__(self, objects, token=LOGIN_TOKEN):
        self.objects, self.calls = objects, []
        self.client = self
        self.configuration = Configuration(token)

    def request(self, method, path, body=None):
        self.calls.append((method, path))
        if method == "post" and path.endswith("/token"):
            if path.rsplit("/", 1)[0] not in self.objects:
                raise ApiError(404, "Not Found")
            return {"status": {"token": REFERENCE_TOKEN + "-requested"}}
        if path not in self.objects:
            raise ApiError(404, "Not Found")
        return self.objects[path]


def b64(text):
    return base64.b64encode(text.encode()).decode()


def cluster_with(router_ca, service_ca, token=LOGIN_TOKEN):
    return FakeCluster({
        "/api/v1/namespaces/rag-prod/secrets/caikit-token": {"data": {"token": b64(REFERENCE_TOKEN)}},
        "/api/v1/namespaces/rag-prod/secrets/vllm-minilm-api-key": {"data": {"api-key": b64(CANDIDATE_TOKEN)}},
        "/api/v1/namespaces/rag-prod/configmaps/openshift-service-ca.crt": {
            "data": {"service-ca.crt": Path(service_ca).read_text()}},
        "/api/v1/namespaces/openshift-config-managed/configmaps/default-ingress-cert": {
            "data": {"ca-bundle.crt": Path(router_ca).read_text()}},
        "/api/v1/namespaces/rag-prod/serviceaccounts/caikit-migration": {"metadata": {}},
    }, token)


@pytest.fixture
def fake_cluster(monkeypatch):
    """Install a fake cluster as the client every module gets; records the kubernetes settings it was asked for."""
    installed = {}

    def install(cluster):
        def client(module, settings=None):
            installed["settings"] = settings
            installed["tmpdir"] = module.tmpdir
            return cluster
        monkeypatch.setattr(module_args_utils, "kubernetes_client", client)
        return cluster
    return installed, install


def bearer(server, model=None):
    """The Authorization headers the server received (for one request model when given)."""
    return {request["headers"].get("Authorization") for request in server.requests
            if model is None or (request["json"] or {}).get("model") == model}


def assert_no_token(result):
    text = json.dumps(result)
    for token in (LOGIN_TOKEN, REFERENCE_TOKEN, CANDIDATE_TOKEN):
        assert token not in text


def test_each_endpoint_gets_its_own_token_and_ca_from_the_cluster(behind_two_cas, run_main, fake_cluster, tmp_path):
    installed, install = fake_cluster
    candidate, router_ca, reference, service_ca = behind_two_cas(serve)
    cluster = install(cluster_with(router_ca, service_ca))
    args = module_args(candidate, reference_url=reference.url, _ansible_remote_tmp=str(tmp_path),
                       candidate_api_key_from={"login": True}, candidate_ca_from={"ingress": True},
                       reference_api_key_from={"secret": "rag-prod/caikit-token"},
                       reference_ca_from={"configmap": "rag-prod/openshift-service-ca.crt"},
                       kubernetes={"context": "rag-admin"})
    result = run_main(embedding_check.main, args)
    assert result["passed"] is True, result.get("msg")
    assert bearer(candidate) == {"Bearer " + LOGIN_TOKEN} and bearer(reference) == {"Bearer " + REFERENCE_TOKEN}
    assert_no_token(result)
    assert installed["settings"]["context"] == "rag-admin"
    assert sorted(cluster.calls) == [
        ("get", "/api/v1/namespaces/openshift-config-managed/configmaps/default-ingress-cert"),
        ("get", "/api/v1/namespaces/rag-prod/configmaps/openshift-service-ca.crt"),
        ("get", "/api/v1/namespaces/rag-prod/secrets/caikit-token")]
    # each CA in a private file of the module's temporary directory (removed when the module process exits)
    files = sorted(os.listdir(installed["tmpdir"]))
    assert files == ["candidate-ca.pem", "reference-ca.pem"]
    for name in files:
        assert stat.S_IMODE(os.stat(os.path.join(installed["tmpdir"], name)).st_mode) == 0o600


def test_the_candidate_ca_is_not_the_references(behind_two_cas, run_main, fake_cluster, tmp_path):
    """candidate_ca_from gives the candidate its CA; the reference without one is not verified against it."""
    install = fake_cluster[1]
    candidate, router_ca, reference, service_ca = behind_two_cas(serve)
    install(cluster_with(router_ca, service_ca))
    result = run_main(embedding_check.main, module_args(candidate, reference_url=reference.url,
                                                        _ansible_remote_tmp=str(tmp_path),
                                                        candidate_ca_from={"ingress": True}))
    assert result["failed"] is True and result["error"]["endpoint"].startswith(reference.url), result["msg"]
    assert candidate.requests and not reference.requests


def test_an_explicit_key_wins_then_the_cluster_then_the_environment(scripted_server, run_main, fake_cluster, monkeypatch):
    install = fake_cluster[1]
    serve(scripted_server)
    cluster = install(FakeCluster({"/api/v1/namespaces/rag-prod/secrets/caikit-token": {
        "data": {"token": b64(REFERENCE_TOKEN)}},
        "/api/v1/namespaces/rag-prod/secrets/vllm-minilm-api-key": {"data": {"api-key": b64(CANDIDATE_TOKEN)}}}))
    monkeypatch.setenv("CAIKIT_TOKEN", "from-the-environment")
    monkeypatch.setenv("VLLM_API_KEY", "vllm-from-the-environment")
    spec = {"reference_api_key_from": {"secret": "rag-prod/caikit-token"}, "reference_api_key_env": "CAIKIT_TOKEN",
            "candidate_api_key_from": {"secret": "rag-prod/vllm-minilm-api-key", "key": "api-key"}}
    from_cluster = run_main(embedding_check.main, module_args(scripted_server, check_retrieval=False, **spec))
    assert from_cluster["passed"] is True, from_cluster.get("msg")
    assert bearer(scripted_server, "same") == {"Bearer " + REFERENCE_TOKEN}  # over reference_api_key_env
    assert bearer(scripted_server, "minilm") == {"Bearer " + CANDIDATE_TOKEN}  # over VLLM_API_KEY
    assert_no_token(from_cluster)
    scripted_server.requests.clear()
    cluster.calls.clear()
    given = run_main(embedding_check.main, module_args(scripted_server, check_retrieval=False, reference_api_key="given",
                                                       candidate_api_key="given-vllm", **spec))
    assert given["passed"] is True
    assert bearer(scripted_server, "same") == {"Bearer given"} and bearer(scripted_server, "minilm") == {"Bearer given-vllm"}
    assert cluster.calls == []  # a given key is not looked up


def test_without_these_options_no_cluster_is_asked(scripted_server, run_main, monkeypatch):
    def no_cluster(*_args, **_kwargs):
        raise AssertionError("the check asked for a Kubernetes client")
    monkeypatch.setattr(module_args_utils, "kubernetes_client", no_cluster)
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    serve(scripted_server)
    result = run_main(embedding_check.main, module_args(scripted_server, check_retrieval=False))
    assert result["passed"] is True, result.get("msg")


@pytest.mark.parametrize("extra, words", [
    ({"reference_api_key_from": {"secret": "rag-prod/missing"}},
     ["reference of model 'minilm': Secret rag-prod/missing was not found (404)", "oc create secret generic missing"]),
    ({"candidate_ca_from": {"configmap": "rag-prod/openshift-service-ca.crt", "key": "ca.crt"}},
     ["candidate of model 'minilm': ConfigMap rag-prod/openshift-service-ca.crt has no key 'ca.crt'"]),
    ({"candidate_api_key_from": {"login": True}}, ["candidate of model 'minilm'", "login has no bearer token"]),
    ({"reference_api_key_from": {"service_account": "rag-prod/ghost"}},
     ["ServiceAccount rag-prod/ghost was not found", "oc create serviceaccount ghost"]),
    ({"reference_api_key_from": {"secret": "a/b", "login": True}},
     ["invalid arguments: reference_api_key_from needs exactly one of secret, service_account or login"]),
    ({"reference_ca_from": {}}, ["reference_ca_from needs exactly one of configmap, secret or ingress"]),
])
def test_failures_are_one_line_and_name_the_endpoint(scripted_server, run_main, fake_cluster, tmp_path, extra, words):
    install = fake_cluster[1]
    serve(scripted_server)
    install(cluster_with(__file__, __file__, token=None))
    result = run_main(embedding_check.main, module_args(scripted_server, _ansible_remote_tmp=str(tmp_path), **extra))
    assert result["failed"] is True and "exception" not in result and "\n" not in result["msg"]
    assert all(word in result["msg"] for word in words), result["msg"]
    assert scripted_server.requests == []  # nothing was sent before the credentials were read


def test_a_ca_is_a_file_or_read_from_the_cluster_not_both(scripted_server, run_main):
    result = run_main(embedding_check.main, module_args(scripted_server, ca_path="/etc/ca.pem",
                                                        candidate_ca_from={"ingress": True}))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert "ca_path" in result["msg"] and "candidate_ca_from" in result["msg"]
    result = run_main(embedding_check.main, module_args(scripted_server, reference_ca_path="/etc/ca.pem",
                                                        reference_ca_from={"ingress": True}))
    assert result["failed"] is True and "reference_ca_from" in result["msg"]


def test_score_check_reads_the_references_token_request(behind_two_cas, run_main, fake_cluster, tmp_path):
    install = fake_cluster[1]
    candidate, router_ca, reference, service_ca = behind_two_cas(serve_scores)
    cluster = install(cluster_with(router_ca, service_ca))
    args = score_args(candidate, reference_url=reference.url, check_long_inputs=False, check_retrieval=False,
                      _ansible_remote_tmp=str(tmp_path), ca_path=router_ca,
                      reference_api_key_from={"service_account": "rag-prod/caikit-migration", "expiration_seconds": 900},
                      reference_ca_from={"configmap": "rag-prod/openshift-service-ca.crt"})
    result = run_main(score_check.main, args)
    assert "passed" in result, result.get("msg")
    assert bearer(reference) == {"Bearer " + REFERENCE_TOKEN + "-requested"}
    assert ("post", "/api/v1/namespaces/rag-prod/serviceaccounts/caikit-migration/token") in cluster.calls
    assert REFERENCE_TOKEN not in json.dumps(result)


def test_client_check_takes_the_candidates_token_from_a_secret(scripted_server, run_main, fake_cluster):
    install = fake_cluster[1]
    serve_scores(scripted_server)
    install(cluster_with(__file__, __file__))
    result = run_main(client_check.main, dict(
        model="bert", kind="reranker", candidate_url=scripted_server.url, candidate_model="bert", clients=["score"],
        candidate_api_key_from={"secret": "rag-prod/vllm-minilm-api-key", "key": "api-key"}))
    assert bearer(scripted_server) == {"Bearer " + CANDIDATE_TOKEN}, result
    assert CANDIDATE_TOKEN not in json.dumps(result)


def test_serving_benchmark_targets_take_each_endpoints_own_ca_and_token(monkeypatch, tmp_path):
    """serving_benchmark hands the credentials read from the cluster to its load generator's targets."""
    from ansible_collections.vllm_pooling.migration.plugins.modules import serving_benchmark

    class Module(object):
        def __init__(self, params):
            self.params, self.no_log_values, self.tmpdir = params, set(), str(tmp_path)

        def warn(self, _message):
            pass

        def fail_json(self, **result):
            raise AssertionError(result)

    router_ca, service_ca = tmp_path / "router.pem", tmp_path / "service.pem"
    pem = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"
    router_ca.write_text(pem)
    service_ca.write_text(pem)
    monkeypatch.setattr(module_args_utils, "kubernetes_client",
                        lambda module, settings=None: cluster_with(str(router_ca), str(service_ca)))
    params = dict(model="minilm", candidate_url="https://vllm.example.com", candidate_model="minilm",
                  candidate_api_key=None, reference_type="caikit", reference_url="https://caikit.example.com",
                  reference_model="all-minilm-l6-v2", reference_api_key=None, reference_api_key_env=None,
                  reference_ca_path=None, validate_certs=True, ca_path=None, kubernetes=None,
                  candidate_api_key_from=None, candidate_ca_from={"ingress": True},
                  reference_api_key_from={"secret": "rag-prod/caikit-token", "key": "token"}, reference_ca_from=None)
    module = Module(params)
    module_args_utils.apply_cluster_credentials(module)
    candidate, reference = serving_benchmark._targets(module)  # pylint: disable=protected-access
    assert candidate.ca_path == os.path.join(str(tmp_path), "candidate-ca.pem") and reference.ca_path is None
    assert reference.headers["Authorization"] == "Bearer " + REFERENCE_TOKEN and "Authorization" not in candidate.headers
    assert REFERENCE_TOKEN not in json.dumps(reference.describe())
    assert module.no_log_values == {REFERENCE_TOKEN}
