# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The local_server module's main() with a real background process (a small Python HTTP server): started,
idempotent, status with health and log tail, stopped, check mode, and a command that cannot start."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.local_process import process_start_time
from ansible_collections.vllm_pooling.migration.plugins.modules import local_server

SERVER = ("import http.server, sys\n"
          "class H(http.server.BaseHTTPRequestHandler):\n"
          "    def do_GET(self):\n"
          "        self.send_response(200); self.end_headers()\n"
          "    def log_message(self, *args):\n"
          "        pass\n"
          "print('serving on port', sys.argv[1], flush=True)\n"
          "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")
ARGV = [sys.executable, "-c", SERVER, "{port}"]
STARTS = {}  # pid -> kernel start time, so that a pid reused by another process is not taken for ours


def alive(pid):
    return process_start_time(pid) is not None and process_start_time(pid) == STARTS.get(pid)


@pytest.fixture
def run_module(run_main, tmp_path):
    started = []

    def run(args):
        result = run_main(local_server.main, dict(dict(name="srv", state_dir=str(tmp_path)), **args))
        if result.get("pid"):
            started.append(result["pid"])
            STARTS.setdefault(result["pid"], process_start_time(result["pid"]))
        return result
    yield run
    run_main(local_server.main, dict(name="srv", state_dir=str(tmp_path), state="stopped"))
    assert not any(alive(pid) for pid in started)


def test_start_is_idempotent_reports_health_and_stops(run_module):
    started = run_module({"argv": ARGV})
    assert started["changed"] is True and started["running"] is True and started["command"][-1] == str(started["port"])
    again = run_module({"argv": ARGV})
    assert again["changed"] is False and again["pid"] == started["pid"]
    status = run_module({"state": "status", "health_url": "http://127.0.0.1:{port}/health", "wait": 20})
    assert status["changed"] is False and status["healthy"] is True and status["running"] is True
    assert "serving on port %d" % started["port"] in status["log_tail"]
    stopped = run_module({"state": "stopped"})
    assert stopped["changed"] is True and stopped["running"] is False
    assert not alive(started["pid"])
    assert run_module({"state": "stopped"})["changed"] is False


def test_another_command_restarts_the_server(run_module):
    first = run_module({"argv": ARGV})
    second = run_module({"argv": ARGV, "env": {"SOME_SETTING": 1}})
    assert second["changed"] is True and second["pid"] != first["pid"] and not alive(first["pid"])


def test_check_mode_starts_and_stops_nothing(run_module):
    would_start = run_module({"argv": ARGV, "_ansible_check_mode": True})
    assert would_start["changed"] is True and would_start["running"] is False and "pid" not in would_start
    started = run_module({"argv": ARGV})
    would_stop = run_module({"state": "stopped", "_ansible_check_mode": True})
    assert would_stop["changed"] is True and alive(started["pid"])


def test_a_command_that_cannot_start_fails_naming_the_server_and_its_log(run_module, tmp_path):
    result = run_module({"argv": [str(tmp_path / "no-such-server"), "--port", "{port}"]})
    assert result["failed"] is True
    assert result["msg"].startswith("server 'srv': cannot start %s: " % (tmp_path / "no-such-server"))
    assert result["log"].startswith(str(tmp_path))


def test_started_needs_a_command(run_module):
    result = run_module({})
    assert result["failed"] is True and "argv" in result["msg"]
