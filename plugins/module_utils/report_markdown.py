# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""report.md: the report for people, rendered from the very records report.json holds.

Every gate of every check is shown with its own numbers: the embedding gates (``gates.py``), the reranker
gates (``score_gates.py``) and the performance record (``performance.py``) each have a formatter here. A gate
this module does not know, or one whose numbers are not shaped as expected, is shown generically (its scalar
numbers), never a failure: a report that cannot be written hides everything that was measured.

Standard library only: the filter files import this module, and every Ansible worker imports every filter file.
"""

from __future__ import annotations

import json
import os

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    PERFORMANCE_ADVISORY_PREFIX, PERFORMANCE_SCHEMA)

PERFORMANCE_STATUS_WORDS = {"passed": "passed", "failed": "failed", "not_measured": "not measured",
                            "error": "could not be measured"}
# How many numbers a generic gate row shows at most (a gate with a hundred counters stays readable).
GENERIC_NUMBERS_SHOWN = 8


class ReportMarkdownError(ValueError):
    pass


def cell(value):
    """Text safe inside a Markdown table cell: no line break, no column separator."""
    return " ".join(str(value if value is not None else "-").split()).replace("|", "\\|")


def _number(value, digits=1):
    return "-" if not isinstance(value, (int, float)) or isinstance(value, bool) else "%.*f" % (digits, value)


def _span(summary):
    summary = summary or {}
    return "%s..%s" % (summary.get("min", "?"), summary.get("max", "?"))


def _threshold(gate, key="threshold", label="threshold"):
    return " (%s %s)" % (label, gate[key]) if gate.get(key) is not None else ""


# --- embedding gates (module_utils/gates.py) -------------------------------------------------------------------

def _served_list(gate):
    return "served: %s" % (", ".join(str(name) for name in gate.get("served") or []) or "none")


def _served_config(gate):
    text = "context %s tokens (catalog %s)" % (gate.get("max_model_len", "?"), gate.get("expected_max_model_len", "?"))
    if gate.get("expected_root"):
        text += ", root %s (expected %s)" % (gate.get("root") or "?", gate["expected_root"])
    return text


def _input_lengths(gate):
    text = "%s texts; longest both embed %s tokens; rejected by both %s" % (
        gate.get("texts", "?"), gate.get("longest_tokens") if gate.get("longest_tokens") is not None else "?",
        gate.get("rejected_by_both", 0))
    mismatches = gate.get("mismatches") or []
    if mismatches:
        text += "; %d rejected by one side only, e.g. text %s (%s tokens) by the %s" % (
            len(mismatches), mismatches[0].get("index"), mismatches[0].get("tokens"), mismatches[0].get("rejected_by"))
    return text


def _dimension(gate):
    return "vLLM %s, reference %s, catalog %s" % (gate["candidate"], gate["reference"], gate.get("expected") or "-")


def _cosines(gate):
    text = "min %s, mean %s, p01 %s%s" % (gate["min"], gate["mean"], gate["p01"], _threshold(gate))
    if gate.get("below_threshold"):
        text += "; %s below" % gate["below_threshold"]
    return text


def _norms(gate):
    text = "vLLM norm %s, reference %s" % (_span(gate["candidate_norm"]), _span(gate["reference_norm"]))
    if gate.get("max_relative_difference") is not None:
        text += ", max relative difference %s" % gate["max_relative_difference"]
    return text + _threshold(gate, "tolerance", "tolerance")


def _tokens(gate):
    if gate.get("texts") is None:
        return "-"
    text = "%s of %s texts differ" % (gate.get("differing", 0), gate["texts"])
    worst = gate.get("worst") or []
    if worst:
        first = worst[0]
        text += ", e.g. %r: vLLM %s, reference %s" % (first.get("text"), first.get("candidate"), first.get("reference"))
    return text


def _embedding_long_input(gate):
    cases = []
    for case in gate["cases"]:
        text = "%s words (%s): reference %s, vLLM %s" % (case["words"], case.get("mode", "default"),
                                                         case["reference"], case["candidate"])
        if case.get("cosine") is not None:
            text += ", cosine %s" % case["cosine"]
        cases.append(text)
    return "; ".join(cases) or "no case"


def _distinct_side(finding, kind):
    if not finding.get("judged"):
        return "not judged"
    what = ("the same vector" if kind == "embedding" else "one score per query") if finding.get("collapsed") else (
        "distinct vectors" if kind == "embedding" else "distinct scores")
    inputs = ("%s distinct texts" % finding.get("distinct_inputs") if kind == "embedding" else
              "%s documents over %s queries" % (finding.get("distinct_inputs"), finding.get("queries_judged")))
    return "%s for %s" % (what, inputs)


def _distinct_outputs(kind):
    """Both sides of the distinct_outputs gate (module_utils/distinct_outputs.py): collapsed, or how many inputs."""
    def numbers(gate):
        return "vLLM %s; reference %s" % (_distinct_side(gate["candidate"], kind),
                                          _distinct_side(gate.get("reference") or {}, kind))
    return numbers


# --- reranker gates (module_utils/score_gates.py) --------------------------------------------------------------

def _reranker_served(gate):
    return "%s; max_model_len %s (catalog %s)" % (_served_list(gate), gate.get("max_model_len"),
                                                  gate.get("expected_max_model_len"))


def _reranker_input_lengths(gate):
    text = "%s pairs; rejected by vLLM only %s, by the reference only %s, by both %s" % (
        gate["pairs"], gate.get("rejected_by_candidate", 0), gate.get("rejected_by_reference", 0),
        gate.get("rejected_by_both", 0))
    if gate.get("candidate_context_tokens") is not None:
        text += "; vLLM's context %s tokens, the model's max_tokens %s" % (
            gate["candidate_context_tokens"], gate.get("max_tokens"))
    return text


def _tolerance(gate):
    if gate.get("abs_tolerance") is None:
        return ""
    return " (tolerance %s + %s x |reference|)" % (gate["abs_tolerance"], gate.get("rel_tolerance", 0))


def _deviation(summary):
    return "max deviation %s, mean %s; %s of %s pairs outside tolerance" % (
        summary["max"], summary["mean"], summary.get("outside_tolerance", "?"), summary.get("pairs", "?"))


def _score_parity(gate):
    versus = gate["vs_reference"]
    text = "%s; signed shift %s%s" % (_deviation(versus), gate.get("mean_signed_shift", versus.get("mean_signed_shift")),
                                      _tolerance(gate))
    if gate.get("vs_model"):
        text += "; vs the model's own scores: vLLM max %s, reference max %s" % (
            gate["vs_model"]["max"], (gate.get("reference_vs_model") or {}).get("max", "?"))
    if gate.get("attribution") not in (None, "none"):
        text += "; deviation attributed to: %s" % gate["attribution"]
    return text


def _agreement(versus):
    return "top-1 equal on %s of %s queries, min Kendall tau %s, min NDCG %s" % (
        versus.get("top1_agree", "?"), len(versus.get("queries") or []), versus.get("min_kendall_tau"),
        versus.get("min_ndcg"))


def _ranking(gate):
    text = "%s (thresholds: tau %s, NDCG@%s %s)" % (
        _agreement(gate["vs_reference"]), gate.get("kendall_tau_threshold"), gate.get("ndcg_k"), gate.get("ndcg_threshold"))
    if gate.get("vs_model"):
        text += "; vs the model's own scores: %s" % _agreement(gate["vs_model"])
    if gate.get("attribution") not in (None, "none"):
        text += "; deviation attributed to: %s" % gate["attribution"]
    return text


def _model_agreement(gate):
    model = gate.get("model") or {}
    text = "%s; %s" % (_deviation(gate["scores"]), _agreement(gate["ranking"]))
    if model.get("uses_token_types") is not None:
        text += "; the model uses token type ids: %s" % ("yes" if model["uses_token_types"] else "no")
    return text


def _labelled(gate):
    if gate.get("queries") is None:
        return "-"
    return "relevant document first for %s of %s queries (reference %s)" % (
        gate.get("correct"), gate["queries"], gate.get("reference_correct"))


def _consistency(gate):
    return "%s%s" % (_deviation(gate), _tolerance(gate))


def _reranker_long_input(gate):
    cases = []
    for case in gate["cases"]:
        text = "%s (%s words): reference %s, vLLM %s" % (case["name"], case["words"], case["reference"], case["candidate"])
        if case.get("candidate_score") is not None:
            text += " (%s vs %s)" % (case["candidate_score"], case["reference_score"])
        cases.append(text)
    if gate.get("scores_compared") is False:
        cases.append("scores not compared (the sides disagree on ordinary pairs)")
    return "; ".join(cases) or "no case"


def _retrieval(gate):
    return "%s vLLM %.4f, reference %.4f, delta %+.4f (interval %+.4f to %+.4f), margin %s; top-k changed for %d of " \
           "%d queries" % (gate["metric"], gate["candidate"], gate["reference"], gate["delta"], gate["interval"][0],
                           gate["interval"][1], gate["margin"], gate["changed_queries"], gate["queries"])


def retrieval_lines(detail):
    """The labelled retrieval measurement of one model: data set, metrics side by side, the changed queries."""
    dataset = detail["dataset"]
    lines = ["", "Retrieval quality on %s (%d queries, %d passages, %d judgements, sha256 %s...); %s; %d%% intervals "
             "from a paired bootstrap over the queries:" % (
                 dataset["name"], dataset["queries"], dataset["passages"], dataset["judgements"],
                 dataset["sha256"][:12], detail["first_stage"], round(detail["bootstrap"]["confidence"] * 100)),
             "", "| metric | vLLM | reference | delta | interval | queries worse / better |", "|---|---|---|---|---|---|"]
    for name, delta in detail["delta"].items():
        lines.append("| %s | %.4f | %.4f | %+.4f | %+.4f to %+.4f | %d / %d |" % (
            name, detail["metrics"]["candidate"][name], detail["metrics"]["reference"][name], delta["mean"],
            delta["interval"][0], delta["interval"][1], delta["worse_queries"], delta["better_queries"]))
    opinion = detail.get("model_opinion")
    if opinion:
        lines += ["", "The model's own rankings (third opinion): attribution `%s` (mean %s distance to the model: "
                  "vLLM %s, reference %s)." % (opinion["attribution"], detail["primary"],
                                               opinion["distance"]["candidate"], opinion["distance"]["reference"])]
    if detail["changed_count"]:
        lines += ["", "Queries whose top %d changed: %d (worst first; report.json lists up to %d):" % (
            detail["k"], detail["changed_count"], len(detail["changed_queries"]))]
        lines += ["- `%s` %s: %s %.3f -> %.3f; entered %s, left %s" % (
            item["query"], cell(item["text"]), detail["primary"], item["ndcg_reference"], item["ndcg_candidate"],
            ", ".join(item["entered"]) or "-", ", ".join(item["left"]) or "-")
            for item in detail["changed_queries"][:5]]
    return lines


def clients_lines(detail):
    """The consumers' client calls against vLLM: which work, and the server's answer to those that do not."""
    required = set(detail.get("required") or [])
    lines = ["", "Client calls against vLLM (%s):" % (
        "required: %s" % ", ".join(sorted(required)) if required else "none required, reported only"),
        "", "| call | result | required | message |", "|---|---|---|---|"]
    for name, result in sorted((detail.get("calls") or {}).items()):
        lines.append("| %s | %s | %s | %s |" % (name, result.get("status", "?"), "yes" if name in required else "no",
                                                cell(result.get("message", ""))))
    return lines


def _weights(gate):
    if gate.get("digest"):
        return gate["digest"]
    return "vLLM %s, reference %s, %s tensors in common" % (gate["candidate_digest"], gate["reference_digest"],
                                                            gate["shared"])


# Per model kind, per gate name: the function that writes the gate's numbers. Gate names repeat across kinds
# with other shapes (an embedding's batch gate holds cosines, a reranker's score deviations).
GATE_NUMBERS = {
    "embedding": {
        "served": _served_list, "served_config": _served_config, "input_lengths": _input_lengths,
        "dimension": _dimension, "cosine": _cosines, "norms": _norms, "batch": _cosines, "tokens": _tokens,
        "long_input": _embedding_long_input, "retrieval": _retrieval, "weights": _weights,
        "distinct_outputs": _distinct_outputs("embedding"),
    },
    "reranker": {
        "served": _reranker_served, "score_parity": _score_parity, "ranking": _ranking,
        "model_agreement": _model_agreement, "labelled": _labelled, "batch": _consistency,
        "endpoints_agree": _consistency, "long_input": _reranker_long_input, "input_lengths": _reranker_input_lengths,
        "retrieval": _retrieval, "weights": _weights, "distinct_outputs": _distinct_outputs("reranker"),
    },
}


def generic_numbers(gate):
    """The scalar numbers of a gate no formatter knows: ``name value`` pairs, nested summaries as ``name.key``."""
    found = []
    for key, value in sorted((gate or {}).items()):
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            found.append("%s %s" % (key, value))
        elif isinstance(value, dict):
            found.extend("%s.%s %s" % (key, sub, number) for sub, number in sorted(value.items())
                         if isinstance(number, (int, float)) and not isinstance(number, bool))
    shown = found[:GENERIC_NUMBERS_SHOWN]
    if len(found) > len(shown):
        shown.append("... %d more in report.json" % (len(found) - len(shown)))
    return ", ".join(shown) or "-"


def gate_numbers(kind, name, gate):
    """The numbers column of one gate: its own formatter, or the generic one when none fits its shape."""
    if not isinstance(gate, dict):
        return cell(gate)
    if gate.get("status") == "skipped":
        return "-"
    formatter = GATE_NUMBERS.get(kind, {}).get(name)
    if formatter is not None:
        try:
            return formatter(gate)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # numbers shaped otherwise (a newer or an older check): shown generically below
    return generic_numbers(gate)


def gate_result(gate):
    if not isinstance(gate, dict):
        return "**FAIL**"
    if gate.get("status") == "skipped":
        return "skipped"
    return "pass" if gate.get("passed") is True else "**FAIL**"


def gate_rows(kind, gates):
    """``[(name, result, numbers, reason)]`` of a model's gates, in the check's order."""
    return [(name, gate_result(gate), gate_numbers(kind, name, gate),
             (gate.get("reason", "") if isinstance(gate, dict) else ""))
            for name, gate in (gates or {}).items()]


def _worst_item(item):
    if "cosine" in item:
        return "cosines", "- %s: \"%s\"" % (item["cosine"], item.get("text", ""))
    if "document" in item:
        return "score deviations", "- vLLM %s, reference %s: \"%s\" / \"%s\"" % (
            item.get("candidate"), item.get("reference"), item.get("query", ""), item["document"])
    return "differences", "- vLLM %s, reference %s: \"%s\"" % (
        item.get("candidate"), item.get("reference"), item.get("text", ""))


def worst_lines(gates):
    """The texts or pairs behind a gate's numbers (lowest cosines, largest score deviations), where it lists them."""
    lines = []
    for name, gate in (gates or {}).items():
        if not isinstance(gate, dict):
            continue
        worst = gate.get("worst") or (gate.get("vs_reference") or {}).get("worst") or []
        shown = [_worst_item(item) for item in worst if isinstance(item, dict)] if isinstance(worst, list) else []
        if shown:
            lines += ["", "Worst %s of %s:" % (shown[0][0], name)] + [line for _what, line in shown]
    return lines


