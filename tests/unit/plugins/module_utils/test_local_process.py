from __future__ import annotations

import sys
import time

from ansible_collections.vllm_pooling.migration.plugins.module_utils import local_process
from ansible_collections.vllm_pooling.migration.plugins.module_utils.local_process import (
    LocalProcess, free_port, process_start_time, processes_with_marker)

# A parent that forks a child, like vLLM's API server and its engine process.
FORKING = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
           " print('port', sys.argv[1], flush=True); time.sleep(60)")


def test_start_records_state_and_stop_kills_children(tmp_path):
    proc = LocalProcess("srv", str(tmp_path))
    state = proc.start([sys.executable, "-c", FORKING, "{port}"])
    assert state["command"][-1] == str(state["port"])
    deadline = time.time() + 60  # the child's Python starts slowly while the emulator scenarios load both cores
    while (len(proc.members()) < 2 or "port %d" % state["port"] not in proc.log_tail()) and time.time() < deadline:
        time.sleep(0.1)
    members = proc.members()
    assert len(members) == 2 and state["pid"] in members
    assert proc.status()["running"]
    assert proc.stop(grace=5)
    assert all(process_start_time(p) is None for p in members)
    assert proc.read_state() is None and not proc.status()["running"]
    assert "port %d" % state["port"] in proc.log_tail()


def test_reused_pid_is_not_ours(tmp_path):
    proc = LocalProcess("srv", str(tmp_path))
    state = proc.start([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        forged = dict(state, start_time=state["start_time"] + 1)
        assert not proc.is_running(forged)
    finally:
        proc.stop(grace=5)


def test_stop_without_state_is_a_no_op(tmp_path):
    assert LocalProcess("none", str(tmp_path)).stop() is False


def test_marker_scan_finds_nothing_for_unknown_token():
    assert processes_with_marker("no-such-token") == []


def test_a_worker_the_environment_scan_misses_is_stopped_through_its_session(tmp_path, monkeypatch):
    proc = LocalProcess("srv", str(tmp_path))
    state = proc.start([sys.executable, "-c", FORKING, "{port}"])
    deadline = time.time() + 60
    while len(local_process.processes_in_session(state["pid"])) < 2 and time.time() < deadline:
        time.sleep(0.1)
    members = local_process.processes_in_session(state["pid"])
    assert len(members) == 2 and state["pid"] in members
    monkeypatch.setattr(local_process, "processes_with_marker", lambda token: [])
    assert proc.stop(grace=5)
    assert all(process_start_time(p) is None for p in members)


def test_free_port_is_bindable():
    assert 0 < free_port() < 65536


def test_wait_healthy_returns_as_soon_as_the_probe_passes(tmp_path):
    proc = LocalProcess("srv", str(tmp_path))
    state = proc.start([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        probes = []

        def ready_on_third(port):
            probes.append(port)
            return len(probes) >= 3
        started = time.monotonic()
        status, healthy = proc.wait_healthy(ready_on_third, seconds=20, interval=0.05)
        assert healthy and status["running"] and probes == [state["port"]] * 3
        assert time.monotonic() - started < 5
    finally:
        proc.stop(grace=5)


def test_wait_healthy_gives_up_after_its_time_and_at_once_when_the_server_died(tmp_path):
    proc = LocalProcess("srv", str(tmp_path))
    proc.start([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = time.monotonic()
        status, healthy = proc.wait_healthy(lambda port: False, seconds=0.5, interval=0.05)
        assert not healthy and status["running"] and 0.5 <= time.monotonic() - started < 5
    finally:
        proc.stop(grace=5)
    dead = LocalProcess("dead", str(tmp_path))
    dead.start([sys.executable, "-c", "raise SystemExit(3)"])
    time.sleep(0.5)
    started = time.monotonic()
    status, healthy = dead.wait_healthy(lambda port: True, seconds=20, interval=0.05)
    assert not healthy and not status["running"] and time.monotonic() - started < 5
