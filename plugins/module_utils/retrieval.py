# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Retrieval quality on labelled data: the same queries and passages through both live endpoints, exact
retrieval, graded metrics per query, and a paired bootstrap on the difference.

Parity says the vectors (or scores) are close; this says whether what users retrieve is as good. Metrics
follow the usual IR definitions with linear gains (the ones BEIR reports): NDCG@k (gain = grade,
discount log2(rank + 1)), MRR@k (first passage with grade > 0) and Recall@k (share of the graded passages
in the top k). Retrieval is brute force over the whole corpus (cosine, numpy): no approximate index
stands between the servers and the numbers.

Rerankers rerank the same first-stage candidates on both sides: the data set's ``candidates.tsv`` when it
has one, else a lexical BM25 top-``depth`` (ours, deterministic), so a difference can only come from the
servers' scores.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval_set
from ansible_collections.vllm_pooling.migration.plugins.module_utils.gates import add_gate, gate, skipped

BUILTIN = "builtin"
QRELS_FILES = ("qrels.tsv", os.path.join("qrels", "test.tsv"))
CHANGED_QUERIES_SHOWN = 20
TOP_SHOWN = 5
# BM25's usual constants
BM25_K1 = 1.2
BM25_B = 0.75


class DatasetError(ValueError):
    """A labelled set that cannot be used; the message says which file and what to fix."""


class LabelledSet(object):
    """Passages, queries and graded judgements; ``candidates`` (query id -> passage ids) when the set fixes
    the first stage of a reranker."""

    def __init__(self, name, source, documents, queries, qrels, candidates=None):
        self.name = name
        self.source = source
        self.doc_ids = list(documents)
        self.doc_texts = [documents[i] for i in self.doc_ids]
        judged = [q for q in queries if any(grade > 0 for grade in qrels.get(q, {}).values())]
        if not self.doc_ids:
            raise DatasetError("labelled set %s has no passages" % source)
        if not judged:
            raise DatasetError("labelled set %s has no query with a relevant passage (grade > 0) in its qrels" % source)
        unknown = sorted({d for q in judged for d in qrels[q] if d not in documents})
        if unknown:
            raise DatasetError("labelled set %s: qrels name %d passages not in the corpus (first: %s)"
                               % (source, len(unknown), ", ".join(unknown[:5])))
        self.query_ids = judged
        self.query_texts = [queries[q] for q in judged]
        self.qrels = {q: {d: g for d, g in qrels[q].items() if g > 0} for q in judged}
        self.candidates = candidates
        blob = json.dumps([documents, {q: queries[q] for q in judged}, self.qrels, candidates], sort_keys=True,
                          ensure_ascii=False)
        self.sha256 = hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def describe(self):
        return {"name": self.name, "source": self.source, "sha256": self.sha256, "queries": len(self.query_ids),
                "passages": len(self.doc_ids), "judgements": sum(len(g) for g in self.qrels.values()),
                "first_stage_file": self.candidates is not None}


def _passage(title, text):
    title, text = (title or "").strip(), (text or "").strip()
    return "%s. %s" % (title.rstrip("."), text) if title else text


def builtin_set():
    documents = {key: _passage(value.get("title"), value["text"]) for key, value in retrieval_set.CORPUS.items()}
    return LabelledSet("%s v%s" % (retrieval_set.NAME, retrieval_set.VERSION), BUILTIN, documents,
                       retrieval_set.QUERIES, retrieval_set.QRELS)