# --- performance records (module_utils/performance.py) ---------------------------------------------------------

def _errors(stats):
    found = ["%s %d" % (name, count) for name, count in sorted((stats.get("errors") or {}).items()) if count]
    return ", ".join(found) or "-"


def _completions(stats):
    found = stats.get("completions_by_shape")
    if not isinstance(found, dict):
        return "-"
    return ", ".join("%s %s" % (shape, count) for shape, count in sorted(found.items())) or "-"


def _validity(stats):
    """Whether a level counted: a window too short for its slowest request shape, or a level the reference was
    not sent or stopped, is excluded from the gate and says why."""
    if "valid" not in stats:
        return "-"
    if stats["valid"]:
        return "yes"
    return "no: %s" % (stats.get("not_sent") or stats.get("invalid_reason") or "no reason recorded")


def _flat(values, prefix=""):
    """``[(dotted name, value)]`` of a nested dict, unset values left out."""
    found = []
    for key, value in sorted(values.items()):
        if isinstance(value, dict):
            found += _flat(value, "%s%s." % (prefix, key))
        elif value is not None:
            found.append(("%s%s" % (prefix, key), value))
    return found


def reference_load_line(load):
    """What the reference received: the load a production Caikit carried during the benchmark."""
    if not isinstance(load, dict):
        return ""
    peak = ("concurrency %s" % load["max_concurrency"] if load.get("max_concurrency") is not None else
            "%s requests/s" % load["max_rate"] if load.get("max_rate") is not None else "nothing")
    text = "- load on the reference: at most %s, %s requests in %s s" % (
        peak, load.get("requests", 0), load.get("duration_s", 0))
    limits = _flat(load.get("limits") or {})
    if limits:
        text += "; limits: %s" % ", ".join("%s %s" % (key, value) for key, value in limits)
    if load.get("not_sent"):
        text += "; not sent: %s" % ", ".join(load["not_sent"])
    for stop in load.get("stopped") or []:
        text += "; stopped at %s: %s" % (stop.get("level"), stop.get("reason"))
    return text


