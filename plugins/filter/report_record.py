# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters over the report (module_utils/report_record.py, report_markdown.py): report.md's text, the report's ConfigMap
record and reading that record back (the migration_report module writes the files). Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import report_markdown, report_record
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "report_markdown": report_markdown.report_markdown,
    "report_configmap": report_record.report_configmap,
    "read_report_configmap": report_record.read_report_configmap,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)
