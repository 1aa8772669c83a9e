# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The verify role with each endpoint's token and CA read from an emulated OpenShift (scenario
``check_credentials``, credentials_scenarios.py): a Secret, a ServiceAccount's TokenRequest, the service CA and
the ingress CA, through the real ansible-playbook, embedding_check and score_check, over HTTPS.

It proves the wiring (role variables and reference fields to the modules, the modules to the API, each token and CA
to its own endpoint), the messages and that no token reaches the output. It does not prove that a real API server
issues such a token (the emulated TokenRequest's token is not a JWT), nor RBAC: every read is allowed here.
"""

from __future__ import annotations

from credentials_scenarios import ACCOUNT, ACCOUNT_TOKEN, CANDIDATE_KEY, NS, REFERENCE_TOKEN, TOKENS, results


def ok(step):
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def test_each_endpoint_is_verified_with_its_own_token_and_ca(check_credentials):
    ok(check_credentials.step("verify"))
    verified = results(check_credentials, "verify")
    assert {key: record["status"] for key, record in verified.items()} == {"minilm": "passed", "msmarco": "passed"}, \
        {key: record.get("reason") for key, record in verified.items()}
    requests = check_credentials.step("verify_requests")
    candidate, reference = requests["candidate_requests"], requests["reference_requests"]
    assert candidate and reference
    assert {r["authorization"] for r in candidate} == {"Bearer " + CANDIDATE_KEY}
    # minilm's reference got the Secret's token, msmarco's the ServiceAccount's requested one
    assert {r["authorization"] for r in reference if r["path"].startswith("/embeddings/")} == {"Bearer " + REFERENCE_TOKEN}
    assert {r["authorization"] for r in reference if r["path"].startswith("/rerank/")} == {"Bearer " + ACCOUNT_TOKEN}


def test_the_checks_read_the_cluster_and_write_nothing(check_credentials):
    step = ok(check_credentials.step("verify"))
    assert step["writes"] == []
    seen = set(step["requests"])
    assert ("POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (NS, ACCOUNT)) in seen
    assert ("GET", "/api/v1/namespaces/%s/secrets/caikit-token" % NS) in seen
    assert ("GET", "/api/v1/namespaces/%s/secrets/vllm-api-key" % NS) in seen
    assert ("GET", "/api/v1/namespaces/%s/configmaps/openshift-service-ca.crt" % NS) in seen
    assert ("GET", "/api/v1/namespaces/openshift-config-managed/configmaps/default-ingress-cert") in seen


def test_no_token_appears_in_the_output_or_the_results(check_credentials):
    for step in ("verify", "missing"):
        run = check_credentials.step(step)["run"]
        text = run.stdout + run.stderr + str(results(check_credentials, step))
        for token in TOKENS:
            assert token not in text, (step, token)


def test_a_missing_secret_is_an_error_of_that_model_naming_the_reference_and_the_secret(check_credentials):
    ok(check_credentials.step("missing"))
    recorded = results(check_credentials, "missing")
    assert recorded["msmarco"]["status"] == "passed"
    minilm = recorded["minilm"]
    assert minilm["status"] == "error", minilm
    assert minilm["reason"].startswith("reference of model 'minilm': Secret %s/gone was not found (404)" % NS)
    assert "oc create secret generic gone" in minilm["reason"] and "\n" not in minilm["reason"]
    # nothing was sent to minilm's reference without its token
    requests = check_credentials.step("missing_requests")["reference_requests"]
    assert not [r for r in requests if r["path"].startswith("/embeddings/")]