def client_line(client):
    """Where the load generator ran and the path it took to each server (the record's ``client``), or ''."""
    if not isinstance(client, dict) or not client.get("location"):
        return ""
    text = "Client: %s, path to vLLM %s, to the reference %s" % (
        client["location"], client.get("path", "-"), client.get("reference_path", "-"))
    if client.get("latency_gating") is False:
        text += " (p95 not gating)"
    return text + (". %s" % client["note"] if client.get("note") else ".")


def _level_gate(entry):
    if entry is None:
        return "-"
    if entry.get("passed") is None:
        return "not compared (%s)" % entry.get("note", "")
    verdict = "pass" if entry["passed"] else "fail"
    return "%s (%s)" % (verdict, entry["note"]) if entry.get("note") else verdict


def performance_section(key, record, link_charts=True):
    """Markdown lines of one model's performance record; ReportMarkdownError when it is not one."""
    if not isinstance(record, dict) or record.get("schema") != PERFORMANCE_SCHEMA:
        raise ReportMarkdownError("the value for '%s' is not a performance record (schema %s)" % (key, PERFORMANCE_SCHEMA))
    status = record.get("status")
    advisory = " (advisory: does not block the decision)" if record.get("advisory") else ""
    reason = record.get("reason", "")
    if reason.startswith(PERFORMANCE_ADVISORY_PREFIX):
        reason = reason[len(PERFORMANCE_ADVISORY_PREFIX):]
    verdict = PERFORMANCE_STATUS_WORDS.get(status, status)
    lines = ["### %s" % key, "", "performance **%s**%s: %s" % (verdict, advisory, reason), ""]
    if record.get("platform_note"):
        lines += ["_%s_" % record["platform_note"], ""]
    if client_line(record.get("client")):
        lines += [client_line(record.get("client")), ""]
    levels = record.get("levels") or []
    if not levels:
        return lines
    ref = record.get("reference") or {}
    ref_name = "Caikit" if ref.get("type") == "caikit" else "reference"
    gate = (record.get("gates") or {}).get("throughput_ratio") or {}
    gate_levels = {(e.get("concurrency"), e.get("rate")): e for e in gate.get("levels") or []}
    head = "concurrency" if levels[0].get("concurrency") is not None else "requests/s offered"
    lines += ["| %s | server | req/s | texts/s | tokens/s | p50 ms | p95 ms | p99 ms | errors | window s | answers in window "
              "| valid | texts/s ratio | gate |" % head,
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for level in levels:
        value = level.get("concurrency") if level.get("concurrency") is not None else level.get("rate")
        entry = gate_levels.get((level.get("concurrency"), level.get("rate")))
        for side, name in (("candidate", "vLLM"), ("reference", ref_name)):
            stats = level[side]
            latency = stats.get("latency_ms") or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                value, name, _number(stats.get("requests_per_s")), _number(stats.get("texts_per_s")),
                _number(stats.get("tokens_per_s"), 0), _number(latency.get("p50")), _number(latency.get("p95")),
                _number(latency.get("p99")), _errors(stats), _number(stats.get("window_s")), _completions(stats),
                cell(_validity(stats)),
                _number(level.get("ratio"), 2) if side == "candidate" else "",
                cell(_level_gate(entry)) if side == "candidate" else ""))
    latency_gate = (record.get("gates") or {}).get("latency_p95") or {}
    lines.append("")
    if gate:
        lines.append("- throughput: %s (gate: vLLM texts/s >= %s x %s at every level)" % (
            "pass" if gate.get("passed") else "fail", gate.get("threshold"), ref_name))
    if latency_gate:
        lines.append("- latency%s: %s: %s" % ("" if latency_gate.get("gating", True) else " (not gating)",
                                              "pass" if latency_gate.get("passed") else "fail", latency_gate.get("reason")))
    if record.get("reference_load"):
        lines.append(reference_load_line(record["reference_load"]))
    workload = record.get("workload") or {}
    if workload.get("description"):
        lines.append("- workload: %s; %s s per level and server after %s s warm-up" % (
            workload["description"], workload.get("duration_s"), workload.get("warmup_s")))
    if link_charts and record.get("chart"):
        lines += ["", "![%s: throughput and p95 latency against %s](%s)" % (key, head, os.path.basename(record["chart"]))]
    lines.append("")
    return lines


