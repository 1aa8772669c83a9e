#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: client_check
short_description: Run the calls consumers' client libraries make against a candidate vLLM endpoint
version_added: 0.1.0
description:
  - Runs named client calls against the candidate vLLM server and says for each whether it C(works), C(fails)
    (with the server's message) or is C(unavailable) (its library is not installed on the controller).
  - Consumers break on a migration more often than models do - clients that always send C(dimensions), the
    OpenAI Python SDK asking for base64 by default, rerank clients expecting Cohere's fields. docs/consumers.md
    maps Caikit-NLP requests to vLLM's.
  - For embedding models the calls use the real OpenAI Python SDK (and LangChain's C(OpenAIEmbeddings) where
    C(langchain_openai) is installed); for rerankers plain HTTP requests in the Cohere and vLLM dialects.
  - The task fails when a call named in O(required) does not work (unless O(fail_on_gate=false)); the other calls
    are reported only. A call whose library is missing never counts as working.
requirements:
  - requests
  - openai (the OpenAI Python SDK, for the embedding calls; in requirements/controller.txt)
  - langchain_openai (optional, for the C(langchain_openai) call only)
attributes:
  check_mode:
    support: full
    details: The module only reads; in check mode it sends its requests as in a normal run.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.endpoint.check
  - vllm_pooling.migration.endpoint
  - vllm_pooling.migration.endpoint.candidate
  - vllm_pooling.migration.endpoint.candidate_from
  - vllm_pooling.migration.kubernetes.checks
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
options:
  model:
    description:
      - The model's name in the migration (the catalog key), used in messages.
    type: str
    required: true
  kind:
    description:
      - The kind of model the candidate serves; it selects the calls.
    type: str
    choices: [embedding, reranker]
    default: embedding
  expected_dimension:
    description:
      - The dimension every embedding vector must have, and the value the C(openai_sdk_dimensions) call sends
        as C(dimensions).
      - Without it the calls accept the dimension the server returns and C(openai_sdk_dimensions) sends that one.
    type: int
  max_tokens:
    description:
      - The model's context in tokens (the catalog's C(max_tokens)); the C(cohere_v2_rerank) call then sends a
        C(max_tokens_per_doc) that fits it, as a consumer of that model would.
    type: int
  clients:
    description:
      - The calls to run; by default every call of O(kind).
      - For embedding models C(openai_sdk_float) (the SDK with C(encoding_format=float)), C(openai_sdk_default)
        (the SDK's default base64, whose decoded vectors must have a cosine of at least 0.9999 with the float ones -
        they come from a second request, which vLLM on CPU answers with slightly different numbers), C(openai_sdk_single)
        (one plain string as input), C(openai_sdk_dimensions) (C(dimensions) sent, which vLLM accepts only for
        Matryoshka models) and C(langchain_openai) (C(OpenAIEmbeddings.embed_documents)).
      - For rerankers C(cohere_rerank) (C(POST /v1/rerank) with C(top_n) and C(return_documents)),
        C(cohere_v2_rerank) (C(POST /v2/rerank) with C(max_tokens_per_doc) 512, or half of O(max_tokens) when that is
        less) and C(score) (C(POST /v1/score)).
      - Calls named in O(required) run whether listed here or not.
    type: list
    elements: str
  required:
    description:
      - Calls that must work for the check to pass, for example the calls the consumers of this model make.
      - Unknown names are rejected before any request, naming the known ones.
      - Empty (the default) reports every call and passes.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Which of the consumers' calls work against the candidate (report only)
  vllm_pooling.migration.client_check:
    model: all-MiniLM-L6-v2
    candidate_url: http://127.0.0.1:8000
    candidate_model: all-MiniLM-L6-v2
    expected_dimension: 384
  register: clients

- name: The consumers use the OpenAI SDK with its defaults; fail before the cutover if that breaks
  vllm_pooling.migration.client_check:
    model: all-MiniLM-L6-v2
    candidate_url: https://vllm-minilm-rag.apps.example.com
    candidate_model: all-MiniLM-L6-v2
    ca_path: /tmp/ingress-ca.crt
    expected_dimension: 384
    clients: [openai_sdk_float, openai_sdk_default]
    required: [openai_sdk_default]

- name: The same with the key from vLLM's Secret and the router's CA read from the cluster
  vllm_pooling.migration.client_check:
    model: all-MiniLM-L6-v2
    candidate_url: https://vllm-minilm-rag.apps.example.com
    candidate_model: all-MiniLM-L6-v2
    candidate_api_key_from: {secret: rag/vllm-minilm-api-key, key: api-key}
    candidate_ca_from: {ingress: true}
    required: [openai_sdk_default]

