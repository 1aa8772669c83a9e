# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The report's text, its ConfigMap record (written by decide, read back by a later job) and the AWX summary."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vllm_pooling.migration.plugins.filter.report_record import FilterModule
from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    attach_performance, endpoint_record, publish_models, result_record, verification_plan)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_record import (
    CONFIGMAP_LIMIT, ReportRecordError, configmap_data_size, read_report_configmap, report_configmap, report_json,
    report_summary, write_report)

GENERATED_AT = "2026-11-24T08:00:00Z"


def outputs(models=("minilm", "msmarco"), passed=("minilm",), performance=True, reason_extra=""):
    """``(vllm_migration, vllm_migration_decision)`` as the decide role publishes them."""
    results = {}
    for entry in resolve_models({}, list(models)):
        ready = endpoint_record(entry, "ready", url="http://127.0.0.1:8000")
        plan = verification_plan(entry, ready, {"type": "caikit", "url": "http://127.0.0.1:8080"})
        ok = entry["key"] in passed
        check = {"passed": ok, "msg": "checked" + reason_extra, "gates": {"cosine": {"passed": ok, "reason": "x"}},
                 "failed_gates": [] if ok else ["score_parity", "ranking"]}
        results[entry["key"]] = result_record(entry, ready, {"type": "caikit", "url": "http://127.0.0.1:8080",
                                                             "api_key": "never-in-a-report"}, plan=plan, check=check)
    if performance:
        results = attach_performance(results, {key: {"status": "passed", "advisory": False, "reason": "ok"}
                                               for key in results})
    record = decide(results)
    decision = {key: record[key] for key in ("decision", "reasons", "passed_models", "blocked_models",
                                             "performance_required")}
    decision.update(warnings=record["warnings"], platform="openshift", generated_at=GENERATED_AT)
    return publish_models(results, record), decision


@pytest.fixture
def hybrid():
    return outputs()


def test_report_json_is_the_report_document_as_sorted_indented_text(hybrid):
    models, decision = hybrid
    text = report_json(models, decision)
    assert text.endswith("}\n") and text.startswith('{\n  "decision": {')
    assert json.loads(text) == {"schema": constants.REPORT_SCHEMA, "decision": decision, "models": models}
    assert text == report_json(json.loads(text)["models"], json.loads(text)["decision"])  # stable: same input, same bytes
    assert "never-in-a-report" not in text


@pytest.mark.parametrize("decision, message", [
    ({"decision": "maybe", "generated_at": GENERATED_AT}, "has no decision .*'maybe'"),
    ({"decision": "migrate"}, "does not say when it was made"),
    (None, "has no decision"),
])
def test_report_json_refuses_a_report_without_a_decision(hybrid, decision, message):
    with pytest.raises(ReportRecordError, match=message):
        report_json(hybrid[0], decision)


def test_the_configmap_holds_the_file_text_unchanged_with_labels_and_time(hybrid):
    text = report_json(*hybrid)
    cm = report_configmap(text, "# vLLM migration report\n", "rag-vllm", "/r/latest")
    assert cm["apiVersion"] == "v1" and cm["kind"] == "ConfigMap"
    assert cm["metadata"]["name"] == constants.REPORT_CONFIGMAP == "vllm-migration-report"
    assert cm["metadata"]["namespace"] == "rag-vllm"
    assert cm["metadata"]["labels"] == dict(constants.COMMON_LABELS, **{constants.COMPONENT_LABEL: "report"})
    assert cm["metadata"]["annotations"] == {"vllm-migration/generated-at": GENERATED_AT}
    assert cm["data"] == {"report.json": text, "report.md": "# vLLM migration report\n", "decision": "hybrid"}
    assert cm["data"]["report.json"] is text
    # a parsed report gives the same text as report_json
    assert report_configmap(json.loads(text), "md", "ns")["data"]["report.json"] == text
    assert report_configmap(text, "md", "ns", name="other")["metadata"]["name"] == "other"


def test_the_configmap_refuses_what_is_not_a_report(hybrid):
    with pytest.raises(ReportRecordError, match="not JSON"):
        report_configmap("{not json", "md", "ns")
    with pytest.raises(ReportRecordError, match="is not a vllm_pooling.migration/report/v1 document"):
        report_configmap(json.dumps({"schema": "x"}), "md", "ns")
    with pytest.raises(ReportRecordError, match="no namespace for the report ConfigMap vllm-migration-report"):
        report_configmap(report_json(*hybrid), "md", "")


