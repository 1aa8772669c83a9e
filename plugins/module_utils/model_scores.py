# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The third opinion: a cross-encoder's own scores, computed in-process with transformers from its weights folder.

Why: the reference can be the one that is wrong (Caikit-NLP 0.5.15 drops token type ids), so score_check
compares both servers with what the model itself computes. This file has two halves:

- ``ModelScorer`` (controller side, standard library only) runs this very file's source with another
  Python that has torch and transformers (``scoring_python``, e.g. the vLLM or Caikit venv's python),
  sending the pairs as JSON on stdin. The module reads the source with ``inspect.getsource`` because
  Ansible ships module_utils inside a zip, where the file has no path another interpreter could run.
- ``score_main`` (subprocess side) loads the model with ``AutoModelForSequenceClassification`` and scores
  every pair twice: with the token type ids the tokenizer gives (what sentence-transformers' CrossEncoder
  and vLLM do) and without them (what Caikit-NLP does), returning raw logits.

This file imports nothing outside the standard library at module level, so the subprocess can run it alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

BATCH = 16


class ModelScoresError(Exception):
    """The model's own scores could not be computed (cause and hint for the user)."""

    def __init__(self, cause, hint):
        self.cause = cause
        self.hint = hint
        super().__init__(cause)


class ModelScorer(object):
    """``scores(groups)`` -> ``{with_token_types, without_token_types, uses_token_types, ...}`` via ``scoring_python``."""

    def __init__(self, python, model_path, source, timeout=600.0):
        self.python = python
        self.model_path = model_path
        self.source = source
        self.timeout = timeout

    def scores(self, groups):
        request = json.dumps({"model_path": self.model_path,
                              "groups": [{"query": g["query"], "documents": g["documents"]} for g in groups]})
        try:
            proc = subprocess.run([self.python, "-c", self.source], input=request, capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except OSError as exc:
            raise ModelScoresError("cannot run scoring_python %s (%s)" % (self.python, exc.strerror or exc),
                                   "Point scoring_python at a Python with torch and transformers, e.g. <venv>/bin/python")
        except subprocess.TimeoutExpired:
            raise ModelScoresError("scoring the model in-process took longer than %s s" % self.timeout,
                                   "Raise scoring_timeout or use fewer pairs")
        if proc.returncode != 0:
            tail = " ".join(proc.stderr.strip().splitlines()[-3:])[-400:]
            raise ModelScoresError("scoring the model with %s failed (exit %d): %s" % (self.python, proc.returncode, tail),
                                   "scoring_python needs torch and transformers; model_path must be the folder the "
                                   "candidate serves (config.json, weights, tokenizer)")
        try:
            answer = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ModelScoresError("scoring_python printed no JSON result", "Run it by hand to see its output")
        expected = [len(g["documents"]) for g in groups]
        if [len(row) for row in answer.get("with_token_types") or []] != expected:
            raise ModelScoresError("the in-process scores do not cover every pair", "Report this as a bug")
        return answer


def score_main(request):
    """Subprocess side: raw logits of every pair, with and without token type ids."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    path = request["model_path"]
    config = AutoConfig.from_pretrained(path)
    if config.num_labels != 1:
        raise SystemExit("model %s has %d labels; only single-score cross-encoders are supported" % (path, config.num_labels))
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).float().eval()
    outputs = {"with_token_types": [], "without_token_types": []}
    uses_token_types = False
    with torch.no_grad():
        for group in request["groups"]:
            rows = {"with_token_types": [], "without_token_types": []}
            docs = group["documents"]
            for start in range(0, len(docs), BATCH):
                chunk = docs[start:start + BATCH]
                features = tokenizer([group["query"]] * len(chunk), chunk, padding=True, truncation=True, return_tensors="pt")
                rows["with_token_types"] += model(**features).logits[:, 0].tolist()
                types = features.pop("token_type_ids", None)
                if types is not None and bool(types.any()):
                    uses_token_types = True
                rows["without_token_types"] += model(**features).logits[:, 0].tolist()
            for key, values in rows.items():
                outputs[key].append(values)
    st_config = getattr(config, "sentence_transformers", None) or {}
    return dict(outputs, uses_token_types=uses_token_types,
                declared_activation_fn=st_config.get("activation_fn") if isinstance(st_config, dict) else None,
                versions={"torch": torch.__version__, "transformers": transformers.__version__},
                python=sys.executable)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(score_main(json.loads(sys.stdin.read()))) + "\n")
