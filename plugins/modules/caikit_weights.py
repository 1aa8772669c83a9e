#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: caikit_weights
short_description: Fetch the model folders Caikit serves from S3 (an OpenShift AI data connection) to the controller
version_added: 0.1.0
description:
  - Reads the S3 storage of a Caikit runtime through its data connection (the Secret with C(AWS_ACCESS_KEY_ID),
    C(AWS_SECRET_ACCESS_KEY), C(AWS_S3_ENDPOINT), C(AWS_S3_BUCKET) and C(AWS_DEFAULT_REGION)), lists the Caikit model
    folders under the storage path (each folder holding a C(config.yml); its name is the model id Caikit serves) and
    copies the ones asked for into O(dest), keeping Caikit's layout (C(config.yml) and the C(artifacts) folder with
    the Hugging Face files).
  - Idempotent. The ETag and size of every object are recorded in C(.s3-manifest.json) in each model folder; a file
    already there with the same size and ETag (or, without a manifest, an MD5 equal to a single-part ETag) is not
    downloaded again, so a second run reports no change. Files the manifest lists that are gone from S3 are removed.
  - Returns per model the folder vLLM can be started from (C(artifacts) of RV(models), vLLM's C(--model)), the weights
    digest of the folder (the one the C(weights) gate of the checks compares) and where the files came from.
  - The secret key is never returned or shown in a message.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - boto3 (the S3 client).
  - kubernetes.core and the C(kubernetes) Python client, only with O(data_connection_secret).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  data_connection_secret:
    description:
      - The data connection's Secret as C(NAMESPACE/NAME), read from the cluster (the InferenceService's
        C(spec.predictor.model.storage.key) names it). The O(kubeconfig), O(host) and other cluster options apply.
      - Exactly one of O(data_connection_secret), O(data_connection) and O(data_connection_env) is needed.
    type: str
  data_connection:
    description:
      - The data connection's values, for use without a cluster (for example from a vault), keyed as in the Secret.
    type: dict
    suboptions:
      AWS_ACCESS_KEY_ID:
        description: The access key id.
        type: str
      AWS_SECRET_ACCESS_KEY:
        description: The secret key. Never logged or returned.
        type: str
      AWS_S3_ENDPOINT:
        description: The S3 endpoint URL (a host without a scheme means HTTPS).
        type: str
      AWS_S3_BUCKET:
        description: The bucket; not needed with a O(storage_uri), whose bucket is used.
        type: str
      AWS_DEFAULT_REGION:
        description: The region (C(us-east-1) when empty).
        type: str
  data_connection_env:
    description:
      - Read the data connection's values from the environment variables of the same names (C(AWS_ACCESS_KEY_ID), ...),
        as a pod gets them from the Secret through C(secretKeyRef). The init container that copies a model folder for a
        vLLM server (role C(vllm_server), C(model_data_connection)) runs the module this way, so the values never
        appear in a manifest or the module's arguments.
    type: bool
    default: false
  storage_path:
    description:
      - The key prefix in the data connection's bucket that holds the model folders (the InferenceService's
        C(spec.predictor.model.storage.path)). Empty means the bucket's top. Not with O(storage_uri).
    type: str
  storage_uri:
    description:
      - C(s3://BUCKET/PREFIX), as in the InferenceService's C(storageUri); its bucket wins over C(AWS_S3_BUCKET).
        Not with O(storage_path).
    type: str
  models:
    description:
      - The model ids (folder names) to fetch. Empty (the default) fetches every model folder found.
    type: list
    elements: str
    default: []
  dest:
    description:
      - Folder on the controller to copy the model folders into, one C(DEST/MODEL_ID) per model. Created when missing.
    type: path
    required: true
  s3_validate_certs:
    description: Verify the TLS certificate of the S3 endpoint.
    type: bool
    default: true
  s3_ca_path:
    description:
      - PEM bundle that signed the S3 endpoint's certificate (for example the cluster's trusted CA bundle for an
        in-cluster object store).
    type: path
  s3_timeout:
    description: Seconds to wait to connect to the S3 endpoint, and for each read.
    type: float
    default: 30
