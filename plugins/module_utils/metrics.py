# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Numbers the gates are made of: cosine similarity, norms, summaries."""

from __future__ import annotations

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None


def row_cosines(a, b):
    """Cosine similarity of each row of ``a`` with the same row of ``b``.

    A zero vector has no direction: its cosine is 0 (a failure), never NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("shapes differ: %s vs %s" % (a.shape, b.shape))
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    dots = np.einsum("ij,ij->i", a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(denom > 0, dots / np.where(denom > 0, denom, 1.0), 0.0)
    return np.clip(cos, -1.0, 1.0)


def summarize(values, digits=6):
    """min, mean, p01 (1st percentile), max of a sequence, rounded for reports."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("nothing to summarize")
    return {
        "min": round(float(values.min()), digits),
        "mean": round(float(values.mean()), digits),
        "p01": round(float(np.percentile(values, 1)), digits),
        "max": round(float(values.max()), digits),
    }


def is_normalized(norms, tolerance):
    """True when every norm is 1 within ``tolerance``."""
    norms = np.asarray(norms, dtype=np.float64)
    return bool(np.all(np.abs(norms - 1.0) <= tolerance))
