# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The decide role keeps the report in a ConfigMap on a cluster (scenario ``report_configmap``).

Result records are prepared with the collection's record functions (no servers); the real decide role writes
the files and applies the ConfigMap with kubernetes.core to the emulated API. What the emulator cannot prove:
the API server's own size validation (the role refuses before sending), RBAC for ConfigMaps, and server-side
apply's field ownership (the emulator merges).
"""

from __future__ import annotations

import json

from harness import NAMESPACE
from report_scenarios import ABSENT_NAMESPACE, FOREIGN_NAMESPACE

NAME = "vllm-migration-report"
WRITE_TASK = "Write the report into its ConfigMap in namespace %s" % NAMESPACE


def _ok(step):
    assert step["run"].returncode == 0, step["run"].describe()


def _results(run, name):
    return [result for task, result in run.tasks() if task == name]


def _configmap(step, namespace=NAMESPACE):
    return step["objects"]["ConfigMap"].get((namespace, NAME))


def _report_dir(report_configmap, step):
    return report_configmap.workdir / ("reports-%s" % step) / "latest"


def _configmap_writes(step, namespace=NAMESPACE):
    return [w for w in step["writes"] if w.path.startswith("/api/v1/namespaces/%s/configmaps" % namespace)]


def test_the_configmap_holds_the_report_files_with_labels_and_time(report_configmap):
    step = report_configmap.step("publish")
    _ok(step)
    cm = _configmap(step)
    assert cm is not None, sorted(step["objects"]["ConfigMap"])
    labels = cm["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"
    assert labels["app.kubernetes.io/part-of"] == "vllm-migration" and labels["app.kubernetes.io/component"] == "report"
    assert set(cm["data"]) == {"report.json", "report.md", "decision"}
    folder = _report_dir(report_configmap, "publish")
    # the same bytes as the files on the controller
    assert cm["data"]["report.json"] == (folder / "report.json").read_text()
    assert cm["data"]["report.md"] == (folder / "report.md").read_text()
    report = json.loads(cm["data"]["report.json"])
    assert report["schema"] == "vllm_pooling.migration/report/v1"
    assert cm["data"]["decision"] == report["decision"]["decision"] == "hybrid"
    assert cm["metadata"]["annotations"]["vllm-migration/generated-at"] == report["decision"]["generated_at"]
    assert report["models"]["minilm"]["status"] == "passed" and report["models"]["msmarco"]["failed_gates"] == ["score_parity"]
    assert "reference-secret" not in cm["data"]["report.json"]
    assert "# vLLM migration report" in cm["data"]["report.md"] and "hybrid" in cm["data"]["report.md"]


def test_applying_the_same_report_again_changes_nothing(report_configmap):
    step = report_configmap.step("publish")
    _ok(step)
    first, again = _results(step["run"], WRITE_TASK)
    assert first["changed"] is True
    assert again["changed"] is False, again
    assert [w for w in _configmap_writes(step) if w.dry_run] == []


def test_a_later_job_reads_the_report_back(report_configmap):
    step = report_configmap.step("publish")
    _ok(step)
    read = json.loads((report_configmap.workdir / "read-publish.json").read_text())
    assert read == json.loads(_configmap(step)["data"]["report.json"])


def test_the_job_summary_names_each_model_the_decision_and_both_report_locations(report_configmap):
    step = report_configmap.step("publish")
    _ok(step)
    (stats,) = _results(step["run"], "Hand the summary to AWX / Automation Controller (shown on the job's page)")
    summary = stats["ansible_stats"]["data"]["vllm_migration_summary"]
    folder = _report_dir(report_configmap, "publish")
    assert summary == ["decision: hybrid", "minilm: passed (to vLLM)", "msmarco: failed: score_parity (stays on Caikit)",
                       "report: %s/report.md, %s/report.json" % (folder, folder),
                       "report record: ConfigMap %s in namespace %s" % (NAME, NAMESPACE)]
    # the data keys the AWX workflow reads are still there, unchanged
    (decision,) = _results(step["run"], "Hand the results to AWX / Automation Controller workflows")
    assert sorted(decision["ansible_stats"]["data"]) == ["vllm_migration", "vllm_migration_decision"]


def test_check_mode_shows_the_new_report_as_a_diff_and_stores_nothing(report_configmap):
    before = _configmap(report_configmap.step("publish"))
    step = report_configmap.step("check")
    _ok(step)
    (write,) = _results(step["run"], WRITE_TASK)
    assert write["changed"] is True and write.get("diff"), write  # a new report: new generated_at
    writes = _configmap_writes(step)
    assert writes and all(w.dry_run for w in writes), writes
    assert _configmap(step)["data"] == before["data"]
    assert not _report_dir(report_configmap, "check").exists()
    (stats,) = _results(step["run"], "Hand the summary to AWX / Automation Controller (shown on the job's page)")
    summary = stats["ansible_stats"]["data"]["vllm_migration_summary"]
    assert summary[-1] == "report: not written (check mode)", summary  # and no ConfigMap claimed


def test_a_report_too_large_for_a_configmap_fails_clearly_and_keeps_the_files(report_configmap):
    before = _configmap(report_configmap.step("publish"))
    step = report_configmap.step("too_large")
    run = step["run"]
    assert run.returncode != 0
    (failed,) = [result for _name, result in run.tasks() if result.get("failed")]
    folder = _report_dir(report_configmap, "too_large")
    message = failed["msg"]
    assert "too large for the ConfigMap %s in namespace %s" % (NAME, NAMESPACE) in message, message
    assert "1 MiB" in message and "kept in %s" % folder in message and "vllm_migration_models" in message
    assert "Traceback" not in message
    assert (folder / "report.json").stat().st_size > 1024 * 1024 and (folder / "report.md").is_file()
    assert _configmap_writes(step) == [] and _configmap(step) == before


def test_a_missing_namespace_fails_naming_it_and_the_report_files(report_configmap):
    step = report_configmap.step("no_namespace")
    run = step["run"]
    assert run.returncode != 0
    (failed,) = [result for _name, result in run.tasks() if result.get("failed")]
    folder = _report_dir(report_configmap, "no_namespace")
    assert "Namespace %s does not exist" % ABSENT_NAMESPACE in failed["msg"] and str(folder) in failed["msg"]
    assert (folder / "report.json").is_file()
    assert step["writes"] == []


def test_check_mode_before_the_namespace_exists_says_what_it_would_write(report_configmap):
    step = report_configmap.step("no_namespace_check")
    _ok(step)
    messages = [r.get("msg", "") for name, r in step["run"].tasks() if name == "Report the ConfigMap a real run would write"]
    assert messages and "would write the report into ConfigMap %s of the new namespace %s" % (NAME, ABSENT_NAMESPACE) \
        in " ".join(messages)
    assert step["writes"] == []


def test_a_report_configmap_someone_else_made_is_left_alone_and_not_named_on_the_job_page(report_configmap):
    step = report_configmap.step("foreign")
    _ok(step)
    configmap = _configmap(step, FOREIGN_NAMESPACE)
    assert configmap["data"] == {"note": "hand-made"} and configmap["metadata"]["labels"] == {"team": "search"}
    assert _configmap_writes(step, FOREIGN_NAMESPACE) == []
    (warning,) = _results(step["run"], "Say that the report ConfigMap is someone else's and was not written")
    assert "was not written into it" in warning["msg"]
    (stats,) = _results(step["run"], "Hand the summary to AWX / Automation Controller (shown on the job's page)")
    summary = stats["ansible_stats"]["data"]["vllm_migration_summary"]
    assert summary[0] == "decision: hybrid" and not [line for line in summary if line.startswith("report record:")]
    assert (report_configmap.workdir / "reports-foreign" / "latest" / "report.json").exists()
