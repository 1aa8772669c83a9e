# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""cluster_credentials against a fake kubernetes.core client: every kind of token and CA spec, and every failure
as one line naming the endpoint, the object and the fix, never the token."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_credentials as cc

TOKEN = "sha256~s3cr3t-token-value"
PEM = "-----BEGIN CERTIFICATE-----\n%s\n%s\n-----END CERTIFICATE-----\n" % (
    base64.b64encode(b"a DER certificate would be here" * 2)[:64].decode(), base64.b64encode(b"tail").decode())
ENDPOINT = "reference of model 'msmarco'"


class ApiError(Exception):
    def __init__(self, status, reason):
        super(ApiError, self).__init__("(%s) %s: body echoes %s" % (status, reason, TOKEN))
        self.status, self.reason = status, reason


class Configuration(object):
    def __init__(self, api_key=None):
        self.api_key = api_key or {}


class Dynamic(object):
    """``client.client.request(method, path, body=)`` over objects by path; ``fail`` maps a path to an error."""

    def __init__(self, objects, fail):
        self.objects, self.fail, self.calls = objects, fail, []

    def request(self, method, path, body=None):
        self.calls.append((method, path, body))
        if path in self.fail:
            raise self.fail[path]
        if method == "post" and path.endswith("/token"):
            account = path.rsplit("/", 1)[0]
            if account not in self.objects:
                raise ApiError(404, "Not Found")
            return {"kind": "TokenRequest", "spec": body["spec"], "status": {"token": TOKEN + "-requested"}}
        if path not in self.objects:
            raise ApiError(404, "Not Found")
        return self.objects[path]


class FakeClient(object):
    def __init__(self, objects=None, fail=None, api_key=None):
        self.client = Dynamic(objects or {}, fail or {})
        self.configuration = Configuration(api_key)


def b64(text):
    return base64.b64encode(text.encode()).decode()


SECRET = "/api/v1/namespaces/rag-prod/secrets/caikit-token"
SERVICE_CA = "/api/v1/namespaces/rag-prod/configmaps/openshift-service-ca.crt"
INGRESS = "/api/v1/namespaces/openshift-config-managed/configmaps/default-ingress-cert"
ACCOUNT = "/api/v1/namespaces/rag-prod/serviceaccounts/caikit-migration"


def cluster(**fail):
    objects = {
        SECRET: {"data": {"token": b64(TOKEN + "\n"), "other": b64("x"), "empty": ""}},
        "/api/v1/namespaces/rag-prod/secrets/tls": {"data": {"ca.crt": b64(PEM), "tls.crt": b64("not a cert")}},
        SERVICE_CA: {"data": {"service-ca.crt": PEM, "junk": "hello"}},
        INGRESS: {"data": {"ca-bundle.crt": PEM + PEM}},
        ACCOUNT: {"metadata": {"name": "caikit-migration"}},
    }
    return FakeClient(objects, dict(fail))


def failure(call, *args):
    with pytest.raises(cc.CredentialError) as raised:
        call(*args)
    message = str(raised.value)
    assert "\n" not in message and TOKEN not in message and "Traceback" not in message
    assert message.startswith(ENDPOINT + ": ")
    return message


# --- tokens -----------------------------------------------------------------------------------------------------


def test_a_secret_token_is_decoded_and_stripped():
    client = cluster()
    assert cc.resolve_token(client, {"secret": "rag-prod/caikit-token"}, ENDPOINT) == TOKEN
    assert cc.resolve_token(client, {"secret": "rag-prod/caikit-token", "key": "other"}, ENDPOINT) == "x"
    assert client.client.calls == [("get", SECRET, None)] * 2


def test_a_service_account_token_is_a_token_request_with_its_audience_and_lifetime():
    client = cluster()
    token = cc.resolve_token(client, {"service_account": "rag-prod/caikit-migration", "audience": "https://kserve",
                                      "expiration_seconds": 1800}, ENDPOINT)
    assert token == TOKEN + "-requested"
    ((method, path, body),) = client.client.calls
    assert (method, path) == ("post", ACCOUNT + "/token")
    assert body == {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "spec": {"expirationSeconds": 1800, "audiences": ["https://kserve"]}}
    cc.resolve_token(client, {"service_account": "rag-prod/caikit-migration"}, ENDPOINT)
    assert client.client.calls[-1][2]["spec"] == {"expirationSeconds": 600}  # default lifetime, the API's audience


@pytest.mark.parametrize("api_key, token", [({"authorization": "Bearer " + TOKEN}, TOKEN),
                                            ({"authorization": TOKEN}, TOKEN), ({"BearerToken": "Bearer t2"}, "t2")])
def test_the_login_token_is_the_clients_own(api_key, token):
    client = FakeClient(api_key=api_key)
    assert cc.resolve_token(client, {"login": True}, ENDPOINT) == token
    assert client.client.calls == []  # nothing asked of the API


