# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filter files stay cheap to import.

Whenever a task uses any filter of this collection, each Ansible worker imports every file under
plugins/filter/. A file that pulls in numpy or an HTTP library at import time therefore slows
every task of every playbook (measured: numpy and aiohttp through the benchmark filter added about
0.2 s per task, 20 s to a check-mode run of migrate.yml).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILTERS = sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.py") if p.stem != "__init__")
HEAVY = ("numpy", "aiohttp", "requests", "httpx", "kubernetes", "matplotlib", "urllib3")

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module("ansible_collections.vllm_pooling.migration.plugins.filter." + name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
""" % (HEAVY,)


def test_there_are_filter_files_to_check():
    assert "benchmark" in FILTERS and "records" in FILTERS


def test_importing_every_filter_file_loads_no_heavy_library():
    # A fresh interpreter: this test process may already hold numpy from other tests.
    proc = subprocess.run([sys.executable, "-c", PROBE] + FILTERS, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded == [], "filter files import %s at load time; import them inside the filter that needs them" % loaded


def test_the_benchmark_filters_still_work_after_the_deferred_import():
    from ansible_collections.vllm_pooling.migration.plugins.filter.benchmark import (
        benchmark_markdown, performance_unmeasured)

    record = performance_unmeasured("check mode", advisory=True)
    assert record["status"] == "not_measured" and record["advisory"] is True
    assert "### minilm" in benchmark_markdown({"minilm": record})