def _jsonl(path):
    rows = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    key = str(row["_id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise DatasetError("%s line %d: not a JSON object with an _id (%s)" % (path, number, exc))
                if not isinstance(row.get("text"), str):
                    raise DatasetError("%s line %d (_id %s): no text" % (path, number, key))
                rows[key] = row
    except (IOError, OSError) as exc:
        raise DatasetError("cannot read %s: %s" % (path, exc))
    return rows


def _tsv(path, columns):
    """Rows of a tab-separated file; a first line that is not numeric where a grade is expected is its header."""
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                fields = line.rstrip("\n").split("\t")
                if not line.strip() or (number == 1 and fields[-1].strip().lower() in ("score", "corpus-id")):
                    continue
                if len(fields) < columns:
                    raise DatasetError("%s line %d: expected %d tab-separated columns, got %d"
                                       % (path, number, columns, len(fields)))
                rows.append((number, [field.strip() for field in fields]))
    except (IOError, OSError) as exc:
        raise DatasetError("cannot read %s: %s" % (path, exc))
    return rows


def load_beir(folder):
    """A labelled set in the BEIR layout: ``corpus.jsonl`` ({_id, title, text}), ``queries.jsonl`` ({_id,
    text}), ``qrels.tsv`` or ``qrels/test.tsv`` (query-id, corpus-id, score), optional ``candidates.tsv``
    (query-id, corpus-id: a reranker's first stage, in order)."""
    if not os.path.isdir(folder):
        raise DatasetError("labelled set %s is not a folder (give a BEIR folder: corpus.jsonl, queries.jsonl, "
                           "qrels.tsv)" % folder)
    corpus = _jsonl(os.path.join(folder, "corpus.jsonl"))
    queries = {key: row["text"] for key, row in _jsonl(os.path.join(folder, "queries.jsonl")).items()}
    found = [os.path.join(folder, name) for name in QRELS_FILES if os.path.isfile(os.path.join(folder, name))]
    if not found:
        raise DatasetError("labelled set %s has no %s" % (folder, " or ".join(QRELS_FILES)))
    qrels = {}
    for number, (query, doc, grade) in ((n, fields[:3]) for n, fields in _tsv(found[0], 3)):
        try:
            qrels.setdefault(query, {})[doc] = int(float(grade))
        except ValueError:
            raise DatasetError("%s line %d: grade %r is not a number" % (found[0], number, grade))
    candidates = None
    if os.path.isfile(os.path.join(folder, "candidates.tsv")):
        candidates = {}
        for _number, fields in _tsv(os.path.join(folder, "candidates.tsv"), 2):
            candidates.setdefault(fields[0], []).append(fields[1])
    documents = {key: _passage(row.get("title"), row["text"]) for key, row in corpus.items()}
    return LabelledSet(os.path.basename(os.path.normpath(folder)), folder, documents, queries, qrels, candidates)


def load_labelled_set(dataset):
    return builtin_set() if dataset in (None, "", BUILTIN) else load_beir(dataset)


# --- metrics -----------------------------------------------------------------------------------------------

def ndcg_at_k(ranked, grades, k):
    dcg = sum(grades.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(sorted(grades.values(), reverse=True)[:k]))
    return dcg / ideal if ideal > 0 else 0.0


def mrr_at_k(ranked, grades, k):
    for rank, doc in enumerate(ranked[:k]):
        if grades.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def recall_at_k(ranked, grades, k):
    relevant = [doc for doc, grade in grades.items() if grade > 0]
    return sum(1 for doc in ranked[:k] if doc in grades) / float(len(relevant)) if relevant else 0.0


def metric_names(k, recall_at):
    return ["ndcg@%d" % k, "mrr@%d" % k] + ["recall@%d" % r for r in recall_at]


def per_query(rankings, labelled, k, recall_at):
    """``{metric: array over labelled.query_ids}`` of one side's rankings."""
    values = {name: [] for name in metric_names(k, recall_at)}
    for query in labelled.query_ids:
        ranked, grades = rankings[query], labelled.qrels[query]
        values["ndcg@%d" % k].append(ndcg_at_k(ranked, grades, k))
        values["mrr@%d" % k].append(mrr_at_k(ranked, grades, k))
        for depth in recall_at:
            values["recall@%d" % depth].append(recall_at_k(ranked, grades, depth))
    return {name: np.asarray(series, dtype=np.float64) for name, series in values.items()}


def paired_bootstrap(candidate, reference, samples=2000, confidence=0.95, seed=0):
    """The mean per-query difference (candidate - reference), its two-sided ``confidence`` interval and the
    one-sided lower bound at ``confidence``, from ``samples`` resamplings of the queries (seeded: the same
    data gives the same interval)."""
    delta = np.asarray(candidate, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = delta[rng.integers(0, len(delta), size=(samples, len(delta)))].mean(axis=1)
    tail = (1.0 - confidence) * 100.0
    return {"mean": round(float(delta.mean()), 6),
            "interval": [round(float(np.percentile(means, tail / 2)), 6),
                         round(float(np.percentile(means, 100.0 - tail / 2)), 6)],
            "lower_bound": round(float(np.percentile(means, tail)), 6),
            "worse_queries": int((delta < 0).sum()), "better_queries": int((delta > 0).sum())}


# --- rankings ----------------------------------------------------------------------------------------------

def _unit_rows(matrix):
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _embed_all(source, texts, batch_size, truncate):
    return np.vstack([source.embed(texts[i:i + batch_size], truncate) for i in range(0, len(texts), batch_size)])


def embedding_rankings(source, labelled, depth, batch_size=32, truncate=False):
    """Query id -> the ``depth`` passage ids nearest by cosine, for one embedding endpoint (exact search)."""
    passages = _unit_rows(_embed_all(source, labelled.doc_texts, batch_size, truncate))
    queries = _unit_rows(_embed_all(source, labelled.query_texts, batch_size, truncate))
    if passages.shape[1] != queries.shape[1]:
        raise ValueError("queries and passages came back with different dimensions (%d, %d)"
                         % (queries.shape[1], passages.shape[1]))
    scores = queries @ passages.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    return {query: [labelled.doc_ids[i] for i in row] for query, row in zip(labelled.query_ids, order)}


_CJK = re.compile(u"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def lexical_terms(text):
    """Lower-cased words; runs of CJK characters become character bigrams (they have no spaces)."""
    terms = []
    for word in re.findall(r"\w+", text.lower()):
        if _CJK.search(word) and len(word) > 1:
            terms.extend(word[i:i + 2] for i in range(len(word) - 1))
        else:
            terms.append(word)
    return terms


def bm25_candidates(labelled, depth):
    """Query id -> the ``depth`` passage ids BM25 ranks first (ties in corpus order)."""
    documents = [lexical_terms(text) for text in labelled.doc_texts]
    average = sum(len(d) for d in documents) / float(len(documents)) or 1.0
    frequency = {}
    for terms in documents:
        for term in set(terms):
            frequency[term] = frequency.get(term, 0) + 1
    count = len(documents)
    found = {}
    for query, text in zip(labelled.query_ids, labelled.query_texts):
        scores = []
        for terms in documents:
            score = 0.0
            for term in set(lexical_terms(text)):
                tf = terms.count(term)
                if tf:
                    idf = math.log(1.0 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
                    score += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / average))
            scores.append(score)
        order = sorted(range(count), key=lambda i: -scores[i])[:depth]
        found[query] = [labelled.doc_ids[i] for i in order]
    return found


def first_stage(labelled, depth):
    """``(query id -> candidate passage ids, description)`` a reranker reranks on both sides."""
    if labelled.candidates is not None:
        known = set(labelled.doc_ids)
        chosen = {q: [d for d in labelled.candidates.get(q, []) if d in known][:depth] for q in labelled.query_ids}
        return chosen, "candidates.tsv of the labelled set, first %d per query" % depth
    return bm25_candidates(labelled, depth), "lexical BM25 top %d (the same candidates on both sides)" % depth


def rerank_groups(labelled, candidates, template=None):
    """``[{query, documents}]`` of every query's candidates, through ``template(query, documents)`` (the
    consumers' query and document templates) when given."""
    texts = dict(zip(labelled.doc_ids, labelled.doc_texts))
    groups = []
    for query, text in zip(labelled.query_ids, labelled.query_texts):
        documents = [texts[d] for d in candidates[query]]
        if template is not None:
            text, documents = template(text, documents)
        groups.append({"query": text, "documents": documents})
    return groups


def order_by_scores(labelled, candidates, scores):
    """Query id -> its candidates by descending score (ties keep the first stage's order)."""
    found = {}
    for query, row in zip(labelled.query_ids, scores):
        pool = candidates[query]
        found[query] = [pool[i] for i in sorted(range(len(pool)), key=lambda i: -row[i])]
    return found


def rerank_rankings(source, labelled, candidates, truncate=False, template=None):
    """Query id -> its candidates ordered by one reranker endpoint's scores."""
    scores = [list(source.score(g["query"], g["documents"], truncate)) if g["documents"] else []
              for g in rerank_groups(labelled, candidates, template)]
    return order_by_scores(labelled, candidates, scores)


# --- the gate ----------------------------------------------------------------------------------------------

def changed_queries(labelled, candidate, reference, k, ndcg):
    """Queries whose top-k differs (order or members), worst NDCG change first."""
    changed = []
    for index, query in enumerate(labelled.query_ids):
        if candidate[query][:k] == reference[query][:k]:
            continue
        changed.append({"query": query, "text": labelled.query_texts[index],
                        "ndcg_candidate": round(float(ndcg["candidate"][index]), 4),
                        "ndcg_reference": round(float(ndcg["reference"][index]), 4),
                        "top_candidate": candidate[query][:TOP_SHOWN], "top_reference": reference[query][:TOP_SHOWN],
                        "entered": [d for d in candidate[query][:k] if d not in reference[query][:k]],
                        "left": [d for d in reference[query][:k] if d not in candidate[query][:k]]})
    changed.sort(key=lambda item: item["ndcg_candidate"] - item["ndcg_reference"])
    return changed


def attribute(gate_result, detail, labelled, own_rankings, policy="warn"):
    """With the model's own rankings (the third opinion), say which side a quality change comes from: the one
    whose per-query NDCG@k is further from the model's. A failed gate whose change comes from the reference
    passes under ``policy`` warn, with a warning (the same policy as score_parity's); returns the warnings."""
    k, name = detail["k"], detail["primary"]
    own = [ndcg_at_k(own_rankings[q], labelled.qrels[q], k) for q in labelled.query_ids]
    sides = {side: [ndcg_at_k(detail["_rankings"][side][q], labelled.qrels[q], k) for q in labelled.query_ids]
             for side in ("candidate", "reference")}
    distance = {side: round(float(np.mean(np.abs(np.asarray(values) - np.asarray(own)))), 6)
                for side, values in sides.items()}
    if max(distance.values()) == 0.0:
        source = "none"
    elif distance["candidate"] * 2 <= distance["reference"]:
        source = "reference"
    elif distance["reference"] * 2 <= distance["candidate"]:
        source = "candidate"
    else:
        source = "both"
    detail["model_opinion"] = {name: round(float(np.mean(own)), 4), "distance": distance, "attribution": source}
    gate_result["attribution"] = source
    warnings = []
    if source == "reference" and gate_result["status"] == "failed" and policy == "warn":
        message = ("the retrieval change comes from the reference: vLLM ranks as the model itself does (mean %s "
                   "distance to the model %.4f, the reference's %.4f); passed under reference_deviation=warn"
                   % (name, distance["candidate"], distance["reference"]))
        gate_result.update(status="passed", passed=True, reason="%s; %s" % (gate_result["reason"], message))
        warnings.append({"gate": "retrieval", "message": message})
    return warnings


def retrieval_gate(detail, margin, confidence):
    """Passes when vLLM is not worse than the reference by more than ``margin`` NDCG@k at ``confidence``."""
    name = detail["primary"]
    delta = detail["delta"][name]
    numbers = {"metric": name, "candidate": detail["metrics"]["candidate"][name],
               "reference": detail["metrics"]["reference"][name], "delta": delta["mean"],
               "interval": delta["interval"], "lower_bound": delta["lower_bound"], "margin": margin,
               "confidence": confidence, "queries": detail["dataset"]["queries"],
               "changed_queries": detail["changed_count"], "dataset_sha256": detail["dataset"]["sha256"]}
    summary = "%s vLLM %.4f vs reference %.4f on %d queries (delta %+.4f, %d%% interval [%+.4f, %+.4f])" % (
        name, numbers["candidate"], numbers["reference"], numbers["queries"], delta["mean"], round(confidence * 100),
        delta["interval"][0], delta["interval"][1])
    if delta["lower_bound"] >= -margin:
        reason = "%s: not worse by more than %s at %d%% confidence" % (summary, margin, round(confidence * 100))
        return gate(True, reason, **numbers)
    return gate(False, "%s: vLLM may retrieve worse than the reference by more than %s (one-sided %d%% bound "
                "%+.4f); see the changed queries in report.json" % (summary, margin, round(confidence * 100),
                                                                    delta["lower_bound"]), **numbers)


def run_retrieval(candidate_rank, reference_rank, labelled, k=10, recall_at=(10, 50), margin=0.01,
                  confidence=0.95, samples=2000, seed=0, first_stage_text="exact cosine over the whole corpus"):
    """``(gate, detail)``: both sides' rankings (``*_rank()`` -> query id -> ranked passage ids), metrics per
    side, the paired bootstrap per metric, the changed queries and the gate on NDCG@k."""
    seconds = {}
    rankings = {}
    for side, rank in (("reference", reference_rank), ("candidate", candidate_rank)):
        started = time.time()
        rankings[side] = rank()
        seconds[side] = round(time.time() - started, 2)
    scores = {side: per_query(rankings[side], labelled, k, recall_at) for side in rankings}
    names = metric_names(k, recall_at)
    primary = names[0]
    changed = changed_queries(labelled, rankings["candidate"], rankings["reference"], k,
                              {side: scores[side][primary] for side in scores})
    detail = {
        "dataset": labelled.describe(), "k": k, "primary": primary, "first_stage": first_stage_text,
        "metrics": {side: {name: round(float(scores[side][name].mean()), 4) for name in names} for side in scores},
        "delta": {name: paired_bootstrap(scores["candidate"][name], scores["reference"][name], samples, confidence,
                                         seed) for name in names},
        "bootstrap": {"samples": samples, "confidence": confidence, "seed": seed},
        "changed_count": len(changed), "changed_queries": changed[:CHANGED_QUERIES_SHOWN], "seconds": seconds,
        "_rankings": rankings,  # for attribute(); measure() removes it
    }
    return retrieval_gate(detail, margin, confidence), detail


def add_to_check(check, gate_result, detail):
    """Put the retrieval gate (and its detail under ``retrieval``) into a check's result, keeping its
    ``passed``/``failed_gates``/``skipped_gates`` true to the gates."""
    if detail is not None:
        check["retrieval"] = detail
    return add_gate(check, "retrieval", gate_result)


def blocking_gates(check, names):
    """The gates among ``names`` the check failed: retrieval is not measured behind them (a served name that is
    not listed gets no request; a context that rejects the reference's inputs already fails the model)."""
    return [name for name in names if (check["gates"].get(name) or {}).get("status") == "failed"]


def not_measured_behind(blocking):
    """The retrieval gate when ``blocking`` gates failed first: skipped (never counted as passed), saying why."""
    return skipped("not measured: the candidate failed %s, which already fails the check" % ", ".join(blocking))


def measure(kind, candidate, reference, dataset, settings, truncate=True, rerank_depth=20, batch_size=32,
            template=None, scorer=None, policy="warn", labelled_set=None):
    """``(gate, detail, warnings)`` of one model's endpoints: ``kind`` embedding (``embed``) or reranker
    (``score``); for rerankers ``scorer`` (model_scores.ModelScorer) adds the model's own rankings.
    ``labelled_set`` (a LabelledSet) replaces ``dataset`` (builtin or a BEIR folder).

    A golden-file reference holds no rankings: the gate is skipped with that reason. Texts go to both sides
    with truncation (this gate measures ranking; the long_input gate measures what happens without it)."""
    if getattr(reference, "kind", None) == "golden":
        return skipped("a golden file holds no rankings of the labelled set; measure against a live "
                       "reference"), None, []
    labelled = labelled_set or load_labelled_set(dataset)
    warnings = []
    if kind == "reranker":
        candidates, description = first_stage(labelled, max(rerank_depth, settings["k"]))
        gate_result, detail = run_retrieval(
            lambda: rerank_rankings(candidate, labelled, candidates, truncate, template),
            lambda: rerank_rankings(reference, labelled, candidates, truncate, template),
            labelled, first_stage_text=description, **settings)
        if scorer is not None:
            try:
                answer = scorer.scores(rerank_groups(labelled, candidates, template))
            except Exception as exc:  # the third opinion is optional: say why it is missing
                warnings.append({"gate": "retrieval", "message": "no model opinion on the rankings: %s" % exc})
            else:
                own = order_by_scores(labelled, candidates, answer["with_token_types"])
                warnings += attribute(gate_result, detail, labelled, own, policy)
    else:
        depth = max((settings["k"],) + tuple(settings["recall_at"]))
        gate_result, detail = run_retrieval(
            lambda: embedding_rankings(candidate, labelled, depth, batch_size, truncate),
            lambda: embedding_rankings(reference, labelled, depth, batch_size, truncate),
            labelled, **settings)
    detail.pop("_rankings")
    return gate_result, detail, warnings
