# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The caikit_discovery module's documentation against its spec (the work is in module_utils/kserve.py, tested in
test_kserve.py; the module against an emulated cluster in tests/emulator/test_caikit_discovery_emulator.py)."""

from __future__ import annotations

import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.modules import caikit_discovery


def test_every_option_is_documented_with_its_type_and_default():
    documented = yaml.safe_load(caikit_discovery.DOCUMENTATION)["options"]
    documented.update(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    spec = caikit_discovery.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
    assert spec["token"]["no_log"] and spec["api_key"]["no_log"]


def test_every_returned_key_is_documented():
    assert set(yaml.safe_load(caikit_discovery.RETURN)) == {
        "services", "models", "proposal", "fragment", "fragment_header", "table", "table_markdown", "review",
        "problems", "msg", "effective", "weights"}
