# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The owned_object module's main() with a patched kubernetes.core client; the logic is tested in
module_utils/test_owned_objects.py, a real API in the emulator tests (test_guard_ownership.py and others)."""

from __future__ import annotations

from unittest import mock

import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import COMMON_LABELS
from ansible_collections.vllm_pooling.migration.plugins.modules import owned_object

from ansible_collections.vllm_pooling.migration.tests.unit.plugins.module_utils.test_owned_objects import NAMESPACE, FakeClient, configmap

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "key", "namespace": "ns"},
          "data": {"api-key": "c2VjcmV0"}}


def _shape(option):
    return option["type"], option.get("elements"), bool(option.get("required")), sorted(option.get("aliases", []))


def test_documented_options_and_returns_match_the_module():
    documented = dict(yaml.safe_load(owned_object.DOCUMENTATION)["options"],
                      **yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    assert {name: _shape(option) for name, option in documented.items()} == \
        {name: _shape(option) for name, option in owned_object.ARGUMENT_SPEC.items()}
    assert set(yaml.safe_load(owned_object.RETURN)) == {"action", "object", "msg", "results"}


def run(run_main, client, args):
    with mock.patch.object(owned_object, "kubernetes_client", return_value=client):
        return run_main(owned_object.main, args)


def test_one_object_is_created_then_unchanged(run_main):
    client = FakeClient([NAMESPACE])
    first = run(run_main, client, {"definition": configmap(), "labels": {"app.kubernetes.io/component": "x"}})
    assert first["changed"] is True and first["action"] == "created" and first["diff"]["before"] == {}
    assert first["object"]["metadata"]["labels"] == dict(COMMON_LABELS, **{"app.kubernetes.io/component": "x"})
    again = run(run_main, client, {"definition": configmap(), "labels": {"app.kubernetes.io/component": "x"}})
    assert again["changed"] is False and again["action"] == "unchanged"


def test_a_list_returns_one_result_per_object_and_leaves_foreign_ones_alone(run_main):
    foreign = configmap(labels={"team": "theirs"})
    client = FakeClient([NAMESPACE, foreign])
    result = run(run_main, client, {"definition": [configmap({"b": "2"}), SECRET]})
    assert [r["action"] for r in result["results"]] == ["foreign", "created"] and result["changed"] is True
    assert client.objects[("ConfigMap", "ns", "cm")] == foreign
    assert len(result["diff"]) == 1 and "c2VjcmV0" not in repr(result)


def test_check_mode_before_the_namespace_exists(run_main):
    client = FakeClient()
    result = run(run_main, client, {"definition": SECRET, "_ansible_check_mode": True})
    assert result["changed"] is True and result["action"] == "created" and client.applied == []
    assert "namespace ns does not exist yet" in result["msg"] and "c2VjcmV0" not in repr(result)


def test_failures_are_task_failures_naming_the_object(run_main):
    result = run(run_main, FakeClient([NAMESPACE, configmap()]), {"definition": configmap(), "on_foreign": "fail"})
    assert result["failed"] is True and "ConfigMap ns/cm exists and was not created" in result["msg"]
    broken = FakeClient([NAMESPACE], refuse=RuntimeError("connection reset"))
    result = run(run_main, broken, {"definition": [configmap()]})
    assert result["failed"] is True and result["msg"] == "could not apply ConfigMap ns/cm: connection reset"