def test_a_report_too_large_for_a_configmap_fails_naming_namespace_file_and_remedy():
    models, decision = outputs(reason_extra="x" * CONFIGMAP_LIMIT)
    text = report_json(models, decision)
    with pytest.raises(ReportRecordError) as error:
        report_configmap(text, "md", "rag-vllm", "/work/reports/latest")
    message = str(error.value)
    assert "ConfigMap vllm-migration-report in namespace rag-vllm" in message
    assert "1 MiB" in message and str(configmap_data_size({"report.json": text, "report.md": "md", "decision": "hybrid"})) in message
    assert "kept in /work/reports/latest" in message
    assert "vllm_migration_models" in message and "decide_report_configmap: false" in message
    with pytest.raises(ReportRecordError, match="Check mode wrote no report file"):
        report_configmap(text, "md", "rag-vllm", "")


def test_the_size_counts_utf8_bytes_and_the_limit_is_inclusive(hybrid):
    assert configmap_data_size({"k": "é"}) == 3
    text = report_json(*hybrid)
    fixed = configmap_data_size({"report.json": text, "report.md": "", "decision": "hybrid"})
    assert report_configmap(text, "m" * (CONFIGMAP_LIMIT - fixed), "ns")  # exactly 1 MiB fits
    with pytest.raises(ReportRecordError, match="too large"):
        report_configmap(text, "m" * (CONFIGMAP_LIMIT - fixed + 1), "ns")


def test_reading_the_configmap_back_gives_the_report(hybrid):
    text = report_json(*hybrid)
    cm = report_configmap(text, "md", "rag-vllm")
    # as the API returns it: with server fields added
    cm["metadata"].update(uid="u-1", resourceVersion="7", managedFields=[{"manager": "x"}])
    assert read_report_configmap(cm) == json.loads(text)


def _broken(cm, path, value):
    target = cm
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return cm


@pytest.mark.parametrize("path, value, message", [
    (("metadata", "labels", "app.kubernetes.io/managed-by"), "Helm", "not labelled app.kubernetes.io/managed-by=vllm_pooling.migration"),
    (("metadata", "labels"), None, "not labelled"),
    (("data", "report.json"), None, r"ConfigMap vllm-migration-report in namespace rag-vllm holds no report.json \(keys: decision, report.md\)"),
    (("data", "report.json"), "{broken", "report.json of ConfigMap vllm-migration-report in namespace rag-vllm is not JSON"),
    (("data", "report.json"), '{"schema": "someone/else/v1"}', "is not a vllm_pooling.migration/report/v1 document"),
    (("data", "decision"), "migrate", "says decision 'migrate' but its report.json says 'hybrid': it was edited by hand"),
    (("metadata", "annotations", "vllm-migration/generated-at"), "2020-01-01T00:00:00Z", "edited by hand"),
    (("kind",), "Secret", "is a Secret, not a ConfigMap"),
])
def test_reading_refuses_a_configmap_that_is_not_our_intact_record(hybrid, path, value, message):
    cm = _broken(report_configmap(report_json(*hybrid), "md", "rag-vllm"), path, value)
    with pytest.raises(ReportRecordError, match=message):
        read_report_configmap(cm)


@pytest.mark.parametrize("missing", [None, {}, []])
def test_reading_no_configmap_says_how_to_make_one(missing):
    with pytest.raises(ReportRecordError, match="no report ConfigMap vllm-migration-report: run the decide role"):
        read_report_configmap(missing)


def test_the_summary_has_the_decision_a_line_per_model_and_the_report_locations(hybrid):
    lines = report_summary(hybrid[0], hybrid[1], "/r/latest", "rag-vllm/vllm-migration-report")
    assert lines == [
        "decision: hybrid",
        "minilm: passed (to vLLM)",
        "msmarco: failed: score_parity, ranking (stays on Caikit)",
        "report: /r/latest/report.md, /r/latest/report.json",
        "report record: ConfigMap vllm-migration-report in namespace rag-vllm",
    ]
    assert report_summary(hybrid[0], hybrid[1])[-1] == "report: not written (check mode)"


