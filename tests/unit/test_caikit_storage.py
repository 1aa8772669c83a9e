# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit's S3 storage read through a data connection (module_utils/caikit_storage.py), against moto's S3 server
started here on 127.0.0.1 (tests/unit/s3_server.py), with Caikit model folders the tests write."""

from __future__ import annotations

import base64
import io
import json
import os
import socket

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import caikit_storage
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_storage import (
    MANIFEST, CaikitStorage, StorageError, connection_settings, fetch_models, parse_storage_uri, read_data_connection,
    s3_client, secret_settings)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest

from s3_server import caikit_model_folder, upload_folder  # noqa: E402 - tests/unit
from safetensors_files import model_tensors  # noqa: E402 - tests/unit

SECRET = "test-secret"


@pytest.fixture
def bucket(s3, tmp_path):
    """A bucket holding two Caikit model folders under ``caikit/``: an embedding model and a reranker; returns
    ``(bucket, {model id: folder on disk})``."""
    name = s3.new_bucket()
    source = tmp_path / "source"
    folders = {"all-minilm-l6-v2": caikit_model_folder(source, "all-minilm-l6-v2"),
               "ms-marco-minilm": caikit_model_folder(source, "ms-marco-minilm", "CrossEncoderModule",
                                                      model_tensors(seed=3))}
    for folder in folders.values():
        upload_folder(s3.client(), name, folder, "caikit")
    return name, folders


def storage_for(s3, bucket_name, **overrides):
    settings = connection_settings(s3.connection(bucket_name, **overrides), "rag-prod/aws-connection-models")
    return CaikitStorage(s3_client(settings, timeout=5), settings)


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, dirs, names in os.walk(folder) for f in names)


# --- settings from a data connection ----------------------------------------------------------------

def test_a_data_connection_without_keys_names_the_secret_the_missing_keys_and_the_fix():
    with pytest.raises(StorageError) as error:
        connection_settings({"AWS_S3_ENDPOINT": "https://minio:9000", "AWS_S3_BUCKET": "models",
                             "AWS_ACCESS_KEY_ID": " "}, "rag-prod/aws-connection-models")
    message = str(error.value)
    assert "data connection rag-prod/aws-connection-models has no AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in message
    assert "oc edit secret aws-connection-models -n rag-prod" in message and "OpenShift AI dashboard" in message
    with pytest.raises(StorageError, match=r"data connection data_connection has no AWS_S3_BUCKET: give every one"):
        connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_ENDPOINT": "x"},
                            "data_connection")


def test_a_storage_uri_makes_the_bucket_optional_and_a_host_without_scheme_means_https():
    settings = connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET,
                                    "AWS_S3_ENDPOINT": "minio.example:9000/"}, "ns/dc", need_bucket=False)
    assert settings.endpoint == "https://minio.example:9000" and settings.bucket is None
    assert settings.region == "us-east-1"
    assert SECRET not in repr(settings) and SECRET not in json.dumps(settings.public())
    assert parse_storage_uri("s3://models/caikit/") == ("models", "caikit")
    assert parse_storage_uri("s3://models") == ("models", "")
    with pytest.raises(StorageError, match="is not on S3 .pvc.: this module reads s3://"):
        parse_storage_uri("pvc://claim/models")


def test_a_secret_as_the_api_returns_it_is_decoded():
    values = {"AWS_ACCESS_KEY_ID": "key-id", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_ENDPOINT": "http://10.0.0.1:9000",
              "AWS_S3_BUCKET": "models", "AWS_DEFAULT_REGION": "eu-west-1"}
    secret = {"metadata": {"name": "dc", "namespace": "ns"},
              "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}
    settings = secret_settings(secret, "ns/dc")
    assert (settings.endpoint, settings.bucket, settings.region, settings.access_key, settings.secret_key) == (
        "http://10.0.0.1:9000", "models", "eu-west-1", "key-id", SECRET)
    secret["data"]["AWS_S3_BUCKET"] = "not base64!"
    with pytest.raises(StorageError, match="ns/dc: the value of AWS_S3_BUCKET is not base64"):
        secret_settings(secret, "ns/dc")


class _Secrets(object):
    def __init__(self, status=None, secret=None):
        self.status, self.secret, self.asked = status, secret, []

    @property
    def resources(self):
        return self

    def get(self, api_version=None, kind=None, name=None, namespace=None):
        if kind:
            return self
        self.asked.append((namespace, name))
        if self.status:
            error = Exception("(%d)" % self.status)
            error.status = self.status
            raise error
        return self.secret


def test_the_secret_is_read_by_namespace_and_name_and_a_missing_or_forbidden_one_is_named():
    client = _Secrets(secret={"data": {}})
    assert read_data_connection(client, "rag-prod/dc") == {"data": {}} and client.asked == [("rag-prod", "dc")]
    with pytest.raises(StorageError, match=r"no Secret dc in namespace rag-prod: .*opendatahub.io/dashboard=true"):
        read_data_connection(_Secrets(404), "rag-prod/dc")
    with pytest.raises(StorageError, match="may not get the Secret rag-prod/dc: grant it get on secrets"):
        read_data_connection(_Secrets(403), "rag-prod/dc")
    with pytest.raises(StorageError, match="is not NAMESPACE/NAME"):
        read_data_connection(_Secrets(), "dc")


# --- listing and fetching -----------------------------------------------------------------------------

def test_listing_finds_both_model_folders_of_a_prefix(s3, bucket):
    name = bucket[0]
    models = storage_for(s3, name).list_models("caikit/")
    assert sorted(models) == ["all-minilm-l6-v2", "ms-marco-minilm"]
    assert models["all-minilm-l6-v2"]["folder"] == "caikit/all-minilm-l6-v2/"
    assert len(models["ms-marco-minilm"]["objects"]) == 6
    # a prefix that is itself a model folder is that one model
    assert list(storage_for(s3, name).list_models("caikit/ms-marco-minilm")) == ["ms-marco-minilm"]


def test_a_fetch_equals_the_source_and_a_second_fetch_downloads_nothing(s3, bucket, tmp_path):
    name, folders = bucket
    dest = tmp_path / "dest"
    first = fetch_models(storage_for(s3, name), "caikit", str(dest))
    assert first["changed"] is True and first["found"] == ["all-minilm-l6-v2", "ms-marco-minilm"]
    by_id = {m["model_id"]: m for m in first["models"]}
    for model_id, source in folders.items():
        fetched = by_id[model_id]
        assert fetched["path"] == str(dest / model_id) and fetched["artifacts"] == str(dest / model_id / "artifacts")
        assert files_under(fetched["path"]) == sorted(files_under(source) + [MANIFEST])
        for relative in files_under(source):
            assert (dest / model_id / relative).read_bytes() == (source / relative).read_bytes(), relative
        assert fetched["digest"] == weights_digest(str(source))["digest"] and fetched["tensors"] == 3
        assert fetched["source"] == {"endpoint": s3.url, "bucket": name, "prefix": "caikit/%s/" % model_id,
                                     "uri": "s3://%s/caikit/%s/" % (name, model_id),
                                     "data_connection": "rag-prod/aws-connection-models"}
        assert len(fetched["downloaded"]) == 6 and fetched["unchanged"] == 0
    assert by_id["all-minilm-l6-v2"]["kind"] == "embedding" and by_id["ms-marco-minilm"]["kind"] == "reranker"
    assert by_id["all-minilm-l6-v2"]["digest"] != by_id["ms-marco-minilm"]["digest"]
    manifest = json.loads((dest / "all-minilm-l6-v2" / MANIFEST).read_text())
    assert manifest["objects"]["artifacts/model.safetensors"]["etag"] and SECRET not in json.dumps(manifest)

    again = fetch_models(storage_for(s3, name), "caikit", str(dest))
    assert again["changed"] is False
    assert [(m["downloaded"], m["unchanged"]) for m in again["models"]] == [([], 6), ([], 6)]
    assert [m["digest"] for m in again["models"]] == [m["digest"] for m in first["models"]]


def test_a_changed_object_is_fetched_again_and_a_deleted_one_removed(s3, bucket, tmp_path):
    name = bucket[0]
    dest = tmp_path / "dest"
    before = fetch_models(storage_for(s3, name), "caikit", str(dest), models=["all-minilm-l6-v2"])["models"][0]
    other = caikit_model_folder(tmp_path / "other", "all-minilm-l6-v2", tensors=model_tensors(seed=9))
    client = s3.client()
    client.put_object(Bucket=name, Key="caikit/all-minilm-l6-v2/artifacts/model.safetensors",
                      Body=(other / "artifacts" / "model.safetensors").read_bytes())
    client.delete_object(Bucket=name, Key="caikit/all-minilm-l6-v2/artifacts/modules.json")
    after = fetch_models(storage_for(s3, name), "caikit", str(dest), models=["all-minilm-l6-v2"])
    model = after["models"][0]
    assert after["changed"] is True
    assert model["downloaded"] == ["artifacts/model.safetensors"] and model["removed"] == ["artifacts/modules.json"]
    assert model["unchanged"] == 4 and not (dest / "all-minilm-l6-v2" / "artifacts" / "modules.json").exists()
    assert model["digest"] == weights_digest(str(other))["digest"] != before["digest"]


def test_files_already_there_without_a_manifest_are_kept_when_their_md5_is_the_etag(s3, bucket, tmp_path):
    name, folders = bucket
    dest = tmp_path / "dest"
    fetch_models(storage_for(s3, name), "caikit", str(dest), models=["ms-marco-minilm"])
    (dest / "ms-marco-minilm" / MANIFEST).unlink()
    changed = dest / "ms-marco-minilm" / "artifacts" / "config.json"
    changed.write_bytes(changed.read_bytes().replace(b"BertModel", b"BertMode_"))  # the same size, another MD5
    model = fetch_models(storage_for(s3, name), "caikit", str(dest), models=["ms-marco-minilm"])["models"][0]
    assert model["downloaded"] == ["artifacts/config.json"] and model["unchanged"] == 5
    assert (dest / "ms-marco-minilm" / "artifacts" / "config.json").read_bytes() == \
        (folders["ms-marco-minilm"] / "artifacts" / "config.json").read_bytes()
    assert (dest / "ms-marco-minilm" / MANIFEST).is_file()


def test_check_mode_lists_what_would_be_fetched_and_writes_nothing(s3, bucket, tmp_path):
    name = bucket[0]
    dest = tmp_path / "dest"
    planned = fetch_models(storage_for(s3, name), "caikit", str(dest), models=["all-minilm-l6-v2"], check_mode=True)
    model = planned["models"][0]
    assert planned["changed"] is True and len(model["downloaded"]) == 6 and model["bytes"] > 0
    assert model["digest"] is None and "not digested in check mode" in model["weights_problem"]
    assert not dest.exists()


def test_a_model_that_is_not_there_is_named_with_the_ones_that_are(s3, bucket, tmp_path):
    with pytest.raises(StorageError, match=r"no model folder bge-small under s3://.*/caikit/ \(found all-minilm-l6-v2, "
                                           r"ms-marco-minilm\)"):
        fetch_models(storage_for(s3, bucket[0]), "caikit", str(tmp_path), models=["bge-small"])


# --- bad input: each gives its message ------------------------------------------------------------------

def test_a_wrong_bucket_is_named_with_the_endpoint_and_the_fix(s3, tmp_path):
    with pytest.raises(StorageError) as error:
        fetch_models(storage_for(s3, "no-such-bucket"), "caikit", str(tmp_path))
    assert str(error.value) == ("bucket no-such-bucket does not exist at %s: check AWS_S3_BUCKET of the data connection "
                                "rag-prod/aws-connection-models (or the bucket of storage_uri)" % s3.url)


def test_wrong_keys_and_denied_access_are_told_apart_without_the_secret(s3, bucket, tmp_path, monkeypatch):
    name = bucket[0]
    access, secret = s3.user_keys()
    denied_access, denied_secret = s3.user_keys(actions=("s3:GetObject", "s3:ListBucket"), effect="Deny")
    s3.require_keys(monkeypatch)
    good = fetch_models(storage_for(s3, name, AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret), "caikit",
                        str(tmp_path / "good"))
    assert len(good["models"]) == 2
    with pytest.raises(StorageError) as wrong_secret:
        fetch_models(storage_for(s3, name, AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY="wrong-" + secret),
                     "caikit", str(tmp_path / "bad"))
    assert str(wrong_secret.value).startswith("the S3 endpoint %s rejected the keys of the data connection "
                                              "rag-prod/aws-connection-models (SignatureDoesNotMatch)" % s3.url)
    assert "set the right AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(wrong_secret.value)
    assert secret not in str(wrong_secret.value)
    with pytest.raises(StorageError, match=r"rejected the keys .*\(InvalidAccessKeyId\)"):
        fetch_models(storage_for(s3, name, AWS_ACCESS_KEY_ID="AKIANOSUCHKEY0000000"), "caikit", str(tmp_path / "bad"))
    with pytest.raises(StorageError) as denied:
        fetch_models(storage_for(s3, name, AWS_ACCESS_KEY_ID=denied_access, AWS_SECRET_ACCESS_KEY=denied_secret),
                     "caikit", str(tmp_path / "bad"))
    assert str(denied.value).startswith("access denied to s3://%s/caikit/ at %s" % (name, s3.url))
    assert "s3:ListBucket on bucket %s and s3:GetObject" % name in str(denied.value)
    assert denied_secret not in str(denied.value)
    assert not (tmp_path / "bad").exists()


def test_an_unreachable_endpoint_is_named_with_what_to_check(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_BUCKET": "models",
                                    "AWS_S3_ENDPOINT": "http://127.0.0.1:%d" % port}, "rag-prod/dc")
    with pytest.raises(StorageError) as error:
        fetch_models(CaikitStorage(s3_client(settings, timeout=3), settings), "caikit", str(tmp_path))
    assert str(error.value).startswith("cannot reach the S3 endpoint http://127.0.0.1:%d for s3://models/caikit/" % port)
    assert "check AWS_S3_ENDPOINT of the data connection rag-prod/dc" in str(error.value)


def test_a_certificate_the_controller_does_not_trust_is_a_tls_error_naming_the_ca_option(tls_server, tmp_path):
    server = tls_server("object-store")[0]
    settings = connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_BUCKET": "models",
                                    "AWS_S3_ENDPOINT": server.url}, "rag-prod/dc")
    with pytest.raises(StorageError) as error:
        fetch_models(CaikitStorage(s3_client(settings, timeout=3), settings), "caikit", str(tmp_path))
    assert str(error.value).startswith("TLS to the S3 endpoint %s failed for s3://models/caikit/" % server.url)
    assert "give the CA bundle that signed its certificate as s3_ca_path" in str(error.value)


def test_a_prefix_without_config_yml_and_an_empty_prefix_are_named(s3, tmp_path):
    name = s3.new_bucket()
    s3.client().put_object(Bucket=name, Key="hf/minilm/config.json", Body=b"{}")
    s3.client().put_object(Bucket=name, Key="hf/minilm/model.safetensors", Body=b"x")
    with pytest.raises(StorageError) as error:
        fetch_models(storage_for(s3, name), "hf", str(tmp_path))
    assert str(error.value).startswith("no Caikit model folder (a folder holding config.yml) under s3://%s/hf/ at %s; "
                                       "found minilm: point the storage path" % (name, s3.url))
    with pytest.raises(StorageError, match=r"s3://%s/nothing/ at .* holds no object: check the storage path" % name):
        fetch_models(storage_for(s3, name), "nothing", str(tmp_path))


def test_a_config_yml_without_artifacts_is_named(s3, tmp_path):
    name = s3.new_bucket()
    folder = caikit_model_folder(tmp_path / "source", "minilm")
    s3.client().put_object(Bucket=name, Key="caikit/minilm/config.yml", Body=(folder / "config.yml").read_bytes())
    with pytest.raises(StorageError) as error:
        fetch_models(storage_for(s3, name), "caikit", str(tmp_path / "dest"))
    assert str(error.value).startswith("s3://%s/caikit/minilm/config.yml names artifacts_path artifacts, but "
                                       "s3://%s/caikit/minilm/artifacts/ holds no object: upload" % (name, name))
    s3.client().put_object(Bucket=name, Key="caikit/minilm/config.yml", Body=b"name: not a module\n")
    s3.client().put_object(Bucket=name, Key="caikit/minilm/artifacts/config.json", Body=b"{}")
    with pytest.raises(StorageError, match="config.yml names no module_class: model minilm is not a Caikit model"):
        fetch_models(storage_for(s3, name), "caikit", str(tmp_path / "dest"))


class _DamagingClient(object):
    """Lists one model folder and answers a download with other bytes than its ETag says."""

    def __init__(self):
        self.config = b"module_class: caikit_nlp.modules.text_embedding.embedding.EmbeddingModule\n"

    def list_objects_v2(self, **kwargs):
        return {"Contents": [
            {"Key": "m/config.yml", "Size": len(self.config), "ETag": '"%s"' % caikit_storage.hashlib.md5(self.config).hexdigest()},
            {"Key": "m/artifacts/model.safetensors", "Size": 4, "ETag": '"0123456789abcdef0123456789abcdef"'}]}

    def get_object(self, Key, **kwargs):  # noqa: N803 - boto3's keyword
        return {"Body": io.BytesIO(self.config if Key.endswith("config.yml") else b"abcd")}


def test_a_download_whose_md5_is_not_its_etag_is_refused_and_leaves_no_file(tmp_path):
    settings = connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_BUCKET": "models",
                                    "AWS_S3_ENDPOINT": "http://s3.invalid"}, "ns/dc")
    with pytest.raises(StorageError, match=r"s3://models/m/artifacts/model.safetensors arrived damaged \(4 of 4 bytes"):
        fetch_models(CaikitStorage(_DamagingClient(), settings), "", str(tmp_path))
    assert not (tmp_path / "m" / "artifacts").exists() or os.listdir(tmp_path / "m" / "artifacts") == []


class _BreakingBody(io.BytesIO):
    def read(self, size=-1):
        raise ConnectionResetError("connection reset by peer")


def test_a_download_that_breaks_off_is_a_storage_error_and_leaves_no_partial_file(tmp_path):
    client = _DamagingClient()
    client.get_object = lambda Key, **kwargs: {"Body": io.BytesIO(client.config) if Key.endswith("config.yml")
                                               else _BreakingBody()}
    settings = connection_settings({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_S3_BUCKET": "models",
                                    "AWS_S3_ENDPOINT": "http://s3.invalid"}, "ns/dc")
    with pytest.raises(StorageError, match=r"fetching s3://models/m/artifacts/model.safetensors into .* broke off "
                                           r"\(connection reset by peer\): run again"):
        fetch_models(CaikitStorage(client, settings), "", str(tmp_path))
    assert os.listdir(tmp_path / "m" / "artifacts") == []
    assert (tmp_path / "m" / "config.yml").read_bytes() == client.config


# --- the storage of discovered InferenceServices (caikit_discovery's weights_dir) -------------------------------

def _storage(**fields):
    storage = {"uri": "", "key": "", "path": "", "scheme": "", "data_connection": None, "where": ""}
    storage.update(fields)
    return storage


def _secret_of(values):
    return {"data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}}


def test_an_inference_services_storage_is_read_through_the_data_connection_it_names(s3):
    values = s3.connection("models")
    read = []

    def read_secret(namespace, name):
        read.append((namespace, name))
        return _secret_of(values)

    settings, bucket, prefix = caikit_storage.inference_service_storage(
        _storage(key="aws-connection-models", path="/caikit/", scheme="s3", data_connection="aws-connection-models"),
        "rag-prod", read_secret)
    assert (bucket, prefix, settings.source) == ("models", "caikit", "rag-prod/aws-connection-models")
    assert read == [("rag-prod", "aws-connection-models")]
    # a storageUri names the bucket and the prefix; the data connection then needs no bucket
    values.pop("AWS_S3_BUCKET")
    settings, bucket, prefix = caikit_storage.inference_service_storage(
        _storage(uri="s3://other/team/models", key="dc", scheme="s3", data_connection="dc"), "rag-prod", read_secret)
    assert (bucket, prefix) == ("other", "team/models")


def test_storage_that_is_not_s3_through_a_data_connection_says_how_to_fetch_it_instead():
    def read_secret(namespace, name):
        raise AssertionError("no Secret to read")

    with pytest.raises(StorageError, match=r"\(pvc://models/caikit\) is not on S3 through a data connection: .*weights_path"):
        caikit_storage.inference_service_storage(_storage(uri="pvc://models/caikit", scheme="pvc",
                                                          where="pvc://models/caikit"), "ns", read_secret)
    with pytest.raises(StorageError, match=r"storageUri s3://models/x names no data connection .*caikit_weights"):
        caikit_storage.inference_service_storage(_storage(uri="s3://models/x", scheme="s3"), "ns", read_secret)


def _discovered(*services):
    """A kserve.discover result with one proposed reference per (namespace, name, model id, storage)."""
    result = {"services": [], "proposal": {"references": {}, "catalog": {}, "models": []}, "table": [], "problems": []}
    for namespace, name, model_id, storage in services:
        result["services"].append({"namespace": namespace, "name": name, "storage": storage})
        result["proposal"]["references"][model_id] = {"type": "caikit", "model": model_id,
                                                      "discovered_from": "%s/%s" % (namespace, name)}
        result["table"].append({"inference_service": "%s/%s" % (namespace, name), "model_id": model_id})
    return result


def test_fetch_discovered_copies_each_proposed_model_and_the_proposal_points_its_reference_there(s3, bucket, tmp_path):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.kserve import add_fetched_weights

    name, folders = bucket
    connection = _storage(key="dc", path="caikit", scheme="s3", data_connection="dc")
    result = _discovered(("rag-prod", "caikit-embeddings", "all-minilm-l6-v2", connection),
                         ("rag-prod", "caikit-pvc", "bge", _storage(uri="pvc://m/bge", scheme="pvc", where="pvc://m/bge")))

    def read_secret(namespace, secret):
        assert (namespace, secret) == ("rag-prod", "dc")
        return _secret_of(s3.connection(name))

    dest = tmp_path / "weights"
    fetched = caikit_storage.fetch_discovered(result, read_secret, str(dest), timeout=5)
    embeddings = fetched["rag-prod/caikit-embeddings"]
    # only the proposed model of that service, not every folder of its storage (the reranker stays in S3)
    assert set(embeddings["models"]) == {"all-minilm-l6-v2"} and embeddings["changed"] and embeddings["problem"] is None
    model = embeddings["models"]["all-minilm-l6-v2"]
    assert model["path"] == str(dest / "rag-prod" / "caikit-embeddings" / "all-minilm-l6-v2")
    assert model["digest"] == weights_digest(str(folders["all-minilm-l6-v2"]))["digest"]
    assert not (dest / "rag-prod" / "caikit-embeddings" / "ms-marco-minilm").exists()
    assert "is not on S3" in fetched["rag-prod/caikit-pvc"]["problem"] and not fetched["rag-prod/caikit-pvc"]["models"]

    add_fetched_weights(result, fetched)
    references = result["proposal"]["references"]
    assert references["all-minilm-l6-v2"]["weights_path"] == model["path"]
    assert references["all-minilm-l6-v2"]["weights_source"] == "s3://%s/caikit/all-minilm-l6-v2/" % name
    # the digest too, for where the folder is not readable (the check Job)
    assert references["all-minilm-l6-v2"]["weights_digest"] == model["digest"]
    assert "weights_path" not in references["bge"]
    assert [row["weights"] for row in result["table"]] == [model["digest"], "not fetched: " + fetched["rag-prod/caikit-pvc"]["problem"]]
    assert result["problems"] == ["rag-prod/caikit-pvc: Caikit's weights were not fetched: " + fetched["rag-prod/caikit-pvc"]["problem"]]
    # a second fetch downloads nothing
    again = caikit_storage.fetch_discovered(result, read_secret, str(dest), timeout=5)
    assert again["rag-prod/caikit-embeddings"]["changed"] is False


def test_fetch_discovered_in_check_mode_writes_nothing_and_a_missing_secret_is_that_services_problem(s3, bucket, tmp_path):
    name, folders = bucket
    result = _discovered(("rag-prod", "caikit-embeddings", "all-minilm-l6-v2",
                          _storage(key="dc", path="caikit", scheme="s3", data_connection="dc")),
                         ("team", "caikit-gone", "ms-marco-minilm",
                          _storage(key="gone", path="caikit", scheme="s3", data_connection="gone")))

    def read_secret(namespace, secret):
        if secret == "gone":
            raise StorageError("no Secret gone in namespace team: name the data connection's Secret")
        return _secret_of(s3.connection(name))

    fetched = caikit_storage.fetch_discovered(result, read_secret, str(tmp_path / "weights"), check_mode=True, timeout=5)
    assert not (tmp_path / "weights").exists()
    would = fetched["rag-prod/caikit-embeddings"]["models"]["all-minilm-l6-v2"]
    assert would["downloaded"] and would["digest"] is None and "check mode" in would["weights_problem"]
    gone = "no Secret gone in namespace team: name the data connection's Secret"
    assert fetched["team/caikit-gone"] == {"models": {}, "problem": gone, "changed": False}
