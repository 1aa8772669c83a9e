# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Provenance of a check result: what exactly was compared, so later steps can refuse evidence made for something else.

Values the check could not read are None, never guessed (the cutover compares them).
"""

from __future__ import annotations

import datetime
import hashlib
import os

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import COLLECTION_VERSION

_CHUNK = 1024 * 1024


def model_digest(path):
    """``(sha256, problem)`` over a model folder: every regular file's relative path and content, in path order.

    Symlinks are followed (Hugging Face caches link blobs). Returns ``(None, why)`` when the folder cannot be read.
    """
    if not path:
        return None, None
    if not os.path.isdir(path):
        return None, "model folder %s is not a readable directory; model_digest is null" % path
    digest = hashlib.sha256()
    files = []
    for directory, subdirs, names in os.walk(path, followlinks=True):
        subdirs.sort()
        files.extend(os.path.join(directory, name) for name in names)
    try:
        for full in sorted(files, key=lambda f: os.path.relpath(f, path)):
            if not os.path.isfile(full):
                continue
            digest.update(os.path.relpath(full, path).encode("utf-8") + b"\0")
            with open(full, "rb") as handle:
                for block in iter(lambda: handle.read(_CHUNK), b""):
                    digest.update(block)
            digest.update(b"\0")
    except (IOError, OSError) as exc:
        return None, "cannot read %s (%s); model_digest is null" % (path, exc.strerror or exc)
    return digest.hexdigest(), None


def build_provenance(served_config, digest, reference_type, reference_version, reference_model, corpus_hash,
                     thresholds, server="vllm", weights=None):
    """The ``provenance`` a check result carries (docs/architecture.md, result record): what exactly was compared."""
    served_config = served_config or {}
    weights = weights or {}
    candidate_weights, reference_weights = weights.get("candidate") or {}, weights.get("reference") or {}
    return {
        "candidate": {
            "server": server,
            "version": served_config.get("version"),
            "served_model": served_config.get("served_model"),
            "root": served_config.get("root"),
            "max_model_len": served_config.get("max_model_len"),
            "model_digest": digest,
            "weights_digest": candidate_weights.get("digest"),
        },
        "reference": {"type": reference_type, "version": reference_version, "model": reference_model,
                      "weights_digest": reference_weights.get("digest"), "weights_path": reference_weights.get("folder")},
        "corpus_sha256": corpus_hash,
        "thresholds": dict(thresholds),
        "checked_at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "collection_version": COLLECTION_VERSION,
    }
