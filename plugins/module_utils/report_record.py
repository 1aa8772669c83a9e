# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The report (``vllm_pooling.migration/report/v1``) as text, as a ConfigMap record, and as a summary.

The decide role writes ``report.json`` and ``report.md`` on the controller; on a cluster it also keeps both
in the ConfigMap ``REPORT_CONFIGMAP`` of the migration's namespace, because on AWX the files die with the
job's container. A later job (the cutover) reads that ConfigMap back with ``read_report_configmap``.
``report_summary`` is the few lines AWX shows on the job's page (``set_stats``).
"""

from __future__ import annotations

import json
import os
import shutil

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    CLIENT_WORKS, COMMON_LABELS, COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, REPORT_CONFIGMAP, REPORT_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import DECISIONS, MOVES_TO_VLLM
from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_markdown import report_markdown

REPORT_JSON_KEY = "report.json"
REPORT_MD_KEY = "report.md"
DECISION_KEY = "decision"
GENERATED_AT_ANNOTATION = "vllm-migration/generated-at"
COMPONENT = "report"
# The API server refuses a ConfigMap whose data exceeds 1 MiB. It counts the values; the keys are counted
# here too, so a record this module accepts is always accepted there.
CONFIGMAP_LIMIT = 1024 * 1024
SUMMARY_DETAIL_CHARS = 160


class ReportRecordError(ValueError):
    pass


def report_json(models, decision):
    """The text of report.json, byte for byte what the file and the ConfigMap hold (sorted keys, indent 2)."""
    report = {"schema": REPORT_SCHEMA, "decision": decision, "models": models}
    check_report(report, "the report")
    return json.dumps(report, indent=2, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def check_report(report, where):
    """Raise ReportRecordError unless ``report`` is a report document with a decision; ``where`` names it."""
    if not isinstance(report, dict):
        raise ReportRecordError("%s is not a JSON object but %s" % (where, type(report).__name__))
    if report.get("schema") != REPORT_SCHEMA:
        raise ReportRecordError("%s is not a %s document (its schema is %r)" % (where, REPORT_SCHEMA, report.get("schema")))
    decision = report.get("decision")
    if not isinstance(decision, dict) or decision.get("decision") not in DECISIONS:
        raise ReportRecordError("%s has no decision (%s expected, found %r)" % (
            where, " / ".join(DECISIONS), decision.get("decision") if isinstance(decision, dict) else decision))
    if not decision.get("generated_at"):
        raise ReportRecordError("%s does not say when it was made (decision.generated_at is empty)" % where)
    if not isinstance(report.get("models"), dict):
        raise ReportRecordError("%s has no per-model results (models is %r)" % (where, type(report.get("models")).__name__))


def _parse(text, where):
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ReportRecordError("%s is not JSON: %s" % (where, exc))


def configmap_data_size(data):
    """Bytes of a ConfigMap's data as UTF-8, keys included (at least what the API server counts)."""
    return sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in data.items())


def report_configmap(report, markdown, namespace, report_path="", name=REPORT_CONFIGMAP):
    """The ConfigMap that keeps the report in the cluster.

    ``report`` is report.json's text as written to the file (``report_json``; a parsed report is serialized
    the same way), ``markdown`` report.md's text, ``report_path`` the folder of the files on this controller
    (named in the error when the record is too large; empty in check mode, where no file is written).
    """
    if not namespace:
        raise ReportRecordError("no namespace for the report ConfigMap %s: set vllm_migration_namespace" % name)
    parsed = _parse(report, "the report")
    check_report(parsed, "the report")
    text = report if isinstance(report, str) else report_json(parsed["models"], parsed["decision"])
    decision = parsed["decision"]
    data = {REPORT_JSON_KEY: text, REPORT_MD_KEY: markdown or "", DECISION_KEY: decision["decision"]}
    size = configmap_data_size(data)
    if size > CONFIGMAP_LIMIT:
        kept = ("The report files are kept in %s (report.json, report.md): copy them somewhere lasting before the "
                "job's container goes" % report_path) if report_path else "Check mode wrote no report file"
        raise ReportRecordError(
            "the report is too large for the ConfigMap %s in namespace %s: %d bytes, more than the %d bytes "
            "(1 MiB) a ConfigMap can hold. %s. Verify fewer models per run (vllm_migration_models) so each "
            "report fits, or set decide_report_configmap: false and keep vllm_migration_report_dir on a "
            "persistent volume." % (name, namespace, size, CONFIGMAP_LIMIT, kept))
    labels = dict(COMMON_LABELS)
    labels[COMPONENT_LABEL] = COMPONENT
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels,
                         "annotations": {GENERATED_AT_ANNOTATION: decision["generated_at"]}},
            "data": data}