attributes:
  check_mode:
    support: full
    details: Lists the folders and says what would be fetched (C(downloaded) of RV(models)) without writing.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - Only S3 storage is read. A C(pvc://) or C(oci://) model is not fetched by this module.
"""

EXAMPLES = r"""
- name: Fetch every model of a Caikit InferenceService's storage, reading its data connection from the cluster
  vllm_pooling.migration.caikit_weights:
    data_connection_secret: rag-prod/aws-connection-models
    storage_path: caikit-models
    dest: "{{ playbook_dir }}/caikit-weights"
  register: caikit_weights

- name: Without a cluster, one model, from a storageUri
  vllm_pooling.migration.caikit_weights:
    data_connection:
      AWS_ACCESS_KEY_ID: "{{ vault_s3_access_key }}"
      AWS_SECRET_ACCESS_KEY: "{{ vault_s3_secret_key }}"
      AWS_S3_ENDPOINT: https://minio.example.com
      AWS_DEFAULT_REGION: us-east-1
    storage_uri: s3://models/caikit
    models: [all-minilm-l6-v2]
    dest: /srv/caikit-weights
    s3_ca_path: /etc/pki/tls/certs/minio-ca.pem

- name: Compare vLLM's weights with the ones Caikit serves
  vllm_pooling.migration.embedding_check:
    model_path: "{{ caikit_weights.models[0].artifacts }}"
    reference_weights_path: "{{ caikit_weights.models[0].path }}"
    # ... the check's other options
"""

RETURN = r"""
models:
  description:
    - One entry per model fetched (or that would be, in check mode).
    - C(model_id), C(path) (the Caikit model folder, for O(vllm_pooling.migration.embedding_check#module:reference_weights_path)),
      C(artifacts) (its Hugging Face folder, vLLM's C(--model)), C(kind) (V(embedding) or V(reranker)),
      C(module_class), C(caikit_nlp_version), C(digest) and C(tensors) (the weights digest, None when it could not
      be taken, with the reason in C(weights_problem)), C(downloaded) (files fetched), C(bytes), C(unchanged) (files
      kept), C(removed), C(changed) and C(source) (C(endpoint), C(bucket), C(prefix), C(uri), C(data_connection)).
  returned: always
  type: list
  elements: dict
  sample:
    - model_id: all-minilm-l6-v2
      path: /srv/caikit-weights/all-minilm-l6-v2
      artifacts: /srv/caikit-weights/all-minilm-l6-v2/artifacts
      kind: embedding
      digest: "sha256:0c5d..."
      source: {endpoint: "https://minio.example.com", bucket: models, prefix: caikit/all-minilm-l6-v2/,
               uri: "s3://models/caikit/all-minilm-l6-v2/", data_connection: rag-prod/aws-connection-models}
found:
  description: Every model id (folder with a C(config.yml)) under the storage path.
  returned: always
  type: list
  elements: str
msg:
  description: A summary in words.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_storage import (
    BOTO3_IMPORT_ERROR, ENVIRONMENT_SOURCE, HAS_BOTO3, CaikitStorage, StorageError, connection_settings, fetch_models,
    read_data_connection, s3_client, secret_settings, storage_location)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    DATA_CONNECTION_KEYS, DATA_CONNECTION_OPTIONAL_KEYS)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    fail_without_libraries, kubernetes_client, kubernetes_options)

_CONNECTION_KEYS = DATA_CONNECTION_KEYS + DATA_CONNECTION_OPTIONAL_KEYS

ARGUMENT_SPEC = dict(
    data_connection_secret=dict(type="str", no_log=False),
    data_connection_env=dict(type="bool", default=False),
    data_connection=dict(type="dict", options={
        key: dict(type="str", no_log=key == "AWS_SECRET_ACCESS_KEY") for key in _CONNECTION_KEYS}),
    storage_path=dict(type="str"),
    storage_uri=dict(type="str"),
    models=dict(type="list", elements="str", default=[]),
    dest=dict(type="path", required=True),
    s3_validate_certs=dict(type="bool", default=True),
    s3_ca_path=dict(type="path"),
    s3_timeout=dict(type="float", default=30.0),
    **kubernetes_options()
)


def _settings(module):
    p = module.params
    options = dict(need_bucket=not p["storage_uri"], ca_path=p["s3_ca_path"], validate_certs=p["s3_validate_certs"])
    if p["data_connection"] is not None:
        return connection_settings(p["data_connection"], "data_connection", **options)
    if p["data_connection_env"]:
        values = {key: os.environ.get(key) for key in _CONNECTION_KEYS}
        return connection_settings(values, ENVIRONMENT_SOURCE, **options)
    secret = read_data_connection(kubernetes_client(module), p["data_connection_secret"])
    return secret_settings(secret, p["data_connection_secret"].strip(), **options)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[("data_connection_secret", "data_connection"),
                                               ("storage_path", "storage_uri")])
    p = module.params
    given = [name for name in ("data_connection_secret", "data_connection") if p[name] is not None]
    if len(given) + int(p["data_connection_env"]) != 1:
        module.fail_json(msg="give exactly one of data_connection_secret, data_connection and data_connection_env=true "
                             "(given: %s)" % (", ".join(given + (["data_connection_env"] if p["data_connection_env"] else []))
                                              or "none"))
    fail_without_libraries(module, [("boto3", HAS_BOTO3, BOTO3_IMPORT_ERROR)])
    try:
        bucket, prefix = storage_location(p["storage_uri"], p["storage_path"])
        settings = _settings(module)
        storage = CaikitStorage(s3_client(settings, p["s3_timeout"]), settings, bucket=bucket)
        result = fetch_models(storage, prefix, p["dest"], [m.strip() for m in p["models"] if m.strip()],
                              check_mode=module.check_mode)
    except StorageError as exc:
        module.fail_json(msg=str(exc))
    fetched = [m for m in result["models"] if m["downloaded"]]
    msg = "%d Caikit model folder(s) under s3://%s/%s at %s; %s %d (%d file(s), %d bytes), %d already up to date" % (
        len(result["found"]), storage.bucket, prefix.strip("/"), settings.endpoint or "AWS S3",
        "would fetch" if module.check_mode else "fetched", len(fetched), sum(len(m["downloaded"]) for m in fetched),
        sum(m["bytes"] for m in fetched), len(result["models"]) - len(fetched))
    problems = ["%s: %s" % (m["model_id"], m["weights_problem"]) for m in result["models"] if m["weights_problem"]]
    if problems and not module.check_mode:
        module.warn("weights not digested, the weights gate cannot compare them: " + "; ".join(problems))
    module.exit_json(changed=result["changed"], msg=msg, found=result["found"], models=result["models"])


if __name__ == "__main__":
    main()
