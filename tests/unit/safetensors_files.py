# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Model folders written here for the tests of the weights gate: safetensors files (an 8-byte little-endian header
size, a JSON header, the tensors' bytes), a Hugging Face-style folder and a Caikit model folder around them."""

from __future__ import annotations

import json
import struct

import numpy as np

DTYPES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64"}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header).encode("utf-8")
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def model_tensors(seed=0):
    rng = np.random.default_rng(seed)
    return {"embeddings.word_embeddings.weight": rng.standard_normal((16, 8)).astype("float32"),
            "encoder.layer.0.attention.self.query.weight": rng.standard_normal((8, 8)).astype("float32"),
            "encoder.layer.0.attention.self.query.bias": rng.standard_normal(8).astype("float32")}


def hf_folder(tmp_path, name="hf", tensors=None, **extra):
    folder = tmp_path / name
    folder.mkdir()
    write_safetensors(folder / "model.safetensors", dict(tensors or model_tensors(), **extra), {"format": "pt"})
    (folder / "config.json").write_text('{"architectures": ["BertModel"]}')
    return folder


def caikit_folder(tmp_path, name="caikit", module="EmbeddingModule", tensors=None):
    folder = tmp_path / name
    (folder / "artifacts").mkdir(parents=True)
    package = "crossencoder" if module == "CrossEncoderModule" else "embedding"
    (folder / "config.yml").write_text("module_class: caikit_nlp.modules.text_embedding.%s.%s\nartifacts_path: "
                                       "artifacts\ncaikit_nlp_version: 0.5.15\n" % (package, module))
    write_safetensors(folder / "artifacts" / "model.safetensors", tensors or model_tensors())
    return folder
