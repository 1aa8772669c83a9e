# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Golden score files: a reranker reference's scores recorded earlier, replayed as the reference later.

The scores counterpart of golden.py (embeddings): a request the file has no record of is an error,
never a guess; a rejection is recorded and replayed as a rejection. The file states the activation
of its scores, so a replay compares in the same terms as the recording did.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import read_golden
from ansible_collections.vllm_pooling.migration.plugins.module_utils.scores import to_scores

GOLDEN_SCORES_FORMAT = "vllm_pooling.migration/golden-scores/v1"


def _key(query, documents, truncate):
    return json.dumps([query, list(documents), bool(truncate)], ensure_ascii=False)


class GoldenScoresReference(object):
    """Answers ``score(query, documents)`` from a golden score file."""

    kind = "golden"

    def __init__(self, path, model):
        self.path = path
        self.model = model
        self.url, document = read_golden(
            path, model, GOLDEN_SCORES_FORMAT, "golden score file", "Record it first (score_check record_golden) or fix the path",
            "Record it again with score_check record_golden (embedding golden files do not apply)")
        self.meta = {k: v for k, v in document.items() if k != "records"}
        self.records = {}
        for record in document.get("records") or []:
            if isinstance(record, dict):
                self.records[_key(record.get("query", ""), record.get("documents", []), record.get("truncate"))] = record

    @property
    def activation(self):
        return self.meta.get("activation")

    def version(self):
        return self.meta.get("reference_version")

    def score(self, query, documents, truncate=False):
        record = self.records.get(_key(query, documents, truncate))
        if record is None:
            raise CheckError(self.model, self.url, "golden file has no record for query %r with %d documents (truncate=%s)"
                             % (query[:60], len(documents), bool(truncate)),
                             "Record the golden file again with the pairs you check")
        if "rejected" in record:
            rejected = record["rejected"] if isinstance(record["rejected"], dict) else {}
            raise RequestRejected(self.model, self.url, rejected.get("status", 400), rejected.get("detail", "rejected when recorded"))
        return to_scores(record.get("scores"), len(documents), self.model, self.url)


class GoldenScoresRecorder(object):
    """Wraps a live reference and keeps what it answered, to write as a golden score file."""

    def __init__(self, source, activation):
        self.source = source
        self.kind = source.kind
        self.url = source.url
        self.activation = activation
        self.records = {}

    def version(self):
        return self.source.version() if hasattr(self.source, "version") else None

    def score(self, query, documents, truncate=False):
        base = {"query": query, "documents": list(documents), "truncate": bool(truncate)}
        try:
            scores = self.source.score(query, documents, truncate)
        except RequestRejected as exc:
            self.records[_key(query, documents, truncate)] = dict(base, rejected={"status": exc.status, "detail": exc.detail})
            raise
        self.records[_key(query, documents, truncate)] = dict(base, scores=[float(x) for x in scores])
        return scores

    def document(self, model):
        return {
            "format": GOLDEN_SCORES_FORMAT,
            "model": model,
            "source": "%s %s" % (self.source.kind, self.source.url),
            "activation": self.activation,
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "reference_version": self.version(),
            "records": [self.records[key] for key in sorted(self.records)],
        }
