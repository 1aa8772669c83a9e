#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: migration_report
short_description: Write the migration report (report.json, report.md, charts) and the job summary
version_added: 0.1.0
description:
  - Renders the report once, as C(report.json) (schema C(vllm_pooling.migration/report/v1)) and C(report.md), and
    writes both, with the benchmark charts the models' performance records name (C(performance.chart)), into
    C(<report_dir>/<generated_at>/) (kept) and C(<report_dir>/latest/)
    (replaced by each run).
  - Returns the texts, so that a cluster run keeps the very same bytes in its report ConfigMap, and the few
    lines AWX shows on the job's page.
  - Runs on the controller. In check mode nothing is written; the texts and the summary are returned all the same.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  models:
    description: Per model key the result record with its C(verdict) (the C(decide) role's C(vllm_migration)).
    type: dict
    required: true
  decision:
    description:
      - The decision record (the C(decide) role's C(vllm_migration_decision)), with C(decision) and C(generated_at)
        (its time names the kept folder).
    type: dict
    required: true
  report_dir:
    description: The folder that holds the reports.
    type: path
    required: true
  configmap:
    description: C(namespace/name) of the report ConfigMap, only named in the summary (empty on the local platform).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Write the report
  vllm_pooling.migration.migration_report:
    models: "{{ vllm_migration }}"
    decision: "{{ vllm_migration_decision }}"
    report_dir: "{{ playbook_dir }}/reports"
  register: report

- name: Say where it is
  ansible.builtin.debug:
    msg: "{{ report.summary }}"
"""

RETURN = r"""
json:
  description: The text of report.json.
  returned: success
  type: str
markdown:
  description: The text of report.md.
  returned: success
  type: str
folders:
  description: The two folders the report goes to, the kept one first, then C(latest).
  returned: success
  type: list
  elements: str
latest:
  description: The C(latest) folder, empty in check mode (nothing written).
  returned: success
  type: str
  sample: /home/me/vllm-migration/reports/latest
files:
  description: The files written (or, in check mode, that would be).
  returned: success
  type: list
  elements: str
summary:
  description: The lines for the job's page (the decision, one line per model, where the report is).
  returned: success
  type: list
  elements: str
  sample: ["decision: migrate", "minilm: passed (to vLLM)", "report: reports/latest/report.md, reports/latest/report.json"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_record import ReportRecordError, write_report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            models=dict(type="dict", required=True),
            decision=dict(type="dict", required=True),
            report_dir=dict(type="path", required=True),
            configmap=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        written = write_report(p["models"], p["decision"], p["report_dir"], p["configmap"], module.check_mode)
    except ReportRecordError as exc:
        module.fail_json(msg="the report was not written: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="could not write the report into %s: %s. Check that the folder (vllm_migration_report_dir) "
                             "is writable and that the charts exist." % (p["report_dir"], exc))
    module.exit_json(changed=True, **written)


if __name__ == "__main__":
    main()
