# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The server_rollout module's main() on a patched kubernetes.core client: what it reads, what it returns, how it
fails; and its documentation against its spec. The wait itself is tested in module_utils/test_rollout.py, the
module against an emulated cluster in tests/emulator (test_guard_hopeless.py, test_emulator_diagnosis.py)."""

from __future__ import annotations

from unittest import mock

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.modules import server_rollout

NS = "vllm-migration"
ROLLED_OUT = {"metadata": {"name": "vllm-minilm", "generation": 1}, "spec": {"replicas": 1},
              "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}
IMAGE = "registry.example.com/vllm/vllm-openai:no-such-tag"
PULLING_POD = {
    "metadata": {"name": "vllm-msmarco-7f9b8c6d5-q4w7z", "namespace": NS,
                 "labels": {"app.kubernetes.io/instance": "vllm-msmarco", "vllm-migration/model": "msmarco"}},
    "spec": {"containers": [{"name": "vllm", "image": IMAGE}]},
    "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
               "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": 0, "image": IMAGE,
                                      "state": {"waiting": {"reason": "ImagePullBackOff",
                                                            "message": 'Back-off pulling image "%s"' % IMAGE}}}]}}


class ApiError(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


class Answer(object):
    def __init__(self, body):
        self.body = body

    def to_dict(self):
        return self.body


class Resource(object):
    def __init__(self, client, kind):
        self.client, self.kind = client, kind
        self.log = mock.Mock()
        self.log.get.side_effect = self._log

    def get(self, **params):
        self.client.calls.append((self.kind, params))
        if self.kind in self.client.errors:
            raise self.client.errors[self.kind]
        if self.kind in ("Deployment", "InferenceService"):
            if params["name"] not in self.client.deployments:
                raise ApiError(404, "Not Found")
            return Answer(self.client.deployments[params["name"]])
        return Answer({"items": self.client.items.get(self.kind, [])})

    def _log(self, name, namespace, serialize, query_params):
        self.client.calls.append(("log", dict(query_params, name=name, namespace=namespace, serialize=serialize)))
        if query_params.get("previous"):
            raise ApiError(400, "Bad Request")
        return mock.Mock(data=b"INFO pulling\n")


class Client(object):
    """kubernetes.core's K8SClient as far as the module uses it: resource(kind, api_version)."""

    def __init__(self, deployments=None, items=None, errors=None):
        self.deployments, self.items, self.errors = deployments or {}, items or {}, errors or {}
        self.calls, self.kinds = [], []

    def resource(self, kind, api_version):
        self.kinds.append((kind, api_version))
        return Resource(self, kind)


@pytest.fixture
def run(run_main):
    def run_module(client, **args):
        params = dict(namespace=NS, servers=[{"key": "minilm", "name": "vllm-minilm"},
                                             {"key": "msmarco", "name": "vllm-msmarco"}], wait_timeout=0)
        params.update(args)
        with mock.patch.object(server_rollout, "kubernetes_client", return_value=client) as factory:
            result = run_main(server_rollout.main, params)
        return result, factory
    return run_module


def test_one_rolled_out_one_hopeless_with_its_diagnosis(run):
    client = Client(deployments={"vllm-minilm": ROLLED_OUT, "vllm-msmarco": {"metadata": {"name": "vllm-msmarco"}}},
                    items={"Pod": [PULLING_POD]})
    result, _factory = run(client, wait_timeout=30, log_tail_lines=50)
    assert result["changed"] is False and "failed" not in result
    assert result["ready"] == ["minilm"] and result["not_ready"] == ["msmarco"] and result["waiting"] == []
    msmarco = result["servers"]["msmarco"]
    assert msmarco["state"] == "hopeless" and "ImagePullBackOff" in msmarco["reason"]
    assert msmarco["diagnosis"]["cause"] == "image_pull"
    assert "Stopped waiting before the progress deadline: " in msmarco["diagnosis"]["summary"]
    assert msmarco["diagnosis"]["logs_read"] == [
        {"pod": "vllm-msmarco-7f9b8c6d5-q4w7z", "previous": True, "found": False},
        {"pod": "vllm-msmarco-7f9b8c6d5-q4w7z", "previous": False, "found": True}]
    assert "diagnosis" not in result["servers"]["minilm"]
    assert "endpoints" not in result
    assert result["msg"].startswith("2 server(s) in namespace vllm-migration: 1 rolled out, 1 hopeless: msmarco (")
    # Read as kubectl would: the Deployments by name, the pods by label, the logs with tailLines.
    assert ("Deployment", {"name": "vllm-minilm", "namespace": NS}) in client.calls
    assert ("Event", "v1") in client.kinds and ("Deployment", "apps/v1") in client.kinds
    logs = [params for kind, params in client.calls if kind == "log"]
    assert logs[0] == {"container": "vllm", "tailLines": 50, "previous": True, "name": "vllm-msmarco-7f9b8c6d5-q4w7z",
                       "namespace": NS, "serialize": False}
    assert "previous" not in logs[1]


def test_a_deployment_not_created_yet_times_out_and_diagnose_false_reads_no_logs(run):
    client = Client()
    result, _factory = run(client, diagnose=False)
    assert result["waiting"] == ["minilm", "msmarco"] == result["not_ready"]
    assert result["servers"]["minilm"]["state"] == "timed_out"
    assert "diagnosis" not in result["servers"]["minilm"]
    assert not [call for call in client.calls if call[0] == "log"]


