# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The namespace_inventory module: its documentation against its spec, and how it reads discovery.

Listing a real API is covered by the emulator tests (cleanup in test_guard_ownership.py)."""

from __future__ import annotations

import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.modules import namespace_inventory


def _shape(option):
    return option["type"], option.get("elements"), bool(option.get("required")), sorted(option.get("aliases", []))


def test_documented_options_match_the_argument_spec():
    documented = dict(yaml.safe_load(namespace_inventory.DOCUMENTATION)["options"],
                      **yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    assert {name: _shape(option) for name, option in documented.items()} == \
        {name: _shape(option) for name, option in namespace_inventory.ARGUMENT_SPEC.items()}
    assert namespace_inventory.ARGUMENT_SPEC["api_key"]["no_log"] is True


def test_returned_keys_are_documented():
    assert set(yaml.safe_load(namespace_inventory.RETURN)) == {"objects", "listed", "skipped", "unlisted"}


class _Resource(object):
    def __init__(self, group_version, kind, namespaced=True, verbs=("list",), preferred=True):
        self.group_version, self.kind, self.namespaced = group_version, kind, namespaced
        self.verbs, self.preferred = list(verbs), preferred


class ResourceList(_Resource):
    """Named like the kubernetes client's class for the lists of sub-resources, which discovery also yields."""


class _Client(object):
    def __init__(self, entries):
        self.resources = entries


def test_discovery_keeps_resources_and_leaves_out_subresource_lists():
    entries = [[_Resource("v1", "ConfigMap")], [ResourceList("v1", "PodList")], [_Resource("apps/v1", "Deployment")],
               ["not a resource"]]
    found = namespace_inventory._discovered(_Client(entries))
    assert [(r["api_version"], r["kind"]) for r in found] == [("v1", "ConfigMap"), ("apps/v1", "Deployment")]
    assert found[0]["verbs"] == ["list"] and found[0]["namespaced"] is True
