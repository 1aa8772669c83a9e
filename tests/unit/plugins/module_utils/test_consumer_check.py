# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The consumer check Job: its manifest, how its end is read, and its script run for real against local HTTP servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.vllm_pooling.migration.plugins.module_utils import consumer_check
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc

RECORD = {"url": "https://vllm-minilm.rag.svc:8443", "served_name": "minilm", "kind": "embedding"}


def _consumer():
    return cc.consumer_list([{"name": "rag-worker", "namespace": "rag-prod",
                              "env": {"url": "OPENAI_BASE_URL", "api": "", "model": "EMB_MODEL",
                                      "api_key": "OPENAI_API_KEY", "ca_file": "SSL_CERT_FILE"},
                              "api_key_secret": {"name": "vllm-api-key"},
                              "ca_configmap": {"name": "vllm-ca", "key": "service-ca.crt"}}], "minilm", "rag")[0]


def _deployment(consumer):
    before = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rag-worker", "namespace": "rag-prod"},
              "spec": {"template": {"spec": {"serviceAccountName": "rag-worker-sa", "containers": [
                  {"name": "worker", "image": "w", "env": [{"name": "LOG_LEVEL", "value": "info"},
                                                           {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
                                                               "name": "db", "key": "password"}}}]}]}}}}
    sources = [{"secret": {"data": {"api-key": "x"}}, "configmap": {"data": {"service-ca.crt": "pem"}}}]
    (patch,) = cc.consumer_env_patches([before], [consumer], dict(RECORD, model="minilm"), sources)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import merge_patch
    return merge_patch(before, patch)


def test_the_job_runs_as_the_consumer_with_its_variables_only_and_restricted():
    consumer = _consumer()
    job = consumer_check.check_job("minilm", consumer, _deployment(consumer), RECORD, "registry.example/ubi9/python-311:1")
    assert job["metadata"]["namespace"] == "rag-prod"
    assert job["metadata"]["name"] == consumer_check.job_name("minilm", consumer) and len(job["metadata"]["name"]) <= 63
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "rag-worker-sa" and pod["restartPolicy"] == "Never"
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    (container,) = pod["containers"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # the consumer's own entries for the named variables, nothing else of its environment (no DB password)
    assert sorted(e["name"] for e in container["env"]) == ["EMB_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                                                           "SSL_CERT_FILE"]
    assert {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}} in \
        container["env"]
    assert pod["volumes"][0]["configMap"]["name"] == "vllm-ca"
    assert container["volumeMounts"] == [{"name": cc.CA_VOLUME, "mountPath": cc.CA_MOUNT_PATH, "readOnly": True}]
    spec = json.loads(container["command"][-1])
    assert spec["url_var"] == "OPENAI_BASE_URL" and spec["key_var"] == "OPENAI_API_KEY" and spec["ca_var"] == "SSL_CERT_FILE"
    assert job["spec"]["backoffLimit"] == 0


def test_the_outcome_names_the_status_the_script_printed_else_the_job_reason():
    failed = {"status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}
    log = 'noise\n{"ok": false, "status": 401, "error": "Unauthorized", "url": "https://v/v1/embeddings"}\n'
    assert consumer_check.check_outcome(failed, log) == ("failed", "HTTP 401 from https://v/v1/embeddings: Unauthorized")
    assert consumer_check.check_outcome(failed, "") == ("failed", "BackoffLimitExceeded")
    assert consumer_check.check_outcome({"status": {"succeeded": 1}})[0] == "succeeded"
    assert consumer_check.check_outcome({"status": {}})[0] == "running"


def _vllm(server):
    """Script ``server`` as vLLM with the API key ``right``."""
    def answer(kind):
        def reply(body):
            return (200, {"data": [{"index": 0, "embedding": [0.1]}]} if kind == "embedding"
                    else {"results": [{"index": 0, "relevance_score": 0.9}]})
        return reply
    server.route("/v1/embeddings", body=answer("embedding"))
    server.route("/v1/rerank", body=answer("reranker"))
    return server


def _run(url, key="right", kind="embedding", ca_file=""):
    spec = {"url_var": "OPENAI_BASE_URL", "model_var": "EMB_MODEL", "key_var": "OPENAI_API_KEY",
            "ca_var": "SSL_CERT_FILE" if ca_file else "", "url": "", "model": "", "kind": kind, "timeout": 5}
    env = dict(os.environ, OPENAI_BASE_URL=url, EMB_MODEL="minilm", OPENAI_API_KEY=key, SSL_CERT_FILE=ca_file)
    proc = subprocess.run([sys.executable, "-c", consumer_check.SCRIPT, json.dumps(spec)], env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert not proc.stderr, proc.stderr  # one JSON line, never a traceback
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_script_makes_the_consumers_request_with_its_key_and_ca(tls_server):
    server, ca = tls_server("service")
    _vllm(server)
    assert _run(server.url, ca_file=ca)[0] == 0
    assert _run(server.url + "/v1/", ca_file=ca)[0] == 0  # a base URL that already ends in /v1
    assert _run(server.url, kind="reranker", ca_file=ca)[0] == 0
    request = server.requests[0]
    assert request["path"] == "/v1/embeddings" and request["headers"]["Authorization"] == "Bearer right"
    assert request["json"] == {"model": "minilm", "input": ["consumer check"]}


def test_the_script_fails_on_a_401_an_untrusted_ca_no_server_and_a_bad_ca_file(tls_server, tmp_path):
    server, ca = tls_server("service")
    server.route("/v1/embeddings", status=401, body={"error": "Unauthorized"})
    code, printed = _run(server.url, key="wrong", ca_file=ca)
    assert code == 1 and printed["status"] == 401 and "Unauthorized" in printed["error"]
    # the consumer trusts another CA than the one that signed vLLM's certificate
    _other, other_ca = tls_server("router")
    code, printed = _run(server.url, ca_file=other_ca)
    assert code == 1 and "CERTIFICATE_VERIFY_FAILED" in printed["error"], printed
    # a port nothing listens on: what a NetworkPolicy that rejects the namespace looks like from the pod
    code, printed = _run("http://127.0.0.1:9")
    assert code == 1 and "ConnectionRefusedError" in printed["error"], printed
    bad = tmp_path / "ca.crt"
    bad.write_text("not a certificate\n")
    code, printed = _run(server.url, ca_file=str(bad))
    assert code == 1 and printed["error"] and "status" not in printed
    # an answer without vectors is no pass
    server.route("/v1/embeddings", body={"data": []})
    code, printed = _run(server.url, ca_file=ca)
    assert code == 1 and printed["error"] == "no data in the answer"
