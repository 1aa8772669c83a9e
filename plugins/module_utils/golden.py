# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Golden files: embeddings recorded from a reference earlier, replayed as a reference later."""

from __future__ import annotations

import datetime
import json
import os

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import to_matrix

GOLDEN_FORMAT = "vllm_pooling.migration/golden-embeddings/v1"


def read_golden(path, model, file_format, label, record_hint, format_hint):
    """``(url, document)`` of a golden file of ``file_format``; CheckError saying what to do when it cannot
    be read, is not JSON or is of another format (``label`` names the kind of file in the messages)."""
    url = "file://" + os.path.abspath(path)
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (IOError, OSError) as exc:
        raise CheckError(model, url, "cannot read %s (%s)" % (label, exc.strerror or exc), record_hint)
    except ValueError as exc:
        raise CheckError(model, url, "%s is not valid JSON (%s)" % (label, exc), "Record it again")
    if not isinstance(document, dict) or document.get("format") != file_format:
        raise CheckError(model, url, "not a %s of format %s" % (label, file_format), format_hint)
    return url, document


def write_golden(path, document, compared=("records",), check_mode=False, move=os.replace):
    """Write a golden ``document`` to ``path`` unless the file already holds the same ``compared`` fields.

    Returns whether the file changed (in check mode: would change). ``move`` puts the written temporary
    file in place atomically (a module passes its ``atomic_move``).
    """
    try:
        with open(path) as handle:
            previous = json.load(handle)
        if all(previous.get(field) == document.get(field) for field in compared):
            return False
    except (IOError, OSError, ValueError, AttributeError):
        pass
    if check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(document, handle, indent=1, ensure_ascii=False)
    move(tmp, path)
    return True


def _key(text, truncate):
    return "%d:%s" % (1 if truncate else 0, text)


class GoldenFileReference(object):
    """Answers ``embed`` from a file; a text it has no record of is an error, never a guess."""

    kind = "golden"

    def __init__(self, path, model):
        self.path = path
        self.model = model
        self.url, document = read_golden(path, model, GOLDEN_FORMAT, "golden file",
                                         "Record it first (embedding_check record_golden) or fix the path",
                                         "Record it again with this collection")
        self.meta = {k: v for k, v in document.items() if k != "records"}
        self.records = {}
        for record in document.get("records", []):
            self.records[_key(record.get("text", ""), record.get("truncate", False))] = record

    @property
    def length_passages(self):
        """The length passages the file was recorded with (``[{target, tokens, text}]``), so a replay sends the same."""
        return list(self.meta.get("passages") or [])

    def version(self):
        return self.meta.get("reference_version")

    def embed(self, texts, truncate=False):
        return self.embed_counted(texts, truncate)[0]

    def embed_counted(self, texts, truncate=False):
        """Recorded vectors; the token count is the recorded one for a single text, else None."""
        rows = []
        records = []
        for text in texts:
            record = self.records.get(_key(text, truncate))
            if record is None:
                raise CheckError(self.model, self.url,
                                 "golden file has no record for text %r (truncate=%s)" % (text[:60], truncate),
                                 "Record the golden file again with the corpus you check against")
            if "rejected" in record:
                raise RequestRejected(self.model, self.url, record["rejected"].get("status", 400),
                                      record["rejected"].get("detail", "rejected when recorded"))
            rows.append(record.get("embedding"))
            records.append(record)
        tokens = records[0].get("tokens") if len(records) == 1 else None
        return to_matrix(rows, len(rows), self.model, self.url), tokens


class GoldenRecorder(object):
    """Wraps a live reference and keeps what it answered, to write as a golden file."""

    def __init__(self, source):
        self.source = source
        self.kind = source.kind
        self.url = source.url
        self.records = {}
        self.passages = []

    def version(self):
        return self.source.version() if hasattr(self.source, "version") else None

    def count_tokens(self, text):
        return self.source.count_tokens(text)

    def embed(self, texts, truncate=False):
        return self.embed_counted(texts, truncate)[0]

    def embed_counted(self, texts, truncate=False):
        try:
            matrix, tokens = self.source.embed_counted(texts, truncate)
        except RequestRejected as exc:
            if len(texts) == 1:
                self.records[_key(texts[0], truncate)] = {
                    "text": texts[0], "truncate": truncate,
                    "rejected": {"status": exc.status, "detail": exc.detail}}
            raise
        for text, row in zip(texts, matrix):
            record = {"text": text, "truncate": truncate, "embedding": [float(x) for x in row]}
            if len(texts) == 1 and tokens is not None:
                record["tokens"] = tokens
            elif self.records.get(_key(text, truncate), {}).get("tokens") is not None:
                record["tokens"] = self.records[_key(text, truncate)]["tokens"]  # keep a count seen earlier
            self.records[_key(text, truncate)] = record
        return matrix, tokens

    def document(self, model):
        return {
            "format": GOLDEN_FORMAT,
            "model": model,
            "source": "%s %s" % (self.source.kind, self.source.url),
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "reference_version": self.version(),
            "passages": list(self.passages),
            "records": sorted(self.records.values(), key=lambda r: (r["truncate"], r["text"])),
        }
