"""Core fleet: all-MiniLM-L6-v2 deployed right, the same weights deployed wrong, and a model without weights.

- minilm       as the catalog describes it (the correct deployment)
- minilm_cls   the same weights with --pooler-config forcing CLS pooling (answers HTTP 200, wrong vectors)
- granite      selected without weights: it must come out not_verified
The Caikit-NLP runtime serves minilm as the reference of both minilm servers.
"""

from __future__ import annotations

from live_servers import BROKEN_CATALOG


MODELS = ["minilm", "minilm_cls", "granite"]


def fleet(workdir, venvs):
    return {"models": list(MODELS), "catalog": dict(BROKEN_CATALOG), "not_started": ["granite"]}