def test_the_summary_says_why_a_passing_model_stays():
    migrate = outputs(models=("minilm",))
    assert report_summary(*migrate)[1] == "minilm: passed (to vLLM)"
    unmeasured = outputs(models=("minilm",), performance=False)
    assert unmeasured[1]["decision"] == "keep_caikit"
    assert report_summary(*unmeasured)[1] == "minilm: passed, but performance not measured (stays on Caikit)"
    # a reranker that passes under hybrid stays on Caikit with the other rerankers
    models, decision = outputs(models=("minilm", "msmarco", "bge_reranker"), passed=("minilm", "bge_reranker"))
    assert decision["decision"] == "hybrid"
    assert "bge_reranker: passed (stays on Caikit)" in report_summary(models, decision)


def test_the_summary_shortens_long_reasons():
    models, decision = outputs(models=("minilm",))
    models["minilm"].update(status="load_failed", reason="CUDA out of memory " + "y" * 500 + "\nsecond line")
    models["minilm"]["verdict"]["ok"] = False
    line = report_summary(models, decision)[1]
    assert line.startswith("minilm: load_failed: CUDA out of memory yyy") and line.endswith("yyy... (stays on Caikit)")
    assert "second line" not in line and len(line) < 200
    with pytest.raises(ReportRecordError, match="needs the decide role's vllm_migration_decision"):
        report_summary(models, {"decision": "unknown"})


def test_the_filters_are_the_functions_and_fail_plainly(hybrid):
    filters = FilterModule().filters()
    assert sorted(filters) == ["read_report_configmap", "report_configmap", "report_markdown"]
    text = report_json(*hybrid)
    assert filters["read_report_configmap"](filters["report_configmap"](text, "md", "ns")) == json.loads(text)
    with pytest.raises(AnsibleFilterError, match="^read_report_configmap: no report ConfigMap"):
        filters["read_report_configmap"]({})
    with pytest.raises(AnsibleFilterError, match="^report_markdown: report_markdown needs the decide role's"):
        filters["report_markdown"]({}, {})


def test_write_report_puts_the_same_texts_and_charts_into_the_kept_and_the_latest_folder(hybrid, tmp_path):
    chart = tmp_path / "minilm-throughput.svg"
    chart.write_text("<svg/>")
    models, decision = hybrid
    models["minilm"]["performance"] = dict(models["minilm"]["performance"], chart=str(chart))
    written = write_report(models, decision, report_dir=str(tmp_path / "reports"))
    kept, latest = tmp_path / "reports" / "2026-11-24T080000Z", tmp_path / "reports" / "latest"
    assert written["folders"] == [str(kept), str(latest)] and written["latest"] == str(latest)
    for folder in (kept, latest):
        assert (folder / "report.json").read_text() == written["json"] == report_json(*hybrid)
        assert (folder / "report.md").read_text() == written["markdown"]
        assert (folder / "minilm-throughput.svg").read_text() == "<svg/>"
        assert oct((folder / "report.json").stat().st_mode & 0o777) == "0o644"
    assert written["summary"][-1] == "report: %s/report.md, %s/report.json" % (latest, latest)
    assert sorted(written["files"]) == sorted(str(f) for f in (kept, latest) for f in
                                              (f / "report.json", f / "report.md", f / "minilm-throughput.svg"))


def test_write_report_in_check_mode_writes_nothing_and_says_so(hybrid, tmp_path):
    written = write_report(*hybrid, report_dir=str(tmp_path / "reports"), configmap="ns/vllm-migration-report",
                           check_mode=True)
    assert not (tmp_path / "reports").exists()
    assert written["latest"] == "" and written["json"] == report_json(*hybrid)
    assert written["summary"][-2:] == ["report: not written (check mode)",
                                       "report record: ConfigMap vllm-migration-report in namespace ns"]


def test_write_report_replaces_latest_but_keeps_the_earlier_report(hybrid, tmp_path):
    models, decision = hybrid
    write_report(models, decision, str(tmp_path))
    later = dict(decision, generated_at="2026-11-25T09:30:00Z", decision="keep_caikit")
    write_report(models, later, str(tmp_path))
    assert json.loads((tmp_path / "latest" / "report.json").read_text())["decision"]["decision"] == "keep_caikit"
    assert json.loads((tmp_path / "2026-11-24T080000Z" / "report.json").read_text())["decision"] == decision
