# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the emulator tests: the collection's roles and playbooks, run by the real
``ansible-playbook`` with the real ``kubernetes.core`` modules, against ``ClusterEmulator``
(kube_emulator.py) on 127.0.0.1.

A playbook run costs 15 to 30 s here (every k8s task starts a Python process that imports the
kubernetes client). To stay within a few minutes on two cores, every scenario (scenarios.py) the
selected tests use starts in a background thread as soon as collection ends (so in `make test` they run
beside the unit tests), several at once; each test fixture named after a scenario hands out its recorded
steps (harness.Scenario.step).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ScenarioPool  # noqa: E402  (importable through the path above)
from scenarios import SCENARIOS  # noqa: E402
import scenarios_gpu_storage  # noqa: E402,F401 registers the GPU plan, storage and prefetch scenarios  # pylint: disable=unused-import
import cutover_scenarios  # noqa: E402,F401  registers the cutover scenarios  # pylint: disable=unused-import
import report_scenarios  # noqa: E402,F401 registers the report and login scenarios  # pylint: disable=unused-import
import benchmark_job_scenarios  # noqa: E402,F401 registers the in-cluster benchmark Job scenario  # pylint: disable=unused-import
import check_job_scenarios  # noqa: E402,F401 registers the in-cluster check Job scenario  # pylint: disable=unused-import
import guard_scenarios  # noqa: E402,F401 registers the exposure, ownership and early-stop scenarios  # pylint: disable=unused-import
import discovery_scenarios  # noqa: E402,F401 registers the Caikit discovery scenario  # pylint: disable=unused-import
import kserve_target_scenarios  # noqa: E402,F401 registers the InferenceService target scenario  # pylint: disable=unused-import
import credentials_scenarios  # noqa: E402,F401 registers the per-endpoint credentials scenario  # pylint: disable=unused-import
from kube_emulator import RunningEmulator  # noqa: E402


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: start only the scenarios still needed
def pytest_collection_modifyitems(session, config, items):
    """Start the scenarios the selected tests use as soon as collection ends, in the background: in `make test`
    they then run while the unit tests (one core, in-process) run before them, instead of after."""
    names = sorted({name for item in items for name in getattr(item, "fixturenames", ()) if name in SCENARIOS})
    config.emulator_scenario_pool = None
    if names:
        factory = getattr(config, "_tmp_path_factory", None)  # pytest's tmp_path_factory, before any fixture runs
        workdir = factory.mktemp("scenarios") if factory else Path(tempfile.mkdtemp(prefix="scenarios-"))
        pool = ScenarioPool(SCENARIOS, workdir, int(os.environ.get("EMULATOR_TEST_WORKERS", "3")))
        for name in names:
            pool.start(name)
        config.emulator_scenario_pool = pool


def pytest_unconfigure(config):
    pool = getattr(config, "emulator_scenario_pool", None)
    if pool is not None:
        pool.close()


@pytest.fixture(scope="session")
def scenario_pool(request, tmp_path_factory):
    pool = getattr(request.config, "emulator_scenario_pool", None)
    if pool is None:  # a test that needs a scenario outside the collection above
        pool = ScenarioPool(SCENARIOS, tmp_path_factory.mktemp("scenarios"), int(os.environ.get("EMULATOR_TEST_WORKERS", "3")))
        request.config.emulator_scenario_pool = pool
    return pool


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
