# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the emulator tests: the collection's roles and playbooks, run by the real
``ansible-playbook`` with the real ``kubernetes.core`` modules, against ``ClusterEmulator``
(kube_emulator.py) on 127.0.0.1.

A playbook run costs 15 to 30 s here (every k8s task starts a Python process that imports the
kubernetes client). To stay within a few minutes on two cores, every scenario (scenarios.py) the
selected tests use starts in a background thread when the session begins, several at once; each
test fixture named after a scenario hands out its recorded steps (harness.Scenario.step).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ScenarioPool  # noqa: E402  (importable through the path above)
from scenarios import SCENARIOS  # noqa: E402
import scenarios_gpu_storage  # noqa: E402,F401 registers the GPU plan, storage and prefetch scenarios  # pylint: disable=unused-import
import cutover_scenarios  # noqa: E402,F401  registers the cutover scenarios  # pylint: disable=unused-import
import report_scenarios  # noqa: E402,F401 registers the report and login scenarios  # pylint: disable=unused-import
import benchmark_job_scenarios  # noqa: E402,F401 registers the in-cluster benchmark Job scenario  # pylint: disable=unused-import
import guard_scenarios  # noqa: E402,F401 registers the exposure, ownership and early-stop scenarios  # pylint: disable=unused-import
import discovery_scenarios  # noqa: E402,F401 registers the Caikit discovery scenario  # pylint: disable=unused-import
from kube_emulator import RunningEmulator  # noqa: E402


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: start only the scenarios still needed
def pytest_collection_modifyitems(session, config, items):
    config.emulator_scenarios = sorted({name for item in items for name in getattr(item, "fixturenames", ())
                                        if name in SCENARIOS})


@pytest.fixture(scope="session")
def scenario_pool(request, tmp_path_factory):
    pool = ScenarioPool(SCENARIOS, tmp_path_factory.mktemp("scenarios"), int(os.environ.get("EMULATOR_TEST_WORKERS", "3")))
    for name in getattr(request.config, "emulator_scenarios", []):
        pool.start(name)
    yield pool
    pool.close()


def _scenario_fixture(name):
    @pytest.fixture(scope="session", name=name)
    def fixture(scenario_pool):
        return scenario_pool.start(name)
    return fixture


for _name in SCENARIOS:
    globals()["_fixture_" + _name] = _scenario_fixture(_name)


@pytest.fixture()
def emulator():
    """A bare emulator for tests of the emulator itself (no playbook)."""
    emu = RunningEmulator().start()
    yield emu
    emu.stop()
