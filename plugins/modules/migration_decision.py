#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: migration_decision
short_description: Decide migrate, hybrid or keep_caikit from per-model verification results
version_added: 0.1.0
description:
  - Applies the team's decision matrix to the results of the selected models.
  - V(migrate) when every selected model passed every gate and its performance held.
  - V(hybrid) when every embedding model passed but a reranker did not (vLLM for embeddings,
    Caikit for reranking).
  - V(keep_caikit) otherwise, including when only some embedding models passed or nothing passed.
  - A model that was not verified (missing weights, failed to load, endpoint error) never passes
    and blocks V(migrate).
  - Pure computation; it changes nothing.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  results:
    description:
      - Per model key, a dict with at least C(status) (one of V(passed), V(failed), V(load_failed),
        V(error), V(not_verified)) and C(kind) (V(embedding) or V(reranker)); optional C(failed_gates),
        C(reason), C(warnings) (a list of C({gate, message})) and C(performance) (a performance record
        with C(status) V(passed), V(failed), V(not_measured) or V(error), C(advisory) and C(reason)),
        as the C(verify) and C(benchmark) roles record them.
      - An C(advisory) performance record (the local platform's default) counts once measured; its
        failure becomes a warning instead of blocking V(migrate).
    type: dict
    required: true
  performance:
    description:
      - Per model key the performance record of the benchmark (the C(benchmark) role's C(benchmark_results)), set into
        each result before the decision; a key without a verified result fails the task.
    type: dict
    default: {}
  require_performance:
    description:
      - Require a passed performance gate for V(migrate) and V(hybrid). Without benchmark results a
        model's performance is C(not_measured) and does not count as held.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Decide
  vllm_pooling.migration.migration_decision:
    results:
      minilm: {status: passed, kind: embedding, performance: {status: passed, advisory: false}}
      msmarco: {status: failed, kind: reranker, failed_gates: [score]}
  register: decision

- name: Show it
  ansible.builtin.debug:
    msg: "{{ decision.decision }}: {{ decision.reasons | join('; ') }}"
"""

RETURN = r"""
published:
  description:
    - Per model key the result record with its performance and its C(verdict) from this decision (the C(decide) role
      publishes it as C(vllm_migration)).
  returned: success
  type: dict
decision:
  description: V(migrate), V(hybrid) or V(keep_caikit).
  returned: success
  type: str
  sample: hybrid
reasons:
  description: Why, one line per reason or blocking gate.
  returned: success
  type: list
  elements: str
decision_warnings:
  description: "Named findings that do not block, one line each: C(<model>: <gate>: <message>)."
  returned: success
  type: list
  elements: str
models:
  description:
    - Per model, C(ok), C(parity_ok), C(performance) (V(passed), V(failed), V(not_measured), V(error)),
      C(performance_advisory), C(blocking), C(warnings), C(kind).
  returned: success
  type: dict
passed_models:
  description: Keys of the models that passed everything required.
  returned: success
  type: list
  elements: str
blocked_models:
  description: Keys of the models that did not.
  returned: success
  type: list
  elements: str
performance_required:
  description: Echo of O(require_performance).
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import DecisionError, decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import RecordError, attach_performance, publish_models


def main():
    module = AnsibleModule(
        argument_spec=dict(
            results=dict(type="dict", required=True),
            performance=dict(type="dict", default={}),
            require_performance=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    try:
        results = attach_performance(module.params["results"], module.params["performance"])
        record = decide(results, module.params["require_performance"])
        record["published"] = publish_models(results, record)
    except (DecisionError, RecordError) as exc:
        module.fail_json(msg=str(exc))
    # Ansible reserves a result's ``warnings`` key for its own display.
    record["decision_warnings"] = record.pop("warnings")
    module.exit_json(changed=False, **record)


if __name__ == "__main__":
    main()