def performance_markdown(records, link_charts=True):
    """Markdown per model from ``{key: performance record}`` (or one record, shown as ``benchmark``)."""
    if isinstance(records, dict) and records.get("schema") == PERFORMANCE_SCHEMA:
        records = {"benchmark": records}
    if not isinstance(records, dict):
        raise ReportMarkdownError("expected a dict of performance records by model, got %s" % type(records).__name__)
    lines = []
    for key in records:
        lines += performance_section(key, records[key], link_charts)
    return "\n".join(lines).rstrip() + "\n"


# --- the whole report -------------------------------------------------------------------------------------------

def _model_row(key, model):
    verdict = model.get("verdict") or {}
    performance = "%s%s" % (verdict.get("performance", "-"), " (advisory)" if verdict.get("performance_advisory") else "")
    return "| %s | %s | %s | %s | %s | %s |" % (
        cell("%s (%s)" % (key, model.get("model", ""))), cell(model.get("kind", "")), cell(model.get("status", "?")),
        cell(", ".join(model.get("failed_gates") or []) or "-"), cell(performance),
        cell(" ".join(model.get("workarounds") or []) or "none"))


def _json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def score_shift_text(shift):
    """What a reranker's consumers see change when they switch, in one line (report.json has it per query)."""
    try:
        queries = shift.get("queries") or []
        return "scores change by up to %s (compared as %s); the top-1 document changes for %d and the top-%s set for " \
               "%d of %d queries" % (shift.get("max_change"), shift.get("compared_as", "?"),
                                     sum(1 for q in queries if q.get("top1_changed")), shift.get("k", "k"),
                                     sum(1 for q in queries if q.get("topk_changed")), len(queries))
    except (AttributeError, TypeError):
        return _json(shift)


