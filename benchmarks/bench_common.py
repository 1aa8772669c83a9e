# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What the scripts under benchmarks/ share: running a playbook of the collection, starting the local
servers of one model with playbooks/provision.yml, and describing the machine a number was measured on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import urllib.request


def run_playbook(root, name, extra):
    """``scripts/run-playbook playbooks/<name> -e <extra>``, its output captured (printed only on failure)."""
    command = [os.path.join(root, "scripts", "run-playbook"), os.path.join(root, "playbooks", name), "-e", json.dumps(extra)]
    print("$ %s" % " ".join(command[:2]) + " -e '%s'" % json.dumps(extra), flush=True)
    return subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def start_local_servers(root, workdir, model="minilm"):
    """Start ``model``'s local servers with playbooks/provision.yml in a state folder under ``workdir``.
    Returns the extra vars (for cleanup.yml) and ``{"vllm": url, "caikit": url}`` of the servers it found."""
    extra = {"vllm_migration_models": [model], "vllm_migration_state_dir": os.path.join(workdir, "state"),
             "vllm_migration_report_dir": os.path.join(workdir, "reports")}
    done = run_playbook(root, "provision.yml", extra)
    urls = {}
    for server, state in (("vllm", "vllm-%s.json" % model), ("caikit", "caikit.json")):
        path = os.path.join(workdir, "state", state)
        if os.path.exists(path):
            with open(path) as handle:
                urls[server] = "http://127.0.0.1:%d" % json.load(handle)["port"]
    if done.returncode != 0 or "vllm" not in urls:
        sys.exit("could not start the local servers with playbooks/provision.yml:\n" + done.stdout[-3000:])
    return extra, urls


def vllm_version(url):
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/version", timeout=10) as answer:
            return json.load(answer).get("version")
    except (OSError, ValueError):
        return "unknown"


def machine():
    """CPU model, cores and OS, and the load average when asked: numbers from a busy machine are not quotable."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    return "%s, %d cores, %s, Python %s" % (cpu, os.cpu_count() or 0, platform.platform(), platform.python_version())


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()