def test_a_login_without_a_token_says_so():
    message = failure(cc.resolve_token, FakeClient(api_key={}), {"login": True}, ENDPOINT)
    assert "no bearer token" in message and "client-certificate" in message and "oc login --token" in message


def test_a_missing_secret_names_it_and_how_to_create_it():
    message = failure(cc.resolve_token, cluster(), {"secret": "rag-prod/nope"}, ENDPOINT)
    assert "Secret rag-prod/nope was not found (404)" in message
    assert "oc create secret generic nope -n rag-prod --from-literal=token=<token>" in message


def test_a_forbidden_secret_names_the_verb_and_resource_the_login_lacks():
    message = failure(cc.resolve_token, cluster(**{SECRET: ApiError(403, "Forbidden")}),
                      {"secret": "rag-prod/caikit-token"}, ENDPOINT)
    assert "may not get secrets in namespace rag-prod (403 Forbidden)" in message
    assert "Secret rag-prod/caikit-token" in message and "--verb=get --resource=secrets -n rag-prod" in message


@pytest.mark.parametrize("key, words", [("missing", ["has no key 'missing'", "its keys: empty, other, token"]),
                                        ("empty", ["key 'empty' is empty"])])
def test_a_missing_or_empty_key_is_named_with_the_keys_there_are(key, words):
    message = failure(cc.resolve_token, cluster(), {"secret": "rag-prod/caikit-token", "key": key}, ENDPOINT)
    assert all(word in message for word in words) and "api_key_from.key" in message


def test_a_value_that_is_not_base64_is_named():
    client = FakeClient({SECRET: {"data": {"token": "not base64!"}}})
    assert "not base64-encoded" in failure(cc.resolve_token, client, {"secret": "rag-prod/caikit-token"}, ENDPOINT)


def test_a_missing_service_account_and_a_refused_token_request():
    message = failure(cc.resolve_token, cluster(), {"service_account": "rag-prod/ghost"}, ENDPOINT)
    assert "ServiceAccount rag-prod/ghost was not found (404)" in message and "oc create serviceaccount ghost" in message
    forbidden = cluster(**{ACCOUNT + "/token": ApiError(403, "Forbidden")})
    message = failure(cc.resolve_token, forbidden, {"service_account": "rag-prod/caikit-migration"}, ENDPOINT)
    assert "may not create serviceaccounts/token in namespace rag-prod" in message
    refused = cluster(**{ACCOUNT + "/token": ApiError(422, "Unprocessable Entity")})
    message = failure(cc.resolve_token, refused, {"service_account": "rag-prod/caikit-migration",
                                                  "audience": "x"}, ENDPOINT)
    assert "refused the TokenRequest for ServiceAccount rag-prod/caikit-migration (HTTP 422" in message
    assert "audience" in message


def test_a_token_request_answered_without_a_token():
    client = cluster()
    client.client.request = lambda *args, **kwargs: {"status": {}}
    message = failure(cc.resolve_token, client, {"service_account": "rag-prod/caikit-migration"}, ENDPOINT)
    assert "answered without a token" in message


def test_unauthorized_unreachable_and_other_answers_are_one_line():
    assert "refused the login (401 Unauthorized)" in failure(
        cc.resolve_token, cluster(**{SECRET: ApiError(401, "Unauthorized")}), {"secret": "rag-prod/caikit-token"},
        ENDPOINT)
    assert "could not reach the API server" in failure(
        cc.resolve_token, cluster(**{SECRET: ConnectionError("refused " + TOKEN)}), {"secret": "rag-prod/caikit-token"},
        ENDPOINT)
    assert "HTTP 500" in failure(cc.resolve_token, cluster(**{SECRET: ApiError(500, "Internal")}),
                                 {"secret": "rag-prod/caikit-token"}, ENDPOINT)


@pytest.mark.parametrize("ref", ["caikit-token", "a/b/c", "/x"])
def test_an_object_that_is_not_namespace_slash_name(ref):
    message = failure(cc.resolve_token, cluster(), {"secret": ref}, ENDPOINT)
    assert "is not NAMESPACE/NAME" in message and "api_key_from.secret" in message


@pytest.mark.parametrize("spec, problem", [
    ({}, "exactly one of secret, service_account or login"),
    ({"secret": "a/b", "login": True}, "exactly one of"),
    ({"login": False}, "exactly one of"),
    ({"service_account": "a/b", "expiration_seconds": 60}, "accepts 600 or more"),
])
def test_token_spec_problems(spec, problem):
    assert problem in cc.token_spec_problem(spec, "reference_api_key_from")
    assert cc.token_spec_problem({"secret": "a/b", "key": "token", "expiration_seconds": 600},
                                 "reference_api_key_from") is None


