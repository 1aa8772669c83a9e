# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters of the model storage and the prefetch Job; the logic is module_utils/storage_plan.py.
Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import storage_plan
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "pod_placement": storage_plan.pod_placement,
    "prefetch_repos": storage_plan.prefetch_repos,
    "claim_access_mode": storage_plan.claim_access_mode,
    "prefetch_job_action": storage_plan.prefetch_job_action,
    "name_by_template": storage_plan.name_by_template,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
