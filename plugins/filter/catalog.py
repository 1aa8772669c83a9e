# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters over the model catalog; the logic lives in module_utils/catalog.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import (
    CatalogError, resolve_models, vllm_args)


def _resolve_catalog(overrides, selected):
    try:
        return resolve_models(overrides, selected)
    except CatalogError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"resolve_catalog": _resolve_catalog, "vllm_args": vllm_args}
