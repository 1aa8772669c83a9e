# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Every playbook that talks to a cluster logs in with a username and password when one is given.

A play talks to the cluster when it, a task file it includes or a role it includes uses a kubernetes.core or
community.okd module. Such a play must declare the module_defaults that hand the login's token to the
kubernetes.core modules (a task cannot set them), start the block that does the work with
playbooks/tasks/openshift_login.yml and revoke the token in that block's ``always``. The login itself runs
against the OAuth stand-in in tests/emulator/test_openshift_login_emulator.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
LOGIN, LOGOUT = "tasks/openshift_login.yml", "tasks/openshift_logout.yml"
# This collection's modules that take the login's token from module_defaults group/vllm_pooling.migration.cluster
# (meta/runtime.yml), as kubernetes.core's take it from group/kubernetes.core.k8s.
OWN_CLUSTER_MODULES = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["cluster"]
GROUP_MODULE = re.compile(r"^vllm_pooling\.migration\.(%s)$" % "|".join(OWN_CLUSTER_MODULES))
CLUSTER_MODULE = re.compile(r"^(kubernetes\.core|community\.okd)\.|" + GROUP_MODULE.pattern[1:])
LOGIN_TOKEN = {
    "host": "{{ __openshift_login.openshift_auth.host | default(omit) }}",
    "api_key": "{{ __openshift_login.openshift_auth.api_key | default(omit) }}",
    "validate_certs": "{{ __openshift_login.openshift_auth.validate_certs | default(omit) }}",
    "ca_cert": "{{ __openshift_login.openshift_auth.ca_cert | default(omit, true) }}",
    # The kubeconfig credential type's context, only when not blank (AWX injects "" for a blank one).
    "context": "{{ lookup('ansible.builtin.env', 'VLLM_MIGRATION_KUBE_CONTEXT') | default(omit, true) }}",
}
# Every cluster play declares both, so that a module moved from one group to the other keeps its token.
MODULE_DEFAULTS = {"group/kubernetes.core.k8s": LOGIN_TOKEN, "group/vllm_pooling.migration.cluster": LOGIN_TOKEN}
INCLUDES = ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks")
ROLE_INCLUDES = ("ansible.builtin.include_role", "ansible.builtin.import_role")


def _load(path):
    return yaml.safe_load(path.read_text()) or []


def _walk(tasks):
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk(task.get(key))


def _included_file(task, base):
    for key in INCLUDES:
        if key in task:
            value = task[key]
            return base / (value if isinstance(value, str) else value["file"])
    return None


def _touches_cluster(tasks, base, seen=frozenset(), pattern=CLUSTER_MODULE):
    """Whether the tasks, their included task files or roles use a cluster module (the login files aside)."""
    for task in _walk(tasks):
        if any(pattern.match(key) for key in task):
            return True
        included = _included_file(task, base)
        # a templated file name (verify's per-check files): the role's other files are scanned anyway
        if included and "{{" not in str(included) and included.name not in ("openshift_login.yml", "openshift_logout.yml") and included not in seen \
                and _touches_cluster(_load(included), included.parent, seen | {included}, pattern):
            return True
        for key in ROLE_INCLUDES:
            if key not in task:
                continue
            # a templated role name (run_in_job.yml's) may be any of the collection's roles
            name = task[key]["name"]
            roles = [path.name for path in (ROOT / "roles").iterdir()] if "{{" in name else [name.split(".")[-1]]
            if any(_role_touches_cluster(role, pattern) for role in roles):
                return True
    return False


def _role_touches_cluster(role, pattern=CLUSTER_MODULE):
    tasks = ROOT / "roles" / role / "tasks"
    return any(_touches_cluster(_load(path), tasks, pattern=pattern) for path in tasks.rglob("*.yml"))


def _plays():
    for path in sorted(PLAYBOOKS.glob("*.yml")):
        for index, play in enumerate(_load(path)):
            if "import_playbook" not in play:  # an imported playbook is checked as itself
                yield "%s#%d" % (path.name, index), play


def _play_tasks(play):
    return (play.get("pre_tasks") or []) + (play.get("tasks") or []) + (play.get("post_tasks") or []) + [
        {"ansible.builtin.include_role": {"name": r if isinstance(r, str) else r["role"]}} for r in play.get("roles") or []]


