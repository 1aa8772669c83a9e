# Download each model of the catalog into the Hugging Face cache on the model-cache volume (HF_HOME),
# so that vLLM servers can start with HF_HUB_OFFLINE=1. Runs in the prefetch Job of the model_cache
# role; huggingface_hub reads HF_HOME, HF_TOKEN and HF_ENDPOINT from the environment.
import json
import os
import sys

from huggingface_hub import snapshot_download

models = json.loads(os.environ["PREFETCH_MODELS"])
ignore_patterns = json.loads(os.environ.get("PREFETCH_IGNORE_PATTERNS") or "[]") or None
failed = []
for repo_id in models:
    print("downloading %s into %s" % (repo_id, os.environ.get("HF_HOME")), flush=True)
    try:
        path = snapshot_download(repo_id=repo_id, ignore_patterns=ignore_patterns)
    except Exception as exc:  # report every model, then fail the Job once
        print("FAILED %s: %s: %s" % (repo_id, type(exc).__name__, exc), flush=True)
        failed.append(repo_id)
        continue
    print("cached %s at %s" % (repo_id, path), flush=True)
if failed:
    sys.exit("could not download: %s" % ", ".join(failed))
