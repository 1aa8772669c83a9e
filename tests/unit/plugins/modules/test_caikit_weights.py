# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The caikit_weights module run as Ansible runs it, against moto's S3 server on 127.0.0.1 (the work is in
module_utils/caikit_storage.py, tested in tests/unit/test_caikit_storage.py)."""

from __future__ import annotations

import base64
import json

from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest
from ansible_collections.vllm_pooling.migration.plugins.modules import caikit_weights

from s3_server import caikit_model_folder, upload_folder  # noqa: E402 - tests/unit


@pytest.fixture
def stored(s3, tmp_path):
    """A bucket with one embedding model under ``caikit/``; returns ``(bucket, folder on disk)``."""
    bucket = s3.new_bucket()
    folder = caikit_model_folder(tmp_path / "source", "all-minilm-l6-v2")
    upload_folder(s3.client(), bucket, folder, "caikit")
    return bucket, folder


@pytest.fixture
def no_cluster(monkeypatch):
    """Fails the test if the module makes a Kubernetes client."""
    def refuse(module):
        raise AssertionError("the module asked for a Kubernetes client")
    monkeypatch.setattr(caikit_weights, "kubernetes_client", refuse)


def test_every_option_is_documented_with_its_type_and_default():
    documented = yaml.safe_load(caikit_weights.DOCUMENTATION)["options"]
    documented.update(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    spec = caikit_weights.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
    assert set(documented["data_connection"]["suboptions"]) == set(spec["data_connection"]["options"])
    assert spec["data_connection"]["options"]["AWS_SECRET_ACCESS_KEY"]["no_log"] is True
    assert set(yaml.safe_load(caikit_weights.RETURN)) == {"models", "found", "msg"}


def test_a_fetch_from_a_data_connection_dict_needs_no_cluster_and_a_second_run_changes_nothing(
        s3, stored, tmp_path, run_main, no_cluster):
    bucket, folder = stored
    args = {"data_connection": s3.connection(bucket), "storage_path": "caikit", "dest": str(tmp_path / "dest")}
    first = run_main(caikit_weights.main, args)
    assert first["changed"] is True and first["found"] == ["all-minilm-l6-v2"], first
    (model,) = first["models"]
    assert model["artifacts"] == str(tmp_path / "dest" / "all-minilm-l6-v2" / "artifacts")
    assert model["digest"] == weights_digest(str(folder))["digest"] and model["kind"] == "embedding"
    assert model["source"]["uri"] == "s3://%s/caikit/all-minilm-l6-v2/" % bucket
    assert "test-secret" not in json.dumps(first)
    assert "fetched 1 (6 file(s)" in first["msg"]
    second = run_main(caikit_weights.main, args)
    assert second["changed"] is False and second["models"][0]["downloaded"] == [] and "1 already up to date" in second["msg"]


def test_check_mode_says_what_would_be_fetched_and_writes_nothing(s3, stored, tmp_path, run_main, no_cluster):
    bucket = stored[0]
    result = run_main(caikit_weights.main, {"data_connection": s3.connection(bucket, AWS_S3_BUCKET=None),
                                            "storage_uri": "s3://%s/caikit" % bucket, "dest": str(tmp_path / "dest"),
                                            "_ansible_check_mode": True})
    assert result["changed"] is True and "would fetch 1 (6 file(s)" in result["msg"], result
    assert not (tmp_path / "dest").exists()


def test_a_data_connection_without_keys_fails_naming_what_is_missing(s3, tmp_path, run_main, no_cluster):
    result = run_main(caikit_weights.main, {"data_connection": {"AWS_S3_ENDPOINT": s3.url, "AWS_S3_BUCKET": "models"},
                                            "dest": str(tmp_path)})
    assert result["failed"] is True
    assert result["msg"].startswith("data connection data_connection has no AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY")


def test_the_data_connection_can_come_from_the_environment_as_a_pod_gets_it(
        s3, stored, tmp_path, run_main, no_cluster, monkeypatch):
    bucket, folder = stored
    for name, value in s3.connection(bucket).items():
        monkeypatch.setenv(name, value)
    result = run_main(caikit_weights.main, {"data_connection_env": True, "storage_path": "caikit/all-minilm-l6-v2",
                                            "models": ["all-minilm-l6-v2"], "dest": str(tmp_path / "dest")})
    assert result["changed"] is True, result
    (model,) = result["models"]
    assert (Path(model["artifacts"]) / "model.safetensors").read_bytes() == \
        (folder / "artifacts" / "model.safetensors").read_bytes()
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    missing = run_main(caikit_weights.main, {"data_connection_env": True, "storage_path": "caikit",
                                             "dest": str(tmp_path / "other")})
    assert missing["failed"] is True and "in the environment has no AWS_SECRET_ACCESS_KEY" in missing["msg"]
    assert "secretKeyRef" in missing["msg"]
    both = run_main(caikit_weights.main, {"data_connection_env": True, "data_connection": s3.connection(bucket),
                                          "dest": str(tmp_path / "other")})
    assert both["failed"] is True and "exactly one of" in both["msg"]


class _Cluster(object):
    def __init__(self, secret):
        self.secret, self.asked = secret, []

    @property
    def resources(self):
        return self

    def get(self, api_version=None, kind=None, name=None, namespace=None):
        if kind:
            return self
        self.asked.append("%s/%s" % (namespace, name))
        return self.secret


def test_the_data_connection_secret_is_read_from_the_cluster(s3, stored, tmp_path, run_main, monkeypatch):
    bucket = stored[0]
    values = s3.connection(bucket)
    del values["AWS_SECRET_ACCESS_KEY"]
    cluster = _Cluster({"data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}})
    monkeypatch.setattr(caikit_weights, "kubernetes_client", lambda module: cluster)
    failed = run_main(caikit_weights.main, {"data_connection_secret": "rag-prod/aws-connection-models",
                                            "storage_path": "caikit", "dest": str(tmp_path / "dest")})
    assert cluster.asked == ["rag-prod/aws-connection-models"]
    assert failed["msg"] == ("data connection rag-prod/aws-connection-models has no AWS_SECRET_ACCESS_KEY: add them to the "
                             "Secret (oc edit secret aws-connection-models -n rag-prod), or edit the data connection in "
                             "the OpenShift AI dashboard (Data connections) and fill in every field")
    cluster.secret["data"]["AWS_SECRET_ACCESS_KEY"] = base64.b64encode(b"test-secret").decode()
    result = run_main(caikit_weights.main, {"data_connection_secret": "rag-prod/aws-connection-models",
                                            "storage_path": "caikit", "dest": str(tmp_path / "dest")})
    assert result["changed"] is True and result["models"][0]["source"]["data_connection"] == "rag-prod/aws-connection-models"
