# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The OpenShift username/password login of the cluster playbooks (scenario ``openshift_login``).

The real playbooks/verify.yml and cleanup_cluster.yml run with the environment the AWX credential type injects
(K8S_AUTH_HOST, K8S_AUTH_VERIFY_SSL, VLLM_MIGRATION_OPENSHIFT_USERNAME / _PASSWORD) against the OAuth stand-in
(oauth_standin.py), which refuses the kubeconfig's token. Its limits are in its docstring: it proves the
wiring, not OpenShift's OAuth server.
"""

from __future__ import annotations

import json

from credentials_scenarios import REFERENCE_TOKEN
from harness import NAMESPACE
from oauth_standin import PASSWORD
from report_scenarios import WRONG_PASSWORD


def _new_api_requests(login, step, previous):
    """The API requests (method, path, credential) made between two recorded states."""
    done = login.step(previous)["oauth"]["api"] if previous else []
    return [tuple(entry) for entry in login.step(step)["oauth"]["api"][len(done):]]


def _playbook_requests(requests):
    return [r for r in requests if r[2] != "test"]


def test_without_a_login_the_expired_kubeconfig_token_is_refused(openshift_login):
    """The control: the stand-in really refuses what a playbook sends without the login."""
    run = openshift_login.step("no_login")["run"]
    assert run.returncode != 0
    requests = _playbook_requests(_new_api_requests(openshift_login, "no_login_oauth", None))
    assert requests and {r[2] for r in requests} == {"refused"}, requests


def test_certificates_are_verified_by_default(openshift_login):
    """Without the private CA (K8S_AUTH_SSL_CA_CERT) the login fails on the certificate, before any request."""
    step = openshift_login.step("untrusted")
    assert step["run"].returncode != 0
    failed = " ".join(result.get("msg", "") for _name, result in step["run"].tasks() if result.get("failed"))
    assert "CERTIFICATE_VERIFY_FAILED" in failed or "certificate verify failed" in failed, failed
    state = openshift_login.step("untrusted_oauth")["oauth"]
    assert state["oauth"] == [] and state["tokens"] == []
    assert _playbook_requests(_new_api_requests(openshift_login, "untrusted_oauth", "no_login_oauth")) == []


def test_a_wrong_password_fails_before_any_api_request_and_never_shows(openshift_login):
    step = openshift_login.step("wrong_password")
    run = step["run"]
    assert run.returncode != 0
    failed = [result.get("msg", "") for _name, result in run.tasks() if result.get("failed")]
    assert any("Logging in to OpenShift at https://127.0.0.1" in m and "as developer failed: Authorization failed."
               in m and "HTTP 401 from /oauth/authorize" in m for m in failed), failed
    assert _playbook_requests(_new_api_requests(openshift_login, "wrong_password_oauth", "untrusted_oauth")) == []
    assert openshift_login.step("wrong_password_oauth")["oauth"]["oauth"][-1] == "authorize: refused developer"
    assert step["writes"] == []
    assert WRONG_PASSWORD not in run.stdout + run.stderr


def test_verify_logs_in_sends_the_token_on_every_request_and_revokes_it(openshift_login):
    step = openshift_login.step("verify")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    state = openshift_login.step("verify_oauth")["oauth"]
    requests = _playbook_requests(_new_api_requests(openshift_login, "verify_oauth", "wrong_password_oauth"))
    (token,) = [t for t in state["tokens"] if "token-%d" % t["number"] in {r[2] for r in requests}]
    assert {r[2] for r in requests} == {"token-%d" % token["number"]}, requests
    assert token["user"] == "developer" and token["revoked"] is True
    assert ("PATCH", "/api/v1/namespaces/%s/configmaps/vllm-migration-report" % NAMESPACE,
            "token-%d" % token["number"]) in requests
    assert state["oauth"][-1] == "revoke: %d" % token["number"]
    assert ("vllm-emu", "vllm-migration-report") in step["objects"]["ConfigMap"]
    assert PASSWORD not in run.stdout + run.stderr


def test_check_mode_logs_in_too_and_revokes_the_token(openshift_login):
    step = openshift_login.step("verify_check")
    assert step["run"].returncode == 0, step["run"].describe()
    state = openshift_login.step("verify_check_oauth")["oauth"]
    assert all(t["revoked"] for t in state["tokens"]), state["tokens"]
    requests = _playbook_requests(_new_api_requests(openshift_login, "verify_check_oauth", "verify_oauth"))
    assert requests and all(r[2].startswith("token-") for r in requests), requests
    assert step["writes"] and all(w.dry_run for w in step["writes"]), step["writes"]


def test_cleanup_logs_in_and_removes_what_the_collection_made(openshift_login):
    step = openshift_login.step("cleanup")
    assert step["run"].returncode == 0, step["run"].describe()
    state = openshift_login.step("cleanup_oauth")["oauth"]
    requests = _playbook_requests(_new_api_requests(openshift_login, "cleanup_oauth", "verify_checks_oauth"))
    assert requests and all(r[2].startswith("token-") for r in requests), requests
    # one login per run that logged in (verify, verify_check, verify_checks, cleanup), each token revoked at its end
    assert all(t["revoked"] for t in state["tokens"]) and len(state["tokens"]) == 4
    assert (NAMESPACE, "vllm-migration-report") not in step["objects"].get("ConfigMap", {})


def test_the_checks_read_a_references_token_through_the_login(openshift_login):
    """verify.yml logged in with a username and password: the check reads the reference's api_key_from Secret with the
    login's token (the stand-in refuses the kubeconfig's), and the reference got the Secret's token."""
    step = openshift_login.step("verify_checks")
    assert step["run"].returncode == 0, step["run"].describe()
    report = json.loads((openshift_login.workdir / "reports-verify_checks" / "latest" / "report.json").read_text())
    minilm = report["models"]["minilm"]
    assert minilm["status"] == "passed", (minilm["reason"], minilm.get("failed_gates"))
    requests = _new_api_requests(openshift_login, "verify_checks_oauth", "verify_check_oauth")
    secret_reads = [r for r in requests if r[0] == "GET" and r[1].endswith("/secrets/caikit-token")]
    assert secret_reads and all(r[2].startswith("token-") for r in secret_reads), requests  # the login's token
    seen = {r["authorization"] for r in openshift_login.step("verify_checks_oauth")["reference_requests"]}
    assert seen == {"Bearer " + REFERENCE_TOKEN}
    assert REFERENCE_TOKEN not in step["run"].stdout
