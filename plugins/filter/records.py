# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters that build the collection's records and plans; the logic lives in module_utils
(records.py, cluster_plan.py, check_job.py). Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import check_job, cluster_plan, records
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map


FILTERS = {
    "local_endpoints": records.local_endpoints,
    "local_references": records.local_references,
    "cluster_endpoint": records.cluster_endpoint,
    "verification_plan": records.verification_plan,
    "result_record": records.result_record,
    "check_job_models": check_job.in_job,
    "server_plan": cluster_plan.server_plan,
    "server_url": cluster_plan.server_url,
    "route_host": cluster_plan.route_host,
    "label_selector": cluster_plan.label_selector,
    "cleanup_plan": cluster_plan.cleanup_plan,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