def test_endpoints_from_server_plan_items(run):
    entry = {"key": "minilm", "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding",
             "served_name": "minilm", "workarounds": []}
    servers = [{"key": "minilm", "name": "vllm-minilm", "entry": entry, "args": [], "image": "vllm:1"}]
    client = Client(deployments={"vllm-minilm": ROLLED_OUT})
    result, _factory = run(client, servers=servers, urls={"minilm": "https://vllm-minilm.apps"},
                           api_key_secret="vllm-api-key")
    record = result["endpoints"]["minilm"]
    assert record["status"] == "ready" and record["url"] == "https://vllm-minilm.apps"
    assert record["api_key_secret"] == "vllm-api-key" and record["namespace"] == NS
    # no init container copies its files: no pod or log is read, nothing about its weights recorded
    assert [kind for kind, _params in client.calls] == ["Deployment"]
    assert not {"weights_digest", "weights_source", "weights_note"} & set(record)


def test_not_awaited_reads_nothing_even_in_check_mode(run):
    entry = {"key": "minilm", "model": "m", "kind": "embedding", "served_name": "minilm"}
    servers = [{"key": "minilm", "name": "vllm-minilm", "entry": entry}]
    result, factory = run(Client(), servers=servers, not_awaited="check mode: nothing was deployed",
                          urls={"minilm": "https://u"}, _ansible_check_mode=True)
    assert factory.call_count == 0
    assert result["servers"]["minilm"]["state"] == "not_awaited" and result["not_ready"] == []
    assert result["endpoints"]["minilm"]["status"] == "not_verified"
    assert result["endpoints"]["minilm"]["reason"] == "check mode: nothing was deployed"


def test_a_refused_read_fails_naming_the_namespace_and_the_permissions(run):
    client = Client(errors={"Deployment": ApiError(403, "Forbidden")})
    result, _factory = run(client, wait_timeout=60)
    assert result["failed"] is True
    assert result["msg"] == ("waiting for the vLLM servers in namespace vllm-migration: could not read Deployment "
                             "vllm-minilm in namespace vllm-migration (403 Forbidden); the account needs get on "
                             "deployments, list on pods and events and get on pods/log there")


def test_a_failed_event_read_fails_without_a_traceback(run):
    client = Client(items={"Pod": [PULLING_POD]}, errors={"Event": ApiError(500, "Internal Server Error")})
    result, _factory = run(client)
    assert result["failed"] is True and "could not read the events in namespace vllm-migration (500" in result["msg"]


def test_servers_without_a_name_fail_with_what_is_missing(run):
    result, factory = run(Client(), servers=[{"key": "minilm"}])
    assert result["failed"] is True and "servers[0] needs a key (the model) and a name" in result["msg"]
    assert factory.call_count == 0


def test_endpoints_need_server_plan_items(run):
    result, _factory = run(Client(deployments={"vllm-minilm": ROLLED_OUT}),
                           servers=[{"key": "minilm", "name": "vllm-minilm"}], urls={"minilm": "https://u"})
    assert result["failed"] is True and "need the server_plan item" in result["msg"]


def test_documented_options_match_the_argument_spec():
    documented = yaml.safe_load(server_rollout.DOCUMENTATION)["options"]
    documented.update(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    assert sorted(documented) == sorted(server_rollout.ARGUMENT_SPEC)
    mismatches = [(name, field) for name, spec in server_rollout.ARGUMENT_SPEC.items()
                  for field in ("type", "elements", "required", "default", "choices", "aliases")
                  if documented[name].get(field) != spec.get(field)]
    assert mismatches == []
    assert server_rollout.ARGUMENT_SPEC["api_key"]["no_log"] is True


def test_returned_keys_are_documented():
    assert set(yaml.safe_load(server_rollout.RETURN)) == {"servers", "ready", "not_ready", "waiting", "endpoints", "msg"}


def test_examples_use_only_documented_options():
    tasks = yaml.safe_load(server_rollout.EXAMPLES)
    calls = [task["vllm_pooling.migration.server_rollout"] for task in tasks if "vllm_pooling.migration.server_rollout" in task]
    assert len(calls) == 3 and all(set(call) <= set(server_rollout.ARGUMENT_SPEC) for call in calls)


def test_the_module_is_in_the_cluster_action_group():
    from pathlib import Path
    runtime = yaml.safe_load((Path(__file__).resolve().parents[4] / "meta" / "runtime.yml").read_text())
    assert "server_rollout" in runtime["action_groups"]["cluster"]


def test_an_inference_service_is_read_through_kserves_kind_and_its_predictor_deployment(run):
    entry = {"key": "minilm", "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding",
             "served_name": "vllm-minilm", "workarounds": []}
    isvc = {"status": {"url": "https://vllm-minilm-ns.apps", "address": {"url": "http://vllm-minilm-predictor.ns.svc"}}}
    servers = [{"key": "minilm", "name": "vllm-minilm", "target": "inferenceservice", "deployment": "vllm-minilm-predictor",
                "container": "kserve-container", "entry": entry, "args": [], "image": "vllm:1"}]
    client = Client(deployments={"vllm-minilm-predictor": ROLLED_OUT, "vllm-minilm": isvc})
    result, _factory = run(client, servers=servers, urls={"minilm": "http://planned"})
    assert result["ready"] == ["minilm"]
    assert ("InferenceService", "serving.kserve.io/v1beta1") in client.kinds
    assert ("Deployment", {"name": "vllm-minilm-predictor", "namespace": NS}) in client.calls
    assert result["endpoints"]["minilm"]["url"] == "https://vllm-minilm-ns.apps"
    assert result["endpoints"]["minilm"]["service_url"] == "http://vllm-minilm-predictor.ns.svc"
    # KServe's kind is not looked up for plain Deployments
    plain = Client(deployments={"vllm-minilm": ROLLED_OUT, "vllm-msmarco": ROLLED_OUT})
    run(plain)
    assert not [kind for kind in plain.kinds if kind[0] == "InferenceService"]