- name: A reranker whose consumers speak Cohere's rerank API
  vllm_pooling.migration.client_check:
    model: ms-marco-MiniLM-L-6-v2
    kind: reranker
    candidate_url: http://127.0.0.1:8001
    candidate_model: ms-marco-MiniLM-L-6-v2
    required: [cohere_rerank]
"""

RETURN = r"""
clients:
  description:
    - Per call run, its result - C(status) (C(works), C(fails) or C(unavailable)), C(message) (for a failure the
      model, the URL, the server's message and what to do) and C(seconds), plus the numbers of the call
      (C(vectors), C(dimension), C(max_abs_difference) for embeddings; C(results), C(top_index), C(top_score)
      for rerank; C(scores), C(top_score) for score).
  returned: success
  type: dict
  sample:
    openai_sdk_float: {status: works, message: 3 vectors of dimension 384, vectors: 3, dimension: 384, seconds: 0.04}
    openai_sdk_dimensions:
      status: fails
      message: "model 'minilm' at http://127.0.0.1:8000/v1/embeddings: HTTP 400: Model does not support matryoshka representation"
      seconds: 0.01
required:
  description: The calls that must work.
  returned: always
  type: list
  elements: str
failed_required:
  description: The required calls that did not work.
  returned: success
  type: list
  elements: str
passed:
  description: Whether every required call works.
  returned: always
  type: bool
msg:
  description: The verdict in words, naming the model, the URL and the calls that do not work.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, base_url_without_api_path)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    apply_cluster_credentials, candidate_options, check_options, credential_mutually_exclusive, credential_options,
    endpoint_options, endpoint_settings, fail_without_libraries)

if HAS_REQUESTS:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.client_compat import (
        WORKS, ClientTarget, known_calls, run_calls, unknown_calls, verdict)


def _summary(results, status):
    return [name for name, result in results.items() if result["status"] == status]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            kind=dict(type="str", choices=["embedding", "reranker"], default="embedding"),
            expected_dimension=dict(type="int"),
            max_tokens=dict(type="int", no_log=False),
            clients=dict(type="list", elements="str"),
            required=dict(type="list", elements="str", default=[]),
            **candidate_options(), **check_options(), **endpoint_options(), **credential_options(("candidate",))
        ),
        mutually_exclusive=credential_mutually_exclusive(("candidate",)),
        supports_check_mode=True,
    )
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR)])
    p = module.params
    kind, required = p["kind"], p["required"]
    selected = p["clients"] if p["clients"] is not None else known_calls(kind)
    unknown = unknown_calls(kind, list(selected) + list(required))
    if unknown:
        module.fail_json(msg="model '%s': unknown %s client calls %s; the known ones are %s" % (
            p["model"], kind, ", ".join(sorted(set(unknown))), ", ".join(known_calls(kind))),
            passed=False, required=required)
    if p["expected_dimension"] is not None and p["expected_dimension"] < 1:
        module.fail_json(msg="model '%s': expected_dimension must be positive" % p["model"], passed=False,
                         required=required)
    apply_cluster_credentials(module, ("candidate",))  # token and CA read from the cluster (candidate_*_from)
    base, warning = base_url_without_api_path(p["candidate_url"])
    if warning:
        module.warn(warning)
    target = ClientTarget(base, p["model"], p["candidate_model"], api_key=p["candidate_api_key"],
                          expected_dimension=p["expected_dimension"], max_tokens=p["max_tokens"],
                          **endpoint_settings(p))
    results = run_calls(target, kind, set(selected) | set(required))
    passed, failed_required = verdict(results, required)
    working = _summary(results, WORKS)
    not_working = ["%s (%s)" % (name, result["status"]) for name, result in results.items()
                   if result["status"] != WORKS]
    msg = "model '%s' at %s: %d of %d client calls work" % (p["model"], base, len(working), len(results))
    if not_working:
        msg += "; not working: %s" % ", ".join(not_working)
    if failed_required:
        msg += ". Required calls that do not work: %s. Read clients.<name>.message, then fix the server or " \
               "change the consumers' calls before the cutover (docs/consumers.md)" % ", ".join(failed_required)
    elif not required:
        msg += "; no call is required"
    outcome = dict(clients=results, required=required, failed_required=failed_required, passed=passed, msg=msg)
    if failed_required and p["fail_on_gate"]:
        module.fail_json(**outcome)
    module.exit_json(changed=False, **outcome)


if __name__ == "__main__":
    main()