def weights_line(model):
    """Where each side's weights came from and whether they are the same tensors (the ``weights`` gate)."""
    provenance = model.get("provenance") or {}
    candidate, reference = provenance.get("candidate") or {}, provenance.get("reference") or {}
    origin = reference.get("weights_path") or "a folder this run could not read"
    recorded = model.get("reference") or {}
    if recorded.get("weights_source"):
        # Caikit's storage: copied to the controller by the discovery (weights_dir), or its claim mounted in the check Job
        origin = "%s, %s %s" % (recorded["weights_source"], "mounted at" if recorded.get("weights_claim") else "copied to",
                                origin)
    served = candidate.get("root") or "?"
    if (model.get("candidate") or {}).get("weights_source"):
        served = "%s (%s)" % (served, model["candidate"]["weights_source"])
    sources = "vLLM from %s, the reference from %s" % (served, origin)
    gate = (model.get("gates") or {}).get("weights")
    if gate is None:
        return "- Weights: not compared (neither model folder is readable from where the check ran); %s" % sources
    verdict = {"passed": "the same tensors on both sides (%s)" % gate.get("digest"),
               "failed": "DIFFERENT: %s" % gate.get("reason"),
               "skipped": gate.get("reason")}.get(gate.get("status"), gate.get("reason"))
    return "- Weights: %s; %s" % (verdict, sources)


