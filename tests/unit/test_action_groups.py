# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""meta/runtime.yml's action groups list exactly the modules they are for, read from the modules' argument specs
(as kubernetes.core's tests/unit/test_action_groups.py does), so a new module cannot be left out:

- ``checks``: every module that calls a server with the endpoint options (``validate_certs``, ``ca_path``,
  ``timeout``) or compares with a reference (the ``reference_*`` options);
- ``cluster``: every module that reaches the Kubernetes API with ``kubernetes_options()``.

A play sets their shared options once with ``module_defaults: group/vllm_pooling.migration.<group>``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from unittest import mock

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import module_args

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())


class _Spec(Exception):
    pass


def argument_spec(name):
    """The argument spec module ``name`` hands to AnsibleModule (main() stops right there)."""
    module = importlib.import_module("ansible_collections.vllm_pooling.migration.plugins.modules." + name)

    def capture(*_args, **kwargs):
        raise _Spec(kwargs["argument_spec"])

    with mock.patch.object(module, "AnsibleModule", side_effect=capture):
        with pytest.raises(_Spec) as caught:
            module.main()
    return caught.value.args[0]


def _takes(spec, options):
    return all(name in spec and spec[name] == value for name, value in options.items())


SPECS = {name: argument_spec(name) for name in MODULES}


def test_the_argument_specs_are_read():
    assert MODULES and all(SPECS.values())
    assert _takes(SPECS["embedding_check"], module_args.reference_options())
    assert not _takes(SPECS["migration_decision"], module_args.endpoint_options())


def test_the_checks_group_has_every_module_with_endpoint_or_reference_options():
    expected = sorted(name for name, spec in SPECS.items()
                      if _takes(spec, module_args.endpoint_options()) or _takes(spec, module_args.reference_options()))
    assert expected, "no module takes the endpoint options: the test reads nothing"
    assert sorted(RUNTIME["action_groups"]["checks"]) == expected


def test_the_cluster_group_has_every_module_with_kubernetes_options():
    expected = sorted(name for name, spec in SPECS.items() if _takes(spec, module_args.kubernetes_options()))
    assert expected, "no module takes kubernetes_options(): the test reads nothing"
    assert sorted(RUNTIME["action_groups"]["cluster"]) == expected


def test_every_group_member_is_a_module_of_the_collection():
    for group, members in RUNTIME["action_groups"].items():
        assert set(members) <= set(MODULES), "%s lists modules that do not exist: %s" % (group, set(members) - set(MODULES))


@pytest.mark.parametrize("name", MODULES)
def test_a_module_with_shared_options_documents_them_with_their_fragment(name):
    fragments = yaml.safe_load(importlib.import_module(
        "ansible_collections.vllm_pooling.migration.plugins.modules." + name).DOCUMENTATION).get(
        "extends_documentation_fragment", [])
    for options, fragment in ((module_args.endpoint_options(), "vllm_pooling.migration.endpoint"),
                              (module_args.candidate_options(), "vllm_pooling.migration.endpoint.candidate"),
                              (module_args.reference_options(), "vllm_pooling.migration.endpoint.reference"),
                              (module_args.kubernetes_options(), "vllm_pooling.migration.kubernetes")):
        assert _takes(SPECS[name], options) == (fragment in fragments), (name, fragment)


def test_fail_on_gate_is_the_one_name_and_each_module_keeps_its_default():
    defaults = {name: spec["fail_on_gate"]["default"] for name, spec in SPECS.items() if "fail_on_gate" in spec}
    assert defaults == {"client_check": True, "embedding_check": True, "endpoint_probe": True, "score_check": True,
                        "server_diagnosis": True, "serving_benchmark": False}
    for name, spec in SPECS.items():
        assert not {"fail", "fail_on_mismatch", "fail_on_error"} & set(spec), name
