# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters over performance records (module_utils/performance.py); documented in benchmark_markdown.yml."""

from __future__ import annotations

import importlib

from ansible.errors import AnsibleFilterError

from ansible_collections.vllm_pooling.migration.plugins.module_utils import report_markdown


def _performance():
    """module_utils/performance.py, imported when one of these filters runs, not when the file loads.

    Every Ansible worker imports every filter file of the collection whenever a task uses any of its
    filters; performance.py pulls in numpy and aiohttp (about 0.4 s), which made every task slower."""
    return importlib.import_module("ansible_collections.vllm_pooling.migration.plugins.module_utils.performance")


def benchmark_markdown(records, link_charts=True):
    """Markdown per model from ``{key: performance record}`` (or one record): see benchmark_markdown.yml."""
    try:
        return report_markdown.performance_markdown(records, link_charts)
    except report_markdown.ReportMarkdownError as exc:
        raise AnsibleFilterError("benchmark_markdown: %s" % exc)


def performance_unmeasured(reason, status="not_measured", advisory=False):
    """A performance record without measurements (status not_measured or error): see performance_unmeasured.yml."""
    if status not in ("not_measured", "error"):
        raise AnsibleFilterError("performance_unmeasured: status must be not_measured or error, got %r" % status)
    performance = _performance()
    build = performance.not_measured_record if status == "not_measured" else performance.error_record
    return build(str(reason), advisory=bool(advisory))


class FilterModule(object):
    def filters(self):
        return {"benchmark_markdown": benchmark_markdown, "performance_unmeasured": performance_unmeasured}
