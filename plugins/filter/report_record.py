# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters over the report (module_utils/report_record.py, report_markdown.py): its texts, its ConfigMap record, reading that
record back, and the job summary. Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import report_markdown, report_record
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "report_json": report_record.report_json,
    "report_markdown": report_markdown.report_markdown,
    "report_configmap": report_record.report_configmap,
    "read_report_configmap": report_record.read_report_configmap,
    "report_summary": report_record.report_summary,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