def test_resolving_refuses_what_the_spec_checks_refuse_before_any_request():
    # every caller gets the same check (the benchmark Job reads a reference's api_key_from without the checks' argspec)
    client = cluster()
    token = failure(cc.resolve_token, client, {"secret": "rag-prod/caikit-token", "login": True}, ENDPOINT)
    assert token == ENDPOINT + ": api_key_from needs exactly one of secret, service_account or login: true"
    short = failure(cc.resolve_token, client, {"service_account": "rag-prod/caikit-migration", "expiration_seconds": 60},
                    ENDPOINT)
    assert "accepts 600 or more" in short
    ca = failure(cc.resolve_ca, client, {"configmap": "rag-prod/openshift-service-ca.crt", "ingress": True}, ENDPOINT)
    assert ca == ENDPOINT + ": ca_from needs exactly one of configmap, secret or ingress: true"
    assert client.client.calls == []


def test_ca_spec_problems():
    assert "exactly one of configmap, secret or ingress" in cc.ca_spec_problem({}, "candidate_ca_from")
    assert "exactly one of" in cc.ca_spec_problem({"configmap": "a/b", "ingress": True}, "candidate_ca_from")
    assert cc.ca_spec_problem({"ingress": True}, "candidate_ca_from") is None


# --- CAs ---------------------------------------------------------------------------------------------------------


def test_the_service_ca_configmap_with_its_default_key():
    assert cc.resolve_ca(cluster(), {"configmap": "rag-prod/openshift-service-ca.crt"}, ENDPOINT) == PEM


def test_a_secret_ca_is_decoded_with_its_default_key():
    assert cc.resolve_ca(cluster(), {"secret": "rag-prod/tls"}, ENDPOINT) == PEM


def test_the_ingress_ca_is_openshifts_published_bundle():
    client = cluster()
    assert cc.pem_certificates(cc.resolve_ca(client, {"ingress": True}, ENDPOINT)) == 2
    assert client.client.calls == [("get", INGRESS, None)]


def test_no_ingress_ca_on_a_cluster_that_is_not_openshift():
    message = failure(cc.resolve_ca, FakeClient(), {"ingress": True}, ENDPOINT)
    assert "ConfigMap openshift-config-managed/default-ingress-cert (the OpenShift ingress CA) was not found" in message


@pytest.mark.parametrize("spec, words", [
    ({"configmap": "rag-prod/openshift-service-ca.crt", "key": "junk"}, ["does not hold a PEM certificate", "'junk'"]),
    ({"secret": "rag-prod/tls", "key": "tls.crt"}, ["does not hold a PEM certificate"]),
    ({"configmap": "rag-prod/openshift-service-ca.crt", "key": "ca.crt"}, ["has no key 'ca.crt'", "ca_from.key"]),
    ({"configmap": "rag-prod/missing"}, ["ConfigMap rag-prod/missing was not found", "openshift-service-ca.crt"]),
])
def test_ca_failures(spec, words):
    message = failure(cc.resolve_ca, cluster(), spec, ENDPOINT)
    assert all(word in message for word in words), message


def test_a_forbidden_configmap():
    message = failure(cc.resolve_ca, cluster(**{SERVICE_CA: ApiError(403, "Forbidden")}),
                      {"configmap": "rag-prod/openshift-service-ca.crt"}, ENDPOINT)
    assert "may not get configmaps in namespace rag-prod" in message


def test_pem_certificates_counts_well_formed_blocks_only():
    assert cc.pem_certificates(PEM) == 1 and cc.pem_certificates("hello") == 0
    assert cc.pem_certificates("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----") == 0


def test_the_ca_file_is_private_and_one_per_endpoint(tmp_path):
    token, path = cc.resolve_endpoint(cluster(), "reference", "msmarco", {"secret": "rag-prod/caikit-token"},
                                      {"configmap": "rag-prod/openshift-service-ca.crt"}, str(tmp_path))
    assert token == TOKEN and open(path).read() == PEM
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and os.path.dirname(path) == str(tmp_path)
    candidate_path = cc.resolve_endpoint(cluster(), "candidate", "msmarco", None, {"ingress": True}, str(tmp_path))[1]
    assert candidate_path != path and cc.pem_certificates(open(candidate_path).read()) == 2
    assert cc.resolve_endpoint(cluster(), "candidate", "msmarco") == (None, None)


def test_the_endpoint_is_named_by_side_and_model():
    assert cc.endpoint_name("candidate", "minilm") == "candidate of model 'minilm'"
    with pytest.raises(cc.CredentialError) as raised:
        cc.resolve_endpoint(cluster(), "candidate", "minilm", {"secret": "rag-prod/nope"})
    assert str(raised.value).startswith("candidate of model 'minilm': Secret rag-prod/nope")


def test_a_username_password_login_becomes_the_checks_kubernetes_option():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_credentials import login_kubernetes

    auth = {"host": "https://api.example.com:6443", "api_key": "sha256~login", "validate_certs": True, "ca_cert": "",
            "username": "developer"}
    assert login_kubernetes(auth) == {"host": "https://api.example.com:6443", "api_key": "sha256~login",
                                      "validate_certs": True}
    # without a login (the registered task was skipped): nothing, so the kubeconfig applies
    assert login_kubernetes({}) == {} and login_kubernetes(None) == {}
    assert login_kubernetes({"validate_certs": False}) == {"validate_certs": False}
