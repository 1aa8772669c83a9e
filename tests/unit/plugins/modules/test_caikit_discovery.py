# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The caikit_discovery module's documentation against its spec (the work is in module_utils/kserve.py, tested in
test_kserve.py; the module against an emulated cluster in tests/emulator/test_caikit_discovery_emulator.py)."""

from __future__ import annotations

import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.modules import caikit_discovery
from kube_fake import FakeCluster


def test_every_option_is_documented_with_its_type_and_default():
    documented = yaml.safe_load(caikit_discovery.DOCUMENTATION)["options"]
    documented.update(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    spec = caikit_discovery.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
    assert spec["token"]["no_log"] and spec["api_key"]["no_log"]


def test_every_returned_key_is_documented():
    assert set(yaml.safe_load(caikit_discovery.RETURN)) == {
        "services", "models", "proposal", "fragment", "fragment_header", "table", "table_markdown", "review",
        "problems", "msg", "effective", "weights"}


def isvc(namespace, uri):
    return {"metadata": {"namespace": namespace}, "spec": {"predictor": {"model": {"storageUri": uri}}}}


def test_the_access_mode_of_each_claim_is_read_once_and_a_claim_that_cannot_be_read_is_noted():
    cluster = FakeCluster({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                           "metadata": {"name": "shared", "namespace": "a"}, "spec": {"accessModes": ["ReadWriteMany"]}})
    cluster.fail_reads[("PersistentVolumeClaim", "b")] = "persistentvolumeclaims is forbidden"
    claims = cluster.client.resources.get(api_version="v1", kind="PersistentVolumeClaim")
    notes = []
    found = caikit_discovery._claim_modes(claims, [  # pylint: disable=protected-access
        isvc("a", "pvc://shared/caikit"), isvc("a", "pvc://shared/other"), isvc("a", "pvc://gone/x"),
        isvc("b", "pvc://locked"), isvc("b", "s3://bucket/x")], notes)
    assert found == {("a", "shared"): "ReadWriteMany", ("a", "gone"): None}  # forbidden: not read, taken for RWO later
    assert cluster.reads == [("PersistentVolumeClaim", "a", "shared"), ("PersistentVolumeClaim", "a", "gone"),
                             ("PersistentVolumeClaim", "b", "locked")]
    assert notes == ["could not read the claim b/locked (403 Forbidden): its access mode was not checked"]


def test_a_data_connection_keeps_its_key_names_only():
    cluster = FakeCluster({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "conn", "namespace": "a"},
                           "data": {"AWS_ACCESS_KEY_ID": "a2V5", "AWS_SECRET_ACCESS_KEY": "c2VjcmV0"}})
    secrets = cluster.client.resources.get(api_version="v1", kind="Secret")
    model = {"storage": {"key": "conn", "path": "x/"}}
    found = caikit_discovery._data_connections(secrets, [  # pylint: disable=protected-access
        {"metadata": {"namespace": "a"}, "spec": {"predictor": {"model": model}}},
        {"metadata": {"namespace": "a"}, "spec": {"predictor": {"model": {"storage": {"key": "gone"}}}}}], [])
    assert found == {("a", "conn"): {"data": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}}, ("a", "gone"): None}
