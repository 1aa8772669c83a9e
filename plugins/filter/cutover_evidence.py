# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters of the cutover's evidence, records and saved state; the logic is module_utils/cutover.py.
Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "report_digest": cutover.report_digest,
    "cutover_allowed": cutover.cutover_allowed,
    "evidence_problems": cutover.evidence_problems,
    "target_record": cutover.target_record,
    "consumer_record": cutover.consumer_record,
    "begin_cutover_state": cutover.begin_state,
    "finish_cutover_state": cutover.finish_state,
    "cutover_previous": cutover.previous_of,
    "record_file_snapshot": cutover.file_snapshot,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