CLUSTER_PLAYS = {name: play for name, play in _plays() if _touches_cluster(_play_tasks(play), PLAYBOOKS)}
GROUP_PLAYS = {name for name, play in CLUSTER_PLAYS.items() if _touches_cluster(_play_tasks(play), PLAYBOOKS, pattern=GROUP_MODULE)}


def test_the_playbooks_that_talk_to_a_cluster_are_found():
    found = {name.split("#")[0] for name in CLUSTER_PLAYS}
    assert {"migrate.yml", "provision.yml", "verify.yml", "cleanup_cluster.yml"} <= found, found
    # the benchmark role may start its Job on a cluster (module benchmark_job), so these log in too
    assert {"benchmark.yml", "run_in_job.yml"} <= {name.split("#")[0] for name in GROUP_PLAYS}
    # the playbooks that never reach a cluster are not taken for ones that do
    assert "cleanup.yml" not in found, found
    # the collection's own cluster modules (the cutover role's, discovery, cleanup's inventory) count too
    assert {"cutover.yml", "rollback.yml", "retire_caikit.yml", "migrate.yml", "discover.yml", "cleanup_cluster.yml"} <= {
        name.split("#")[0] for name in GROUP_PLAYS}


@pytest.mark.parametrize("name", sorted(CLUSTER_PLAYS))
def test_a_cluster_play_hands_the_login_token_to_kubernetes_core(name):
    defaults = CLUSTER_PLAYS[name].get("module_defaults")
    assert defaults == MODULE_DEFAULTS, (
        "%s talks to the cluster: declare module_defaults %s (see playbooks/tasks/openshift_login.yml)" % (name, MODULE_DEFAULTS))


def _imports(task, path):
    return any(task.get(key) == path for key in INCLUDES)


@pytest.mark.parametrize("name", sorted(CLUSTER_PLAYS))
def test_a_cluster_play_logs_in_first_and_out_always(name):
    play = CLUSTER_PLAYS[name]
    assert not play.get("roles") and not play.get("pre_tasks") and not play.get("post_tasks"), (
        "%s: put the work into one block of tasks, so that the logout runs in its always" % name)
    blocks = [t for t in play.get("tasks") or [] if t.get("block") and _imports(t["block"][0], LOGIN)]
    assert len(blocks) == 1, "%s: start the block that does the work with an import of %s" % (name, LOGIN)
    (block,) = blocks
    assert any(_imports(t, LOGOUT) for t in block.get("always") or []), "%s: import %s in the block's always" % (name, LOGOUT)
    outside = [t.get("name") for t in play["tasks"] if t is not block and _touches_cluster([t], PLAYBOOKS)]
    assert outside == [], "%s: these tasks talk to the cluster outside the logged-in block: %s" % (name, outside)


def test_the_login_and_logout_hide_the_password_and_the_token_and_run_in_check_mode():
    for path in (PLAYBOOKS / LOGIN, PLAYBOOKS / LOGOUT):
        auth = [t for t in _walk(_load(path)) if "community.okd.openshift_auth" in t]
        assert auth, path
        for task in auth:
            assert task.get("no_log") is True and task.get("check_mode") is False, (path.name, task["name"])
            assert task["community.okd.openshift_auth"].get("validate_certs") is not False
    (login,) = [t for t in _walk(_load(PLAYBOOKS / LOGIN)) if "community.okd.openshift_auth" in t]
    assert login.get("register") == "__openshift_login"
    # Any other task may look at the password or the token only to see whether it is empty, never show it.
    secret = re.compile(r"(__openshift_login_password|openshift_auth\.api_key)(?!\s*\|\s*(default\(''\)\s*\|\s*)?length)")
    for path in (PLAYBOOKS / LOGIN, PLAYBOOKS / LOGOUT):
        for task in _walk(_load(path)):
            if "block" not in task and "community.okd.openshift_auth" not in task:
                shown = yaml.safe_dump({k: v for k, v in task.items() if k != "vars"}, width=1000)
                assert not secret.search(shown), (path.name, task.get("name"), secret.search(shown).group(0))


def test_the_login_reads_the_awx_credential_types_injected_variables():
    text = (PLAYBOOKS / LOGIN).read_text()
    controller = yaml.safe_load((ROOT / "awx" / "controller.yml").read_text().replace("!unsafe", ""))
    (credential,) = [c for c in controller["controller_credential_types"] if "username and password" in c["name"]]
    for variable in credential["injectors"]["env"]:
        assert "'%s'" % variable in text, "the login does not read %s, which the credential type injects" % variable