def model_section(key, model):
    """Markdown lines of one model: endpoint, reference, warnings, findings, then its gates."""
    kind = model.get("kind")
    lines = ["", "### %s: %s" % (key, model.get("status", "?")), "",
             "- vLLM endpoint: %s" % ((model.get("candidate") or {}).get("url") or "-")]
    reference = model.get("reference") or {}
    if reference:
        lines.append("- Reference: %s %s" % (reference.get("type", "?"), reference.get("url") or reference.get("path", "")))
    checked_from = model.get("checked_from") or {}
    if checked_from.get("note"):
        lines.append("- Checked from: %s (%s)" % (checked_from.get("location", "?"), checked_from["note"]))
    diagnosis = model.get("diagnosis") or {}
    if diagnosis:
        lines.append("- Load failure cause: `%s`. Hint: %s" % (diagnosis.get("cause", "unknown"), diagnosis.get("hint", "")))
    if model.get("skipped_gates"):
        lines.append("- Skipped gates (not counted as passed): %s" % ", ".join(model["skipped_gates"]))
    for warning in model.get("warnings") or []:
        lines.append("- Warning (%s): %s" % (warning.get("gate", "?"), warning.get("message", "")))
    details = model.get("details") or {}
    if details.get("score_shift"):
        lines.append("- Score shift consumers will see: %s" % score_shift_text(details["score_shift"]))
    if details.get("activation"):
        lines.append("- Scores compared as: %s" % _json(details["activation"]))
    if model.get("provenance"):
        lines.append(weights_line(model))
        lines.append("- Provenance: %s" % _json(model["provenance"]))
    if model.get("corpus_size"):
        lines.append("- Corpus: %s %s" % (model["corpus_size"], "pairs" if kind == "reranker" else "texts"))
    if model.get("reason"):
        lines.append("- %s" % str(model["reason"]).replace("\n", "\n  "))
    if model.get("gates"):
        lines += ["", "| gate | result | numbers | reason |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % tuple(cell(part) for part in row) for row in gate_rows(kind, model["gates"])]
        lines += worst_lines(model["gates"])
    if details.get("retrieval"):
        try:
            lines += retrieval_lines(details["retrieval"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            lines += ["", "Retrieval quality: shaped otherwise than this report knows (see report.json)."]
    if isinstance(details.get("clients"), dict):
        lines += clients_lines(details["clients"])
    return lines


def report_markdown(models, decision):
    """The text of report.md from the decide role's outputs (``vllm_migration``, ``vllm_migration_decision``)."""
    if not isinstance(decision, dict) or not decision.get("decision"):
        raise ReportMarkdownError("report_markdown needs the decide role's vllm_migration_decision, not %r" % (decision,))
    models = models or {}
    lines = ["# vLLM migration report", "",
             "- **Decision: `%s`**" % decision["decision"],
             "- Platform: %s" % decision.get("platform", "?"),
             "- Generated: %s" % decision.get("generated_at", "?"),
             "- Performance required for migrate: %s" % ("yes" if decision.get("performance_required") else "no"),
             "", "## Why"]
    lines += ["- %s" % reason for reason in decision.get("reasons") or []]
    if decision.get("warnings"):
        lines += ["", "## Warnings (not blocking)"] + ["- %s" % warning for warning in decision["warnings"]]
    lines += ["", "## Models", "", "| model | kind | status | failed gates | performance | workarounds |",
              "|---|---|---|---|---|---|"]
    lines += [_model_row(key, model) for key, model in models.items()]
    for key, model in models.items():
        lines += model_section(key, model)
    measured = [(key, model["performance"]) for key, model in models.items() if model.get("performance")]
    if measured:
        lines += ["", "## Performance", ""]
        for key, record in measured:
            try:
                lines += performance_section(key, record)
            except ReportMarkdownError as exc:
                lines += ["### %s" % key, "", "performance record not shown: %s (see report.json)" % exc, ""]
    return "\n".join(lines).rstrip() + "\n"
