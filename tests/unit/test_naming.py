"""The naming rule of docs/architecture.md, checked over every role:

- a fact a role sets (set_fact, register, loop_var, task vars) is internal (``__<role>_...``), an output
  the role's argument specs document ("Output"), or an argument of a role it includes;
- a role's defaults read user settings (``vllm_migration_*``) and its own arguments, never another role's facts;
- no role sets a user setting (``vllm_migration_*``) except the two job outputs of ``decide``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "tasks").is_dir())
JOB_OUTPUTS = {"vllm_migration", "vllm_migration_decision"}


def _specs(role):
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def _arguments():
    return {name for role in ROLES for entry in _specs(role).values() for name in (entry.get("options") or {})}


def _outputs(role):
    """Names in C(...) of the description items that start with Output(s)."""
    names = set()
    for entry in _specs(role).values():
        for item in entry.get("description") or []:
            if item.startswith("Output"):
                names |= set(re.findall(r"C\(([a-z_]+)\)", item.split(",")[0] + item))
    return names


def _facts(tasks):
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            yield from _facts(task.get(key))
        set_fact = task.get("ansible.builtin.set_fact")
        if isinstance(set_fact, dict):
            yield from (name for name in set_fact if name != "cacheable")
        if "register" in task:
            yield task["register"]
        if "loop_var" in (task.get("loop_control") or {}):
            yield task["loop_control"]["loop_var"]
        yield from (task.get("vars") or {})


@pytest.mark.parametrize("role", ROLES)
def test_every_fact_a_role_sets_is_internal_an_output_or_an_argument(role):
    arguments, outputs = _arguments(), _outputs(role) | (JOB_OUTPUTS if role == "decide" else set())
    wrong = set()
    for path in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        for name in _facts(yaml.safe_load(path.read_text())):
            if not (name.startswith("__%s_" % role) or name in outputs or name in arguments):
                wrong.add("%s: %s" % (path.name, name))
    assert not wrong, "rename to __%s_<name>, or document it as an Output in meta/argument_specs.yml: %s" % (role, sorted(wrong))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_read_only_settings_and_own_arguments(role):
    others = [r for r in ROLES if r != role and not role.startswith(r + "_")]
    found = []
    for path in (ROOT / "roles" / role / "defaults").rglob("*.yml"):
        text = yaml.safe_dump(yaml.safe_load(path.read_text()))  # values, not comments
        found += ["%s: %s" % (path.name, m) for other in others for m in re.findall(r"\b%s_[a-z_]+" % other, text)]
    assert not found, "a role's defaults must not read other roles' facts (pass them from the playbook): %s" % found


@pytest.mark.parametrize("role", ROLES)
def test_no_role_sets_a_user_setting(role):
    for path in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        set_here = {n for n in _facts(yaml.safe_load(path.read_text())) if n.startswith("vllm_migration")}
        assert set_here <= (JOB_OUTPUTS if role == "decide" else set()), (path, set_here)
