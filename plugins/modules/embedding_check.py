#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: embedding_check
short_description: Verify that a vLLM embedding endpoint reproduces a reference's vectors
version_added: 0.1.0
description:
  - Sends the same corpus to a candidate (vLLM or any server of the OpenAI C(/v1/embeddings) API)
    and to a reference (the Caikit-NLP runtime being replaced, another OpenAI-compatible server,
    or a golden file recorded earlier) and compares the vectors gate by gate.
  - "Gates: C(served) (the served model name is listed by C(/v1/models)), C(dimension),
    C(cosine) (every text's cosine similarity to the reference at or above O(cosine_threshold);
    min, mean, p01 reported), C(norms) (a normalized reference needs a normalized candidate),
    C(batch) (a batched request gives the vectors of one request per text), and C(long_input)
    (texts longer than the model limit are rejected or embedded as the reference does)."
  - A check that cannot see all of its data (unreachable endpoint, TLS failure, HTTP 401/404/5xx,
    timeout, malformed JSON, NaN values, partial answers) fails the task with a message naming
    the model, the endpoint, the cause and what to do. It never reports a pass on partial data.
  - Uses the C(/v1/embeddings) path on purpose, since vLLM's C(--api-key) protects only C(/v1) paths.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.endpoint
options:
  model:
    description:
      - Name of the model being checked (the catalog key), used in messages and results.
    type: str
    required: true
  candidate_url:
    description:
      - Base URL of the candidate server, without C(/v1), for example C(http://127.0.0.1:8000).
    type: str
    required: true
  candidate_model:
    description:
      - Model name the candidate serves (vLLM's C(--served-model-name)).
    type: str
    required: true
  candidate_api_key:
    description:
      - Bearer token for the candidate (vLLM's C(--api-key)). Falls back to E(VLLM_API_KEY).
    type: str
  reference_type:
    description:
      - What the candidate is compared with.
      - V(caikit) is the Caikit-NLP REST runtime (C(/api/v1/task/embedding-tasks)).
      - V(openai) is any server of the OpenAI embeddings API.
      - V(golden) is a file written earlier by O(record_golden).
    type: str
    required: true
    choices: [caikit, openai, golden]
  reference_url:
    description:
      - Base URL of the reference server. Required unless O(reference_type=golden).
    type: str
  reference_model:
    description:
      - Model name at the reference (the Caikit C(model_id) or the OpenAI model name).
      - Defaults to O(candidate_model).
    type: str
  reference_api_key:
    description:
      - Bearer token for the reference server.
    type: str
  reference_path:
    description:
      - Golden file to compare with. Required when O(reference_type=golden).
    type: path
  corpus:
    description:
      - Texts to compare. Defaults to a built-in corpus of short queries, passages, technical
        text and 12 languages.
    type: list
    elements: str
  corpus_file:
    description:
      - 'File with the texts: a JSON list (or C({"texts": [...]})) when its name ends in C(.json), else one text per line.'
    type: path
  expected_dimension:
    description:
      - Dimension the catalog says the model has; the C(dimension) gate fails when the candidate differs.
    type: int
  max_tokens:
    description:
      - The model's input limit in tokens. With O(check_long_inputs), texts beyond it are sent to both sides.
    type: int
  check_long_inputs:
    description:
      - Run the C(long_input) gate. Needs O(max_tokens).
    type: bool
    default: true
  truncate_long_inputs:
    description:
      - Ask both sides to truncate over-long inputs (vLLM C(truncate_prompt_tokens=-1), Caikit
        C(truncate_input_tokens=-1)) instead of sending them as consumers do by default.
    type: bool
    default: false
  cosine_threshold:
    description:
      - Lowest acceptable cosine similarity between candidate and reference for any single text.
    type: float
    default: 0.99
  norm_tolerance:
    description:
      - Allowed deviation of a norm from 1 (normalized reference) or relative difference of norms.
    type: float
    default: 0.01
  batch_threshold:
    description:
      - Lowest acceptable cosine between a text's vector from a batched request and from a single request.
    type: float
    default: 0.9999
  batch_size:
    description:
      - Texts per batched request.
    type: int
    default: 16
  record_golden:
    description:
      - Write what the reference answered to this path as a golden file, for later checks with
        O(reference_type=golden). Reported as a change only when the recorded vectors differ.
    type: path
  fail_on_mismatch:
    description:
      - Fail the task when a gate fails. Set to V(false) to collect the result and decide later,
        as the C(verify) role does. Errors reaching an endpoint always fail.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: The comparison only reads; in check mode O(record_golden) is not written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - requests
  - numpy
notes:
  - Cosines are computed in float64 on the vectors as received (C(encoding_format=float)).
"""

EXAMPLES = r"""
- name: Compare vLLM with the Caikit runtime it replaces
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: https://minilm-vllm.apps.example.com
    candidate_model: sentence-transformers/all-MiniLM-L6-v2
    candidate_api_key: "{{ vllm_api_key }}"
    reference_type: caikit
    reference_url: https://caikit.apps.example.com
    reference_model: all-minilm-l6-v2
    expected_dimension: 384
    max_tokens: 256
    ca_path: /etc/pki/ingress-ca.pem
  register: parity

- name: Record Caikit's answers once, then check against the file without Caikit running
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: http://127.0.0.1:8000
    candidate_model: minilm
    reference_type: caikit
    reference_url: http://127.0.0.1:8080
    reference_model: minilm
    record_golden: golden/minilm.json

- name: Check against the golden file and keep going on a mismatch
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: http://127.0.0.1:8000
    candidate_model: minilm
    reference_type: golden
    reference_path: golden/minilm.json
    corpus_file: files/my-corpus.txt
    fail_on_mismatch: false
  register: parity

- name: Show which gates failed
  ansible.builtin.debug:
    msg: "{{ parity.failed_gates }}"
"""

RETURN = r"""
passed:
  description: True when every gate passed.
  returned: success
  type: bool
  sample: true
failed_gates:
  description: Names of the gates that failed.
  returned: success
  type: list
  elements: str
  sample: [cosine]
gates:
  description:
    - One entry per gate with C(passed), C(reason) and its numbers.
    - C(cosine) and C(batch) carry C(min), C(mean), C(p01), C(max), C(threshold), C(below_threshold)
      and C(worst) (up to 5 texts with the lowest cosine).
    - C(norms) carries C(candidate_norm) and C(reference_norm) summaries and C(reference_normalized).
    - C(long_input) carries C(cases), each with C(words), C(reference) and C(candidate) (V(rejected) or V(embedded)).
  returned: success
  type: dict
  sample:
    cosine: {passed: true, reason: "every text has cosine >= 0.99", min: 0.999999, mean: 0.999999,
             p01: 0.999999, max: 1.0, threshold: 0.99, texts: 28, below_threshold: 0, worst: []}
corpus_size:
  description: Number of texts compared.
  returned: success
  type: int
  sample: 28
dimension:
  description: Dimension of the candidate's vectors.
  returned: success
  type: int
  sample: 384
candidate:
  description: Where the candidate was reached.
  returned: always
  type: dict
  sample: {url: "http://127.0.0.1:8000/v1/embeddings", model: minilm}
reference:
  description: What the candidate was compared with.
  returned: always
  type: dict
  sample: {type: caikit, url: "http://127.0.0.1:8080/api/v1/task/embedding-tasks"}
golden_file:
  description: Path of the golden file written, when O(record_golden) was given and not in check mode.
  returned: when written
  type: str
error:
  description: On failure to reach an endpoint, C(model), C(endpoint), C(cause) and C(hint).
  returned: failure
  type: dict
"""

import json
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, JsonEndpoint)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

if HAS_NUMPY and HAS_REQUESTS:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import CaikitEmbeddingClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.corpus import (
        CorpusError, load_corpus, over_long_texts)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.embedding_parity import run_embedding_parity
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import (
        GoldenFileReference, GoldenRecorder)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import OpenAIEmbeddingClient


def _reference(params, endpoint_kwargs):
    kind = params["reference_type"]
    name = params["reference_model"] or params["candidate_model"]
    if kind == "golden":
        return GoldenFileReference(params["reference_path"], params["model"])
    endpoint = JsonEndpoint(params["reference_url"], params["model"], api_key=params["reference_api_key"],
                            **endpoint_kwargs)
    if kind == "caikit":
        return CaikitEmbeddingClient(endpoint, name)
    return OpenAIEmbeddingClient(endpoint, name)


def _write_golden(module, recorder):
    path = module.params["record_golden"]
    document = recorder.document(module.params["model"])
    try:
        with open(path) as handle:
            if json.load(handle).get("records") == document["records"]:
                return False
    except (IOError, OSError, ValueError, AttributeError):
        pass
    if module.check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(document, handle, indent=1)
    module.atomic_move(tmp, path)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            candidate_url=dict(type="str", required=True),
            candidate_model=dict(type="str", required=True),
            candidate_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VLLM_API_KEY"])),
            reference_type=dict(type="str", required=True, choices=["caikit", "openai", "golden"]),
            reference_url=dict(type="str"),
            reference_model=dict(type="str"),
            reference_api_key=dict(type="str", no_log=True),
            reference_path=dict(type="path"),
            corpus=dict(type="list", elements="str"),
            corpus_file=dict(type="path"),
            expected_dimension=dict(type="int"),
            max_tokens=dict(type="int", no_log=False),
            check_long_inputs=dict(type="bool", default=True),
            truncate_long_inputs=dict(type="bool", default=False),
            cosine_threshold=dict(type="float", default=0.99),
            norm_tolerance=dict(type="float", default=0.01),
            batch_threshold=dict(type="float", default=0.9999),
            batch_size=dict(type="int", default=16),
            record_golden=dict(type="path"),
            fail_on_mismatch=dict(type="bool", default=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="float", default=60),
        ),
        mutually_exclusive=[("corpus", "corpus_file")],
        required_if=[
            ("reference_type", "caikit", ("reference_url",)),
            ("reference_type", "openai", ("reference_url",)),
            ("reference_type", "golden", ("reference_path",)),
        ],
        supports_check_mode=True,
    )
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    if not HAS_NUMPY:
        module.fail_json(msg=missing_required_lib("numpy"))
    p = module.params
    if p["batch_size"] < 1:
        module.fail_json(msg="batch_size must be at least 1")
    if p["check_long_inputs"] and not p["max_tokens"]:
        module.fail_json(msg="model '%s': check_long_inputs needs max_tokens (the model's input limit); "
                             "set max_tokens or check_long_inputs=false" % p["model"])

    endpoint_kwargs = dict(validate_certs=p["validate_certs"], ca_path=p["ca_path"], timeout=p["timeout"])
    candidate = OpenAIEmbeddingClient(
        JsonEndpoint(p["candidate_url"], p["model"], api_key=p["candidate_api_key"], **endpoint_kwargs),
        p["candidate_model"])
    result = dict(changed=False, candidate=dict(url=candidate.url, model=p["candidate_model"]))
    try:
        corpus = load_corpus(p["corpus"], p["corpus_file"])
        reference = _reference(p, endpoint_kwargs)
        result["reference"] = dict(type=reference.kind, url=reference.url)
        if p["record_golden"]:
            reference = GoldenRecorder(reference)
        parity = run_embedding_parity(
            candidate, reference, corpus,
            served_models=candidate.served_models(),
            served_model=p["candidate_model"],
            cosine_threshold=p["cosine_threshold"],
            norm_tolerance=p["norm_tolerance"],
            batch_threshold=p["batch_threshold"],
            batch_size=p["batch_size"],
            expected_dimension=p["expected_dimension"],
            long_texts=over_long_texts(p["max_tokens"]) if p["check_long_inputs"] else (),
            truncate_long_inputs=p["truncate_long_inputs"],
        )
    except CorpusError as exc:
        module.fail_json(msg="model '%s': %s" % (p["model"], exc), **result)
    except CheckError as exc:
        module.fail_json(msg=exc.message, error=exc.as_dict(), **result)
    except Exception as exc:  # a bug of ours must still name model and endpoint
        module.fail_json(msg="model '%s': unexpected error comparing %s with the reference: %s"
                         % (p["model"], candidate.url, exc), exception=traceback.format_exc(), **result)

    result.update(parity)
    if p["record_golden"]:
        result["changed"] = _write_golden(module, reference)
        if not module.check_mode:
            result["golden_file"] = p["record_golden"]
    if parity["passed"]:
        result["msg"] = "model '%s': every gate passed on %d texts" % (p["model"], parity["corpus_size"])
    else:
        reasons = "; ".join("%s: %s" % (name, parity["gates"][name]["reason"]) for name in parity["failed_gates"])
        result["msg"] = "model '%s' at %s failed gates: %s" % (p["model"], candidate.url, reasons)
        if p["fail_on_mismatch"]:
            module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
