# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""caikit_weights run by ansible-playbook, reading its data connection Secret through kubernetes.core's client from the
Kubernetes API emulator, and fetching from moto's S3 server on 127.0.0.1 (tests/unit/s3_server.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from s3_server import LocalS3, caikit_model_folder, upload_folder  # noqa: E402  # pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "emulated-secret-key"
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Fetch Caikit's weights
      vllm_pooling.migration.caikit_weights:
        data_connection_secret: team-rag/aws-connection-models
        storage_path: caikit
        dest: "{{ dest }}"
        kubeconfig: "{{ kubeconfig }}"
      register: fetched
    - name: Show the result
      ansible.builtin.copy:
        content: "{{ fetched | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


@pytest.fixture
def s3():
    server = LocalS3()
    yield server
    server.stop()


def run(tmp_path, name, **variables):
    result_file = tmp_path / ("%s.json" % name)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-v",
         "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", json.dumps(dict(variables, result_file=str(result_file))),
         str(tmp_path / "play.yml")], capture_output=True, text=True, timeout=300, env=env, check=False)
    return proc, (json.loads(result_file.read_text()) if result_file.is_file() else None)


def test_the_data_connection_secret_is_read_from_the_cluster_and_the_weights_fetched(emulator, s3, tmp_path):
    bucket = s3.new_bucket()
    folder = caikit_model_folder(tmp_path / "source", "all-minilm-l6-v2")
    upload_folder(s3.client(), bucket, folder, "caikit")
    emulator.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-rag"}})
    values = s3.connection(bucket, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    emulator.create("/api/v1/namespaces/team-rag/secrets", {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "aws-connection-models", "namespace": "team-rag",
                     "labels": {"opendatahub.io/dashboard": "true"},
                     "annotations": {"opendatahub.io/connection-type": "s3"}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}})
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(emulator.kubeconfig()))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    variables = {"dest": str(tmp_path / "dest"), "kubeconfig": str(kubeconfig)}

    proc, first = run(tmp_path, "first", **variables)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert first["changed"] is True and first["found"] == ["all-minilm-l6-v2"]
    (model,) = first["models"]
    assert model["source"]["data_connection"] == "team-rag/aws-connection-models" and model["kind"] == "embedding"
    assert (Path(model["artifacts"]) / "model.safetensors").read_bytes() == \
        (folder / "artifacts" / "model.safetensors").read_bytes()
    assert SECRET_KEY not in proc.stdout + proc.stderr
    assert ("GET", "/api/v1/namespaces/team-rag/secrets/aws-connection-models") in emulator.seen()

    proc, second = run(tmp_path, "second", **variables)
    assert proc.returncode == 0 and second["changed"] is False, proc.stdout[-3000:]
