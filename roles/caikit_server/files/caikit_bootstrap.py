"""Make Caikit-NLP model folders (config.yml + artifacts/) from directories of model files.

Usage: caikit_bootstrap.py [--check] MODELS_DIR < {"models": [catalog entries], "weights": {key: dir}}
Each entry (kind embedding or reranker, key, caikit_model_id) gets MODELS_DIR/<caikit_model_id> made from
the directory weights[key] (the first entry of a model id when several share one). A folder whose config.yml
exists is left as it is. All folders are made in one process: importing caikit_nlp takes longer than
bootstrapping a small model. With --check nothing is made or imported. Prints {"made": [model ids],
"present": [model ids], "loaded": [model ids]} as JSON, "loaded" being every model folder of MODELS_DIR (the
runtime loads them all, selected or not), with --check those that would be made included.
"""

import json
import os
import sys

KINDS = ("embedding", "reranker")


def main(argv):
    check = argv[:1] == ["--check"]
    args = argv[1:] if check else argv
    if len(args) != 1:
        sys.exit(__doc__)
    request = json.load(sys.stdin)
    jobs = []
    for entry in request["models"]:
        # catalog entries that differ only on the vLLM side (pooling, dtype) share one Caikit model id: one folder
        if entry["caikit_model_id"] not in [model_id for _kind, _weights, model_id in jobs]:
            jobs.append((entry["kind"], request["weights"][entry["key"]], entry["caikit_model_id"]))
    unknown = sorted({kind for kind, _weights, _model_id in jobs} - set(KINDS))
    if unknown:
        sys.exit("unknown kind %s: use embedding or reranker" % ", ".join(unknown))
    missing = [job for job in jobs if not os.path.exists(os.path.join(args[0], job[2], "config.yml"))]
    if missing and not check:
        from caikit_nlp.modules.text_embedding import CrossEncoderModule, EmbeddingModule
        modules = {"embedding": EmbeddingModule, "reranker": CrossEncoderModule}
        for kind, weights, model_id in missing:
            try:
                modules[kind].bootstrap(weights).save(os.path.join(args[0], model_id))
            except Exception as exc:  # pylint: disable=broad-except  # one message naming the model, not a traceback
                sys.exit("Caikit could not bootstrap the %s model %s from %s: %s: %s. Check that the folder holds the "
                         "model's Hugging Face files (config.json, weights, tokenizer)."
                         % (kind, model_id, weights, type(exc).__name__, exc))
    on_disk = [name for name in os.listdir(args[0]) if os.path.exists(os.path.join(args[0], name, "config.yml"))] \
        if os.path.isdir(args[0]) else []
    print(json.dumps({"made": [job[2] for job in missing], "present": [job[2] for job in jobs if job not in missing],
                      "loaded": sorted(set(on_disk) | {job[2] for job in missing})}))


if __name__ == "__main__":
    main(sys.argv[1:])
