# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Strategy consumer_env on a cluster (scenario cutover_env): named variables of a consumer Deployment
pointed at vLLM and back exactly (a value, a valueFrom, an unset variable), the rollout wait, and a
rollout that fails and is rolled back. The emulated Deployment controller only writes a status; no pod
runs and nothing reads the variables (docs/cluster.md)."""

from __future__ import annotations

from cutover_helpers import assert_no_change, assert_ok, cutover_log, cutover_result, failed_messages, only_dry_runs, state_of, writes_to
from cutover_scenarios import CONSUMER_ENV
from harness import NAMESPACE

CONSUMER = (NAMESPACE, "rag-api")


def containers(step):
    return step["objects"]["Deployment"][CONSUMER]["spec"]["template"]["spec"]["containers"]


def test_check_mode_changes_nothing_and_shows_the_env_change(cutover_env):
    step = cutover_env.step("check")
    assert_ok(step)
    only_dry_runs(step)
    assert containers(step) == containers(cutover_env.step("seeded"))
    (patched,) = writes_to(step["run"], "Deployment", "rag-api")
    (diff,) = [d for d in cutover_result(step["run"])["diff"] if d["after_header"] == "Deployment %s/rag-api" % NAMESPACE]
    assert patched["changed"] and "EMBEDDINGS_MODEL" in str(diff["after"])


def test_cutover_sets_the_named_variables_keeps_the_rest_and_waits_for_the_rollout(cutover_env):
    step = cutover_env.step("cutover")
    assert_ok(step)
    api, proxy = containers(step)
    url = state_of(step)["target"]["url"]
    assert api["env"] == [CONSUMER_ENV[0], {"name": "EMBEDDINGS_URL", "value": url},
                          {"name": "EMBEDDINGS_API", "value": "openai"}, {"name": "EMBEDDINGS_MODEL", "value": "minilm"}]
    assert proxy == containers(cutover_env.step("seeded"))[1]
    assert any(entry["deployments"] == ["%s/rag-api" % NAMESPACE] for entry in cutover_log(step["run"], "rollout_wait"))
    previous = state_of(step)["previous"]["consumers"][0]
    assert previous["env"] == {"EMBEDDINGS_URL": CONSUMER_ENV[1], "EMBEDDINGS_API": CONSUMER_ENV[2], "EMBEDDINGS_MODEL": None}


def test_second_cutover_changes_nothing(cutover_env):
    step = cutover_env.step("again")
    assert_no_change(step)


def test_rollback_restores_the_environment_exactly_then_changes_nothing(cutover_env):
    step = cutover_env.step("rollback")
    assert_ok(step)
    assert containers(step) == containers(cutover_env.step("seeded"))
    assert state_of(step)["status"] == "rolled_back"
    again = cutover_env.step("rollback_again")
    assert_no_change(again)


def test_failed_rollout_is_rolled_back_with_the_reason(cutover_env):
    step = cutover_env.step("rollout_fails")
    assert step["run"].returncode != 0
    (message,) = [m for m in failed_messages(step["run"]) if "rolled back" in m]
    assert "rag-api" in message and "did not roll out" in message, message
    assert containers(step) == containers(cutover_env.step("seeded"))
    assert state_of(step)["status"] == "failed"


# --- a consumer in its own namespace with vLLM's API key and service CA (scenario cutover_env_credentials) -------

WORKER = ("rag-prod", "rag-worker")


def pod_spec(step):
    return step["objects"]["Deployment"][WORKER]["spec"]["template"]["spec"]


def test_a_missing_api_key_secret_is_refused_before_any_change_with_the_command_to_make_it(cutover_env_credentials):
    step = cutover_env_credentials.step("no_secret")
    assert step["run"].returncode != 0
    message = " ".join(failed_messages(step["run"]))
    assert "Secret rag-prod/vllm-api-key" in message and "does not exist" in message, message
    assert "oc create secret generic vllm-api-key -n rag-prod --from-literal=api-key=" in message
    assert pod_spec(step) == pod_spec(cutover_env_credentials.step("seeded"))
    assert not [w for w in step["writes"] if "rag-worker" in w.path]


def test_the_consumer_gets_the_key_by_reference_and_the_service_ca_as_a_file(cutover_env_credentials):
    step = cutover_env_credentials.step("cutover")
    assert_ok(step)
    pod = pod_spec(step)
    (worker,) = pod["containers"]
    env = {entry["name"]: entry for entry in worker["env"]}
    assert env["OPENAI_BASE_URL"]["value"] == state_of(step)["target"]["url"]
    assert env["EMBEDDINGS_MODEL"]["value"] == "minilm" and "EMBEDDINGS_API" not in env
    assert env["OPENAI_API_KEY"] == {"name": "OPENAI_API_KEY",
                                     "valueFrom": {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}}
    assert env["SSL_CERT_FILE"] == {"name": "SSL_CERT_FILE", "value": "/etc/vllm-migration/ca/ca.crt"}
    assert {"name": "vllm-migration-ca", "configMap": {"name": "vllm-service-ca", "items": [
        {"key": "service-ca.crt", "path": "ca.crt"}]}} in pod["volumes"]
    assert {"name": "vllm-migration-ca", "mountPath": "/etc/vllm-migration/ca", "readOnly": True} in worker["volumeMounts"]
    # the key is never in the record, the log or the output of the run
    assert "c2VjcmV0LWtleQ==" not in step["run"].stdout and "secret-key" not in step["run"].stdout


def test_credentials_second_cutover_changes_nothing_and_rollback_restores_volumes_and_env_exactly(cutover_env_credentials):
    again = cutover_env_credentials.step("again")
    assert_no_change(again)
    rollback = cutover_env_credentials.step("rollback")
    assert_ok(rollback)
    assert pod_spec(rollback) == pod_spec(cutover_env_credentials.step("seeded"))


def test_the_consumer_check_ran_from_the_consumers_namespace_and_left_no_job(cutover_env_credentials):
    step = cutover_env_credentials.step("cutover")
    (check,) = cutover_log(step["run"], "consumer_check")
    assert check["consumer"] == "rag-prod/rag-worker" and check["passed"] is True, check
    jobs = [w for w in step["writes"] if "/namespaces/rag-prod/jobs" in w.path]
    # the Job made (server-side apply), then deleted once read
    assert [(w.method, w.created) for w in jobs] == [("PATCH", True), ("DELETE", False)], jobs
    assert not [k for k in step["objects"].get("Job", {}) if k[0] == "rag-prod"]


def test_a_401_from_the_consumers_namespace_rolls_the_cutover_back_and_names_it(cutover_env_credentials):
    step = cutover_env_credentials.step("check_fails")
    assert step["run"].returncode != 0
    (message,) = [m for m in failed_messages(step["run"]) if "rolled back" in m]
    assert "consumer rag-prod/rag-worker" in message and "HTTP 401" in message and "Unauthorized" in message, message
    assert "ServiceAccount default" in message
    assert pod_spec(step) == pod_spec(cutover_env_credentials.step("seeded"))
    assert state_of(step)["status"] == "failed"