def read_report_configmap(configmap):
    """The report a ConfigMap written by ``report_configmap`` holds, checked; ReportRecordError says what is wrong.

    ``configmap`` is the object as the API returns it (``kubernetes.core.k8s_info``'s ``resources[0]``).
    Refused: not a ConfigMap, not labelled as this collection's, without report.json, report.json that is
    not JSON or not a report, or a ``decision`` key or generated-at annotation that disagrees with it.
    """
    if not isinstance(configmap, dict) or not configmap:
        raise ReportRecordError("no report ConfigMap %s: run the decide role (playbooks/verify.yml or migrate.yml) "
                                "on the cluster first" % REPORT_CONFIGMAP)
    metadata = configmap.get("metadata") or {}
    where = "ConfigMap %s in namespace %s" % (metadata.get("name", "?"), metadata.get("namespace", "?"))
    if configmap.get("kind", "ConfigMap") != "ConfigMap":
        raise ReportRecordError("%s is a %s, not a ConfigMap" % (where, configmap.get("kind")))
    if (metadata.get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY:
        raise ReportRecordError("%s is not labelled %s=%s: it was not written by this collection, so its report "
                                "is not used" % (where, MANAGED_BY_LABEL, MANAGED_BY))
    data = configmap.get("data") or {}
    if not data.get(REPORT_JSON_KEY):
        raise ReportRecordError("%s holds no %s (keys: %s): run the decide role again to write it"
                                % (where, REPORT_JSON_KEY, ", ".join(sorted(data)) or "none"))
    report = _parse(data[REPORT_JSON_KEY], "%s of %s" % (REPORT_JSON_KEY, where))
    check_report(report, "%s of %s" % (REPORT_JSON_KEY, where))
    decision = report["decision"]
    if data.get(DECISION_KEY, decision["decision"]) != decision["decision"]:
        raise ReportRecordError("%s says decision %r but its report.json says %r: it was edited by hand; run the "
                                "decide role again" % (where, data[DECISION_KEY], decision["decision"]))
    stamped = (metadata.get("annotations") or {}).get(GENERATED_AT_ANNOTATION, decision["generated_at"])
    if stamped != decision["generated_at"]:
        raise ReportRecordError("%s is annotated %s=%s but its report.json was made %s: it was edited by hand; run "
                                "the decide role again" % (where, GENERATED_AT_ANNOTATION, stamped, decision["generated_at"]))
    return report


def _short(text):
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else "no reason recorded"
    return line if len(line) <= SUMMARY_DETAIL_CHARS else line[:SUMMARY_DETAIL_CHARS - 3] + "..."


def _model_line(key, model, decision):
    verdict = model.get("verdict") or {}
    status = model.get("status", "?")
    if status == "passed":
        detail = "passed" if verdict.get("ok") else "passed, but " + "; ".join(verdict.get("blocking") or ["no verdict"])
    elif status == "failed":
        detail = "failed: " + ", ".join(model.get("failed_gates") or ["?"])
    else:
        detail = "%s: %s" % (status, model.get("reason") or "")
    moves = bool(verdict.get("ok")) and model.get("kind") in MOVES_TO_VLLM.get(decision, ())
    return "%s: %s%s%s (%s)" % (key, _short(detail), _retrieval_numbers(model), _client_numbers(model),
                                "to vLLM" if moves else "stays on Caikit")


def _client_numbers(model):
    """``, client calls 4/5 work`` when the consumers' client calls were run."""
    calls = (((model.get("details") or {}).get("clients") or {}).get("calls")) or {}
    if not calls:
        return ""
    return ", client calls %d/%d work" % (sum(1 for c in calls.values() if c.get("status") == CLIENT_WORKS), len(calls))


def _retrieval_numbers(model):
    """``, ndcg@10 vLLM 0.81 / reference 0.81`` when the model's retrieval quality was measured."""
    gate = (model.get("gates") or {}).get("retrieval") or {}
    if not all(isinstance(gate.get(name), (int, float)) for name in ("candidate", "reference")):
        return ""
    return ", %s vLLM %.3f / reference %.3f" % (gate.get("metric", "ndcg"), gate["candidate"], gate["reference"])


def report_summary(models, decision, report_dir="", configmap=""):
    """The lines AWX shows on the job's page: the decision, one line per model, where the report is.

    ``models`` and ``decision`` are the decide role's outputs (``vllm_migration``, ``vllm_migration_decision``),
    ``report_dir`` the folder of report.md / report.json (empty: not written, check mode), ``configmap``
    ``namespace/name`` of the report ConfigMap (empty on the local platform).
    """
    if not isinstance(decision, dict) or decision.get("decision") not in DECISIONS:
        raise ReportRecordError("report_summary needs the decide role's vllm_migration_decision (with decision one "
                                "of %s), not %r" % (", ".join(DECISIONS), decision))
    lines = ["decision: %s" % decision["decision"]]
    lines += [_model_line(key, model or {}, decision["decision"]) for key, model in sorted((models or {}).items())]
    lines.append("report: %s/report.md, %s/report.json" % (report_dir, report_dir) if report_dir
                 else "report: not written (check mode)")
    if configmap:
        namespace, _sep, name = configmap.rpartition("/")
        lines.append("report record: ConfigMap %s in namespace %s" % (name, namespace))
    return lines


def report_folders(report_dir, generated_at):
    """The folders a report goes to: one named after its time (kept), and ``latest`` (replaced by each run)."""
    return ["%s/%s" % (report_dir, str(generated_at).replace(":", "")), "%s/latest" % report_dir]


def report_charts(models):
    """The benchmark charts the models' performance records name (report.md links each by its file name)."""
    return [record["chart"] for record in (model.get("performance") or {} for _key, model in sorted(models.items()))
            if record.get("chart")]


def write_report(models, decision, report_dir, configmap="", check_mode=False):
    """Render report.json and report.md once and write them, with the benchmark charts their performance records
    name, into both report folders.

    Returns ``{json, markdown, folders, latest, files, summary}``; in check mode nothing is written and the summary
    says so. ``configmap`` (``namespace/name``) is only named in the summary.
    """
    charts = report_charts(models)
    text_json = report_json(models, decision)
    text_markdown = report_markdown(models, decision)
    folders = report_folders(report_dir, decision.get("generated_at", ""))
    files = []
    for folder in folders:
        files += ["%s/report.json" % folder, "%s/report.md" % folder]
        files += ["%s/%s" % (folder, os.path.basename(chart)) for chart in charts]
    if not check_mode:
        for folder in folders:
            os.makedirs(folder, mode=0o755, exist_ok=True)
            _write(os.path.join(folder, "report.json"), text_json)
            for chart in charts:
                shutil.copyfile(chart, os.path.join(folder, os.path.basename(chart)))
                os.chmod(os.path.join(folder, os.path.basename(chart)), 0o644)
            # report.md last: a reader who sees it finds the JSON and the charts it refers to
            _write(os.path.join(folder, "report.md"), text_markdown)
    latest = "" if check_mode else folders[1]
    return {"json": text_json, "markdown": text_markdown, "folders": folders, "latest": latest, "files": files,
            "summary": report_summary(models, decision, latest, configmap)}


def _write(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o644)
