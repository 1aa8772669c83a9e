# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Turn decoded JSON vectors into a checked numpy matrix, or raise CheckError."""

from __future__ import annotations

try:
    import numpy as np
    HAS_NUMPY = True
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    HAS_NUMPY = False

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError


def to_matrix(rows, expected_count, model, url):
    """Check shape and values of ``rows`` (a list of lists of numbers); return float64 ``(n, d)``.

    Partial answers, ragged or empty vectors, non-numbers and NaN/Inf are errors: a check
    must never pass on data it did not fully receive.
    """
    if not isinstance(rows, list) or len(rows) != expected_count:
        got = len(rows) if isinstance(rows, list) else type(rows).__name__
        raise CheckError(model, url, "expected %d vectors, got %s" % (expected_count, got),
                         "The server returned a partial or malformed answer")
    dims = set()
    for row in rows:
        if not isinstance(row, list) or not row:
            raise CheckError(model, url, "a vector is empty or not a list",
                             "The server returned a malformed embedding")
        dims.add(len(row))
    if len(dims) != 1:
        raise CheckError(model, url, "vectors of different lengths %s in one answer" % sorted(dims),
                         "The server returned inconsistent embeddings")
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckError(model, url, "a vector holds values that are not numbers",
                         "The server returned a malformed embedding")
    bad = ~np.isfinite(matrix)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise CheckError(model, url, "vector %d holds NaN or infinite values (%d of %d values)"
                         % (row, int(bad[row].sum()), matrix.shape[1]),
                         "The model produced non-finite output; check dtype (float16 overflow) and weights")
    return matrix
