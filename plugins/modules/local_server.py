#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: local_server
short_description: Start, find and stop a local server process recorded in a state directory
version_added: 0.1.0
description:
  - Runs a server (vLLM, the Caikit runtime) as a background process of the local platform and
    records its pid, process start time, port, command and log in C(<state_dir>/<name>.json).
  - O(state=started) is idempotent, a server that runs with the same command and environment is
    left alone. A recorded server with a different configuration is stopped and started anew.
  - O(state=stopped) stops exactly the processes of the recorded start (the server and the workers
    it forked, found by a token in their environment), never a process that reused a pid.
  - O(state=status) reports whether the recorded server runs, with the tail of its log, for
    waiting loops that should stop early when a server dies.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  name:
    description: Name of the server, unique within O(state_dir); names the state and log files.
    type: str
    required: true
  state:
    description: What to do.
    type: str
    choices: [started, stopped, status]
    default: started
  state_dir:
    description: Directory of state files and logs.
    type: path
    required: true
  argv:
    description:
      - Command and arguments. The string C({port}) is replaced with the port.
      - Required with O(state=started).
    type: list
    elements: str
  env:
    description: Extra environment variables for the server. The string C({port}) is replaced with the port.
    type: dict
    default: {}
  cwd:
    description: Working directory of the server.
    type: path
  port:
    description: Port to put in place of C({port}); a free port on O(host) when omitted.
    type: int
  host:
    description: Address the server is told to bind to, used to pick a free port.
    type: str
    default: 127.0.0.1
  health_url:
    description:
      - With O(state=status), a URL to GET; RV(healthy) is true when it answers HTTP 200.
      - C({port}) is replaced with the recorded port.
    type: str
  wait:
    description:
      - With O(state=status) and O(health_url), seconds to keep probing O(health_url) (twice a second) before
        answering; the answer comes as soon as it is healthy or the server has stopped running.
      - A retry loop of a few calls with O(wait) set shows progress in Ansible's output and notices a ready
        server within half a second, without a new module process per probe.
    type: int
    default: 0
  log_lines:
    description: Lines of the log returned in RV(log_tail).
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    details: Reports whether the server would be started or stopped without doing it.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Start vLLM for minilm on a free port of 127.0.0.1
  vllm_pooling.migration.local_server:
    name: vllm-minilm
    state_dir: ~/.local/state/vllm_pooling
    argv: [/venvs/vllm/bin/python, -m, vllm.entrypoints.openai.api_server, --model, /models/minilm,
           --runner, pooling, --host, 127.0.0.1, --port, "{port}"]
    env:
      VLLM_CPU_OMP_THREADS_BIND: nobind
  register: server

- name: Wait until it answers, stopping early if it died
  vllm_pooling.migration.local_server:
    name: vllm-minilm
    state_dir: ~/.local/state/vllm_pooling
    state: status
    health_url: "http://127.0.0.1:{port}/health"
    wait: 10
  register: status
  until: status.healthy or not status.running
  retries: 30
  delay: 0

- name: Stop it
  vllm_pooling.migration.local_server:
    name: vllm-minilm
    state_dir: ~/.local/state/vllm_pooling
    state: stopped
"""

RETURN = r"""
running:
  description: Whether the recorded server process runs (after the action).
  returned: always
  type: bool
pid:
  description: Process id of the server.
  returned: when a server is recorded
  type: int
port:
  description: Port the server was given.
  returned: when a server is recorded
  type: int
command:
  description: The command as started, with the port filled in.
  returned: when a server is recorded
  type: list
  elements: str
log:
  description: Path of the server's log file.
  returned: always
  type: str
state_file:
  description: Path of the state file.
  returned: always
  type: str
log_tail:
  description: Last lines of the log, to explain a server that is not running.
  returned: with O(state=status)
  type: str
healthy:
  description: Whether O(health_url) answered HTTP 200.
  returned: with O(state=status) and O(health_url)
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.vllm_pooling.migration.plugins.module_utils.local_process import (
    LocalProcess, fingerprint)


def _healthy(url):
    try:
        return open_url(url, timeout=5).getcode() == 200
    except Exception:  # any failure to answer means not healthy yet
        return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="started", choices=["started", "stopped", "status"]),
            state_dir=dict(type="path", required=True),
            argv=dict(type="list", elements="str"),
            env=dict(type="dict", default={}),
            cwd=dict(type="path"),
            port=dict(type="int"),
            host=dict(type="str", default="127.0.0.1"),
            health_url=dict(type="str"),
            log_lines=dict(type="int", default=30),
            wait=dict(type="int", default=0),
        ),
        required_if=[("state", "started", ("argv",))],
        supports_check_mode=True,
    )
    p = module.params
    proc = LocalProcess(p["name"], p["state_dir"])
    status = proc.status()
    changed = False

    if p["state"] == "started":
        env = {k: str(v) for k, v in p["env"].items()}
        same = status["running"] and status.get("fingerprint") == fingerprint(p["argv"], env)
        if not same:
            changed = True
            if not module.check_mode:
                try:
                    proc.stop()
                    proc.start(p["argv"], env=env, cwd=p["cwd"], port=p["port"], host=p["host"])
                except OSError as exc:
                    module.fail_json(msg="server '%s': cannot start %s: %s" % (p["name"], p["argv"][0], exc),
                                     log=proc.log_path)
                status = proc.status()
    elif p["state"] == "stopped":
        if status.get("pid") or proc.members():
            changed = True
            if not module.check_mode:
                proc.stop()
                status = proc.status()

    result = dict(changed=changed, running=status["running"], log=status["log"], state_file=status["state_file"])
    for key in ("pid", "port", "command", "host"):
        if key in status:
            result[key] = status[key]
    if p["state"] == "status" and p["health_url"]:
        status, result["healthy"] = proc.wait_healthy(lambda port: _healthy(p["health_url"].replace("{port}", str(port))),
                                                      p["wait"])
        result["running"] = status["running"]
    if p["state"] == "status":
        result["log_tail"] = proc.log_tail(p["log_lines"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
