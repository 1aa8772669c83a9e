# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters of the per-endpoint credentials; the logic is module_utils/cluster_credentials.py.
Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_credentials
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "login_kubernetes": cluster_credentials.login_kubernetes,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
