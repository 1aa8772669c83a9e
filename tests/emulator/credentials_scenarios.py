# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario ``check_credentials`` (issue 20): the verify role's checks read each endpoint's token and CA from the
cluster, the way OpenShift hands them out (``*_api_key_from``, ``*_ca_from``; module_utils/cluster_credentials.py).

Two stand-ins over HTTPS, each behind a private CA of its own: the candidates (vLLM's OpenAI API, as the
"router" would serve it) and the references (Caikit's task API, as a predictor's Service signed by the "service
CA"). Both want a bearer token. The emulator holds what the platform would: the vLLM key's Secret, the reference
token's Secret, a ServiceAccount (TokenRequest, emulated in kube_emulator.py), the per-namespace service CA
ConfigMap and OpenShift's ingress CA ConfigMap.

Steps: ``verify`` (minilm's reference with a token from a Secret, msmarco's from a TokenRequest, both with the
service CA; the candidates with their key's Secret and the ingress CA), ``missing`` (minilm's reference names a
Secret that does not exist: its result is an error naming it, msmarco still passes).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from discovery_scenarios import caikit_answer, vllm_answer
from harness import role_playbook
from kube_emulator import service_account_token
from local_http import LocalJsonServer
from oauth_standin import private_ca_tls
from scenarios import namespace, scenario

NS = "rag-prod"
CANDIDATE_KEY = "emulator-vllm-key-from-its-secret"
REFERENCE_TOKEN = "sha256~emulator-reference-token-in-a-secret"
ACCOUNT = "caikit-migration"
ACCOUNT_TOKEN = service_account_token(NS, ACCOUNT, (), 600)  # what the emulated TokenRequest issues
TOKENS = (CANDIDATE_KEY, REFERENCE_TOKEN, ACCOUNT_TOKEN)

PLAYBOOK = role_playbook("Verify with credentials read from the cluster", "verify", "verify_results")


class TlsStandin(LocalJsonServer):
    """``answer(path, body)`` served over HTTPS with a certificate of a fresh private CA; every request's model and
    Authorization header recorded; a request without one of ``tokens`` is refused with 401."""

    def __init__(self, answer, tokens):
        context, self.ca_file = private_ca_tls()
        self.requests = []
        self._answer = answer
        self._authorizations = {"Bearer " + token for token in tokens}
        super().__init__(self._route, tls_context=context)

    def _route(self, method, path, headers, raw):
        body = json.loads(raw or b"{}") if method == "POST" else None
        authorization = headers.get("Authorization") or ""
        self.requests.append({"path": path, "authorization": authorization,
                              "model": (body or {}).get("model_id") or (body or {}).get("model")})
        if authorization not in self._authorizations:
            return 401, {"error": {"message": "Unauthorized"}}
        return self._answer(path, body)


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def seed(sc, router_ca, service_ca):
    """What the platform holds: namespaces, the two Secrets, the ServiceAccount and the two CA ConfigMaps."""
    for name in (NS, "openshift-config-managed"):
        sc.emulator.create("/api/v1/namespaces", namespace(name))
    objects = [
        ("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "vllm-api-key", "namespace": NS},
                     "type": "Opaque", "data": {"api-key": _b64(CANDIDATE_KEY)}}),
        ("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "caikit-token", "namespace": NS},
                     "type": "Opaque", "data": {"token": _b64(REFERENCE_TOKEN)}}),
        ("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                             "metadata": {"name": ACCOUNT, "namespace": NS}}),
        ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "openshift-service-ca.crt", "namespace": NS},
                        "data": {"service-ca.crt": Path(service_ca).read_text()}}),
        ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "default-ingress-cert", "namespace": "openshift-config-managed"},
                        "data": {"ca-bundle.crt": Path(router_ca).read_text()}}),
    ]
    for plural, obj in objects:
        sc.emulator.create("/api/v1/namespaces/%s/%s" % (obj["metadata"]["namespace"], plural), obj)


def verify_vars(sc, step, candidates, references, minilm_secret="caikit-token"):
    service_ca = {"configmap": "%s/openshift-service-ca.crt" % NS}
    return {
        "verify_models": ["minilm", "msmarco"],
        "verify_candidates": {key: {"status": "ready", "url": candidates.url + "/vllm", "served_name": key}
                              for key in ("minilm", "msmarco")},
        "verify_references": {
            "minilm": {"type": "caikit", "url": references.url + "/embeddings", "model": "all-minilm-l6-v2",
                       "api_key_from": {"secret": "%s/%s" % (NS, minilm_secret)}, "ca_from": service_ca},
            "msmarco": {"type": "caikit", "url": references.url + "/rerank", "model": "ms-marco-minilm-l12-v2",
                        "api_key_from": {"service_account": "%s/%s" % (NS, ACCOUNT)}, "ca_from": service_ca},
        },
        "verify_candidate_api_key_from": {"secret": "%s/vllm-api-key" % NS, "key": "api-key"},
        "verify_candidate_ca_from": {"ingress": True},
        "verify_retrieval": False,
        "verify_clients": False,
        "emulator_results_file": str(sc.workdir / ("results-%s.json" % step)),
    }


@scenario()
def check_credentials(sc):
    (sc.workdir / "verify.yml").write_text(PLAYBOOK)
    with TlsStandin(lambda path, body: vllm_answer(path[len("/vllm"):], body), (CANDIDATE_KEY,)) as candidates, \
            TlsStandin(caikit_answer, (REFERENCE_TOKEN, ACCOUNT_TOKEN)) as references:
        seed(sc, candidates.ca_file, references.ca_file)
        sc.record("seeded")
        sc.playbook("verify", "verify.yml", verify_vars(sc, "verify", candidates, references))
        sc.record("verify_requests", candidate_requests=list(candidates.requests),
                  reference_requests=list(references.requests))
        candidates.requests.clear()
        references.requests.clear()
        sc.playbook("missing", "verify.yml", verify_vars(sc, "missing", candidates, references, minilm_secret="gone"))
        sc.record("missing_requests", candidate_requests=list(candidates.requests),
                  reference_requests=list(references.requests))


def results(sc, step):
    path = Path(sc.workdir) / ("results-%s.json" % step)
    return json.loads(path.read_text()) if path.exists() else None
