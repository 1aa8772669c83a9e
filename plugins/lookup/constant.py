# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
name: constant
version_added: 0.1.0
short_description: Values the whole collection shares (labels, port, paths, defaults)
description:
  - Reads C(plugins/module_utils/constants.py), the one place where the collection keeps a value that roles,
    playbooks and modules share.
  - A term is either a constant by its upper-case name (V(VLLM_PORT), V(COMMON_LABELS), V(DEFAULT_MODELS), ...)
    or a path resolved from the controller's environment (V(cache_dir), V(venv_root), V(state_dir)), or
    V(report_dir) (C(reports/) under the working directory of the ansible-playbook process).
  - An unknown name fails with the list of known ones.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
options:
  _terms:
    description: Names of the constants or paths.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Where the reports go by default
  ansible.builtin.debug:
    msg: "{{ lookup('vllm_pooling.migration.constant', 'report_dir') }}"

- name: The labels every object the collection creates carries
  ansible.builtin.debug:
    msg: "{{ lookup('vllm_pooling.migration.constant', 'COMMON_LABELS') }}"
"""

RETURN = r"""
_raw:
  description: The value of each term, in the order of the terms (a single value with C(lookup) and one term).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [constants.value(name) for name in terms]
        except KeyError as exc:
            raise AnsibleLookupError(exc.args[0])
