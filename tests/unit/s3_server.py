# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A local S3-compatible server for the tests of caikit_storage and caikit_weights: moto's server, in this process,
on 127.0.0.1 and a free port, and Caikit model folders (as caikit_nlp's bootstrap saves them) uploaded to it."""

from __future__ import annotations

import json
import os
import uuid

import boto3
from botocore.config import Config
from moto import settings as moto_settings
from moto.server import ThreadedMotoServer

from safetensors_files import model_tensors, write_safetensors

REGION = "us-east-1"
MODULE_IDS = {"EmbeddingModule": "eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f",
              "CrossEncoderModule": "1673f8f2-726f-48cb-93a1-540c81f0f3c9"}
PACKAGES = {"EmbeddingModule": "text_embedding.embedding", "CrossEncoderModule": "text_embedding.crossencoder"}


class LocalS3(object):
    """moto's S3 on 127.0.0.1; ``client()`` a boto3 client for it, ``new_bucket()`` a bucket of its own per test."""

    def __init__(self):
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = "http://%s:%d" % (host, port)

    def client(self, service="s3", access_key="test-access", secret_key="test-secret"):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, config=Config(s3={"addressing_style": "path"}))

    def new_bucket(self):
        name = "models-" + uuid.uuid4().hex[:12]
        self.client().create_bucket(Bucket=name)
        return name

    def connection(self, bucket, **overrides):
        """The values of a data connection to ``bucket`` (a Secret's keys)."""
        values = {"AWS_ACCESS_KEY_ID": "test-access", "AWS_SECRET_ACCESS_KEY": "test-secret",
                  "AWS_S3_ENDPOINT": self.url, "AWS_S3_BUCKET": bucket, "AWS_DEFAULT_REGION": REGION}
        values.update(overrides)
        return values

    def user_keys(self, actions=("s3:*",), effect="Allow"):
        """An IAM user whose policy allows (or denies) ``actions``, as ``(access key id, secret key)``; the keys only
        matter once authentication is on (``require_keys``)."""
        iam = self.client("iam")
        user = "user-" + uuid.uuid4().hex[:8]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    @staticmethod
    def require_keys(monkeypatch):
        """From now on (until the test ends) moto checks every request's keys and the user's policy."""
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)

    def stop(self):
        self.server.stop()


def caikit_config(module="EmbeddingModule"):
    """A config.yml as caikit_nlp's bootstrap writes it (ModuleSaver's keys and the module's artifacts_path)."""
    return ("artifacts_path: artifacts\ncaikit_nlp_version: 0.5.15\ncreated: '2026-12-01 10:00:00.000000'\n"
            "module_class: caikit_nlp.modules.%s.%s\nmodule_id: %s\nname: %s\ntracking_id: %s\nversion: 0.0.1\n"
            % (PACKAGES[module], module, MODULE_IDS[module], module.replace("Module", ""), uuid.uuid4()))


def caikit_model_folder(root, model_id, module="EmbeddingModule", tensors=None):
    """A Caikit model folder on disk: config.yml, artifacts/ with config.json, tokenizer files and model.safetensors."""
    folder = root / model_id
    artifacts = folder / "artifacts"
    artifacts.mkdir(parents=True)
    (folder / "config.yml").write_text(caikit_config(module))
    (artifacts / "config.json").write_text('{"architectures": ["BertModel"], "hidden_size": 8}')
    (artifacts / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "WordPiece"}}')
    (artifacts / "tokenizer_config.json").write_text('{"do_lower_case": true}')
    (artifacts / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": "Transformer"}]')
    write_safetensors(artifacts / "model.safetensors", tensors or model_tensors())
    return folder


def upload_folder(client, bucket, folder, prefix):
    """Every file under ``folder`` to ``s3://bucket/prefix/<folder name>/...``; returns the keys."""
    keys = []
    for dirpath, dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            relative = os.path.relpath(path, folder.parent).replace(os.sep, "/")
            key = "%s/%s" % (prefix.strip("/"), relative) if prefix.strip("/") else relative
            with open(path, "rb") as handle:
                client.put_object(Bucket=bucket, Key=key, Body=handle.read())
            keys.append(key)
    return sorted(keys)
