#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: endpoint_probe
short_description: Probe a serving endpoint through the path consumers use
version_added: 0.1.0
description:
  - Sends a short burst of real embedding or rerank requests to a serving endpoint and checks every answer
    (each vector present and finite with the expected dimension; one finite score per document).
  - Passes when the error rate and the p95 latency of the correct answers are within their limits and at
    least one request was answered correctly. An answer that is not fully right counts as an error.
  - The C(cutover) role uses it as the smoke check through the consumer-visible path (the endpoint record's
    URL, a consumer's environment, the Route) and as the gate between Route weight steps.
  - It proves that the path answers correctly now; parity with the reference is the verification's job
    (M(vllm_pooling.migration.embedding_check), M(vllm_pooling.migration.score_check)).
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.endpoint
attributes:
  check_mode:
    support: full
    details: The probe only reads; in check mode it still sends its requests, as a smoke check should.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
options:
  url:
    description:
      - Base URL consumers use, without C(/v1), for example V(https://vllm-minilm-ns.apps.example.com).
    type: str
    required: true
  api:
    description:
      - The API the endpoint speaks. V(openai) uses C(/v1/embeddings) or C(/v1/rerank); V(caikit) the Caikit
        HTTP task API.
    type: str
    choices: [openai, caikit]
    default: openai
  kind:
    description: The kind of model behind the endpoint.
    type: str
    choices: [embedding, reranker]
    default: embedding
  model:
    description: The served model name (OpenAI) or Caikit model id.
    type: str
    required: true
  api_key:
    description: Bearer token for the endpoint (vLLM's C(--api-key)). Falls back to E(VLLM_API_KEY).
    type: str
  requests:
    description: Requests to send.
    type: int
    default: 8
  concurrency:
    description: Requests in flight at once.
    type: int
    default: 2
  max_error_rate:
    description: Largest share of wrong or failed answers that still passes, from 0 to 1.
    type: float
    default: 0.0
  max_p95_ms:
    description: Largest p95 latency of the correct answers, in milliseconds, that still passes.
    type: float
    default: 5000
  expected_dimension:
    description: The embedding dimension every vector must have (embedding models).
    type: int
  fail_on_gate:
    description: Fail the task when the probe does not pass. V(false) returns the numbers for a later decision.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Smoke-check the record's URL after a cutover
  vllm_pooling.migration.endpoint_probe:
    url: http://127.0.0.1:8000
    model: all-MiniLM-L6-v2
    expected_dimension: 384

- name: Gate a Route weight step (error rate at most 1 %, p95 at most 800 ms)
  vllm_pooling.migration.endpoint_probe:
    url: https://vllm-minilm-rag.apps.example.com
    model: all-MiniLM-L6-v2
    requests: 40
    concurrency: 4
    max_error_rate: 0.01
    max_p95_ms: 800
    ca_path: /tmp/ingress-ca.crt
    fail_on_gate: false
  register: step_gate
"""

RETURN = r"""
passed:
  description: Whether the probe is within its limits.
  returned: always
  type: bool
requests:
  description: Requests sent.
  returned: success
  type: int
errors:
  description: Requests that failed or returned a wrong answer.
  returned: success
  type: int
error_rate:
  description: C(errors / requests).
  returned: success
  type: float
p50_ms:
  description: Median latency of the correct answers, in milliseconds (null when none).
  returned: success
  type: float
p95_ms:
  description: p95 latency of the correct answers, in milliseconds (null when none).
  returned: success
  type: float
error_samples:
  description: Up to five distinct problems seen, each naming the model and URL.
  returned: success
  type: list
  elements: str
msg:
  description: The verdict in words, naming the model, the URL and the numbers.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, JsonEndpoint, base_url_without_api_path)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    check_options, endpoint_options, endpoint_settings, fail_without_libraries)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

if HAS_NUMPY and HAS_REQUESTS:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.probe import (
        probe_client, probe_verdict, run_probe)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            api=dict(type="str", choices=["openai", "caikit"], default="openai"),
            kind=dict(type="str", choices=["embedding", "reranker"], default="embedding"),
            model=dict(type="str", required=True),
            api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VLLM_API_KEY"])),
            requests=dict(type="int", default=8),
            concurrency=dict(type="int", default=2),
            max_error_rate=dict(type="float", default=0.0),
            max_p95_ms=dict(type="float", default=5000.0),
            expected_dimension=dict(type="int"),
            **check_options(), **endpoint_options()
        ),
        supports_check_mode=True,
    )
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR), ("numpy", HAS_NUMPY, None)])
    p = module.params
    if p["requests"] < 1 or p["concurrency"] < 1 or not 0.0 <= p["max_error_rate"] <= 1.0 or p["max_p95_ms"] <= 0:
        module.fail_json(msg="model '%s' at %s: requests and concurrency must be at least 1, max_error_rate "
                             "between 0 and 1 and max_p95_ms positive" % (p["model"], p["url"]), passed=False)
    base, warning = base_url_without_api_path(p["url"])
    if warning:
        module.warn(warning)
    endpoint = JsonEndpoint(base, p["model"], api_key=p["api_key"], **endpoint_settings(p))
    try:
        client = probe_client(endpoint, p["api"], p["kind"], p["model"])
        result = run_probe(client, p["kind"], p["requests"], p["concurrency"], p["expected_dimension"])
    except CheckError as exc:
        module.fail_json(msg=exc.message, passed=False)
    passed, why = probe_verdict(result, p["max_error_rate"], p["max_p95_ms"])
    numbers = "%d requests, %d errors, p95 %s ms" % (result["requests"], result["errors"], result["p95_ms"])
    if passed:
        msg = "model '%s' at %s answers correctly: %s" % (p["model"], base, numbers)
    else:
        msg = "model '%s' at %s failed the probe: %s (%s). Check the server and the path to it" % (
            p["model"], base, why, numbers)
    if not passed and p["fail_on_gate"]:
        module.fail_json(msg=msg, passed=False, **result)
    module.exit_json(changed=False, passed=passed, msg=msg, **result)


if __name__ == "__main__":
    main()
