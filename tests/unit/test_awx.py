# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The AWX configuration under awx/, checked offline (no controller): every object against the awx.awx
module that applies it, every survey and injected variable against the roles' argument specs and the
playbooks' own settings (constants.SETTINGS_SPEC), and the workflow's gate against the decisions
module_utils/decision.py can produce."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vllm_pooling.migration.plugins.module_utils import decision
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import DEFAULT_CATALOG
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import SETTINGS_SPEC

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class _Loader(yaml.SafeLoader):
    """Reads Ansible's !unsafe tag (Jinja that AWX, not Ansible, renders) as a plain string."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
CONTROLLER = yaml.load((ROOT / "awx" / "controller.yml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
CONFIGURE = yaml.load((ROOT / "awx" / "configure.yml").read_text(), Loader=_Loader)  # noqa: S506
GATE_PLAYBOOK = "awx/cutover_gate.yml"


# --- awx.awx modules, offline -------------------------------------------------------------------

class _Captured(Exception):
    def __init__(self, kwargs):
        super().__init__("argument spec captured")
        self.kwargs = kwargs


def awx_module_spec(name):
    """The argument spec (and its constraints) an awx.awx module builds in main(), without a controller:
    the module's ControllerAPIModule is stopped at construction and the keyword arguments kept."""
    controller_api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)
    original = controller_api.ControllerAPIModule.__init__

    def capture(self, argument_spec=None, **kwargs):
        raise _Captured(dict(kwargs, argument_spec=argument_spec))

    controller_api.ControllerAPIModule.__init__ = capture
    try:
        module.main()
    except _Captured as captured:
        return captured.kwargs
    finally:
        controller_api.ControllerAPIModule.__init__ = original
    raise AssertionError("awx.awx.%s did not build a ControllerAPIModule" % name)


NODES = "controller_workflows.simplified_workflow_nodes"


def _objects():
    """{list name: objects as the awx.awx module takes them}: the workflows' nested nodes become a list of their own,
    each with the workflow (and its organization) it belongs to, as configure.yml passes them."""
    found = {name: [dict(item) for item in items] for name, items in CONTROLLER.items()}
    found[NODES] = [dict(node, workflow_job_template=workflow["name"], organization=workflow["organization"])
                    for workflow in found["controller_workflows"] for node in workflow.pop("simplified_workflow_nodes", [])]
    return found


OBJECTS = _objects()


def _applying_tasks():
    """{object list: (awx.awx module name, task args)} from awx/configure.yml; a task looping over a workflow's
    nodes reads them as item.1 (item.0 the workflow)."""
    found = {}
    for task in CONFIGURE[0]["tasks"]:
        modules = [key for key in task if key.startswith("awx.awx.")]
        if modules:
            variable = re.search(r"\{\{\s*(\w+)", task["loop"]).group(1)
            if "subelements('simplified_workflow_nodes'" in task["loop"]:
                variable = NODES
            found[variable] = (modules[0].split(".")[-1], task[modules[0]])
    return found


APPLYING = _applying_tasks()


def test_every_object_list_is_applied_by_configure_yml():
    assert sorted(APPLYING) == sorted(OBJECTS)


# infra.aap_configuration's dispatch role: the variable of each object kind it applies, and the fields of a
# simplified workflow node (its workflow_job_templates role's documented variables).
INFRA_VARIABLES = ("controller_credential_types", "controller_execution_environments", "controller_projects",
                   "controller_inventories", "controller_inventory_sources", "controller_templates", "controller_workflows")
INFRA_NODE_FIELDS = ("identifier", "unified_job_template", "approval_node", "organization", "all_parents_must_converge",
                     "always_nodes", "failure_nodes", "success_nodes", "verbosity", "state", "credentials", "diff_mode",
                     "extra_data", "inventory", "job_tags", "job_type", "limit", "scm_branch", "skip_tags")


def test_every_list_has_the_name_infra_aap_configuration_dispatch_reads():
    assert sorted(CONTROLLER) == sorted(INFRA_VARIABLES)
    for workflow in CONTROLLER["controller_workflows"]:
        nodes = workflow["simplified_workflow_nodes"]
        assert nodes, "%s has no simplified_workflow_nodes" % workflow["name"]
        for node in nodes:
            assert set(node) <= set(INFRA_NODE_FIELDS), "%s: node fields infra does not know: %s" % (
                workflow["name"], sorted(set(node) - set(INFRA_NODE_FIELDS)))
        identifiers = {node["identifier"] for node in nodes}
        templates = {template["name"] for template in CONTROLLER["controller_templates"]}
        for node in nodes:
            assert node["unified_job_template"] in templates, node["identifier"]
            assert set(node.get("success_nodes", [])) <= identifiers, node["identifier"]


@pytest.mark.parametrize("variable", sorted(OBJECTS))
def test_objects_are_accepted_by_the_awx_module_argument_spec(variable):
    module, task_args = APPLYING[variable]
    spec = awx_module_spec(module)
    validator = ArgumentSpecValidator(spec["argument_spec"], mutually_exclusive=spec.get("mutually_exclusive"),
                                      required_together=spec.get("required_together"),
                                      required_one_of=spec.get("required_one_of"),
                                      required_if=spec.get("required_if"), required_by=spec.get("required_by"))
    assert OBJECTS[variable], "%s is empty" % variable
    for item in OBJECTS[variable]:
        result = validator.validate(item)
        assert result.error_messages == [], "awx.awx.%s rejects %s: %s" % (module, item.get("name") or item.get("identifier"),
                                                                           result.error_messages)
        # configure.yml must pass on every parameter the object sets, or AWX silently never gets it.
        assert sorted(set(item) - set(task_args)) == [], "awx/configure.yml does not pass %s to awx.awx.%s" % (
            sorted(set(item) - set(task_args)), module)


def test_the_capture_sees_a_real_spec():
    """Guards the offline capture itself: a wrong parameter must be refused, or the test above proves nothing."""
    spec = awx_module_spec("job_template")
    result = ArgumentSpecValidator(spec["argument_spec"]).validate({"name": "x", "playbok": "typo.yml"})
    assert any("playbok" in message for message in result.error_messages)


# --- job templates and playbooks ------------------------------------------------------------------

def test_job_templates_run_playbooks_that_exist_and_cover_the_job_playbooks():
    job_templates = CONTROLLER["controller_templates"]
    playbooks = {jt["playbook"] for jt in job_templates}
    assert all((ROOT / playbook).is_file() for playbook in playbooks), playbooks
    # The jobs a platform team runs on their own; cutover and rollback join once their playbooks exist.
    wanted = {"playbooks/%s.yml" % name for name in ("discover", "migrate", "provision", "verify", "benchmark", "cutover",
                                                     "rollback")
              if (ROOT / "playbooks" / ("%s.yml" % name)).is_file()}
    assert wanted <= playbooks, "playbooks without a job template: %s" % sorted(wanted - playbooks)
    projects = {p["name"] for p in CONTROLLER["controller_projects"]}
    inventories = {i["name"] for i in CONTROLLER["controller_inventories"]}
    assert all(jt["project"] in projects and jt["inventory"] in inventories for jt in job_templates)


def test_inventory_is_sourced_from_a_file_of_the_project():
    for source in CONTROLLER["controller_inventory_sources"]:
        assert source["source"] == "scm" and (ROOT / source["source_path"]).is_file()
        assert source["source_project"] in {p["name"] for p in CONTROLLER["controller_projects"]}


# --- survey and injected variables against the roles' argument specs ----------------------------

def _role_options():
    """Option name -> [spec]; a global vllm_migration_* setting -> the specs of every option documented
    as defaulting to it (the setting reaches all of them, so it must suit all of them) and its spec among the
    playbooks' own settings (SETTINGS_SPEC, which validate_argument_spec checks before a playbook's first task)."""
    options = {name: [spec] for name, spec in SETTINGS_SPEC.items()}
    for path in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        for entry in (yaml.safe_load(path.read_text())["argument_specs"] or {}).values():
            for name, spec in (entry.get("options") or {}).items():
                options.setdefault(name, []).append(spec)
                text = " ".join(spec.get("description") if isinstance(spec.get("description"), list)
                                else [spec.get("description") or ""])
                for setting in re.findall(r"[Dd]efaults to C\((vllm_migration_\w+)\)", text):
                    options.setdefault(setting, []).append(spec)
    return options


ROLE_OPTIONS = _role_options()
# A text answer may feed a list: AWX sends it as one string, which Ansible's list type splits on commas.
SURVEY_TYPES = {"text": {"str", "path", "raw", "list"}, "textarea": {"str", "raw"}, "password": {"str", "raw"},
                "integer": {"int", "float", "raw"}, "float": {"float", "raw"},
                "multiplechoice": {"str", "bool", "int", "float", "raw"}, "multiselect": {"list"}}


def _surveys():
    for kind in ("controller_templates", "controller_workflows"):
        for template in CONTROLLER[kind]:
            for question in (template.get("survey_spec") or {}).get("spec", []):
                yield template["name"], question


def _survey_value(question, value):
    """A survey answer as AWX puts it into the extra variables."""
    if question["type"] == "multiselect":
        return value.split("\n") if isinstance(value, str) else list(value)
    return value


def _validation(name, spec, value):
    subset = {key: spec[key] for key in ("type", "elements", "choices") if key in spec}
    return ArgumentSpecValidator({name: subset}).validate({name: value})


def _validate(name, spec, value):
    return _validation(name, spec, value).error_messages


@pytest.mark.parametrize("template,question", list(_surveys()), ids=lambda v: v if isinstance(v, str) else v["variable"])
def test_survey_variable_is_a_documented_role_argument_of_a_compatible_type(template, question):
    variable = question["variable"]
    assert variable in ROLE_OPTIONS, "%s: survey variable %s is not a role argument nor a documented vllm_migration_* setting" % (
        template, variable)
    values = [question["default"]] if question.get("default") not in (None, "") else []
    values += [[choice] if question["type"] == "multiselect" else choice for choice in question.get("choices") or []]
    for spec in ROLE_OPTIONS[variable]:
        assert spec.get("type", "str") in SURVEY_TYPES[question["type"]], "%s: %s is %s in a role, the survey asks %s" % (
            template, variable, spec.get("type", "str"), question["type"])
        for value in values:
            errors = _validate(variable, spec, _survey_value(question, value))
            assert errors == [], "%s: survey value %r of %s: %s" % (template, value, variable, errors)
        if question["type"] == "text" and spec.get("type") == "list":
            # Such a question has no default to check: a typed answer must split into the list's elements.
            result = _validation(variable, spec, _survey_value(question, "first,second"))
            assert result.error_messages == [] and result.validated_parameters[variable] == ["first", "second"], (
                "%s: a comma-separated answer to %s is not the list %s holds: %s" % (
                    template, variable, spec, result.error_messages))
    if variable.endswith("_models"):
        assert set(question["choices"]) <= set(DEFAULT_CATALOG), "%s: %s offers models the catalog lacks" % (template, variable)


def test_a_comma_separated_text_answer_is_validated_as_the_list_it_splits_into():
    """Guards the per-value check above: it converts a text answer as the list type does, and refuses what it cannot."""
    name = "vllm_migration_discover_namespaces"
    spec = SETTINGS_SPEC[name]
    result = _validation(name, spec, _survey_value({"type": "text"}, "rag-prod,team-b"))
    assert result.error_messages == [] and result.validated_parameters[name] == ["rag-prod", "team-b"]
    assert any("unable to convert to list" in error for error in _validate(name, spec, {"rag-prod": "team-b"}))
    assert "dict" not in SURVEY_TYPES["text"]


def test_credential_types_inject_only_documented_variables():
    for credential_type in CONTROLLER["controller_credential_types"]:
        for variable in credential_type["injectors"].get("extra_vars", {}):
            assert variable in ROLE_OPTIONS, "%s injects %s, which no role documents" % (credential_type["name"], variable)
        fields = {field["id"] for field in credential_type["inputs"]["fields"]}
        used = set(re.findall(r"\{\{\s*(\w+)", json.dumps(credential_type["injectors"]))) - {"tower"}
        assert used <= fields, "%s injects undefined inputs %s" % (credential_type["name"], used - fields)
        assert set(credential_type["inputs"].get("required", [])) <= fields


# --- the workflow and its gate --------------------------------------------------------------------

def _node(identifier):
    (node,) = [n for n in OBJECTS[NODES] if n["identifier"] == identifier]
    return node


def _playbook_of(node):
    (template,) = [jt for jt in CONTROLLER["controller_templates"] if jt["name"] == node["unified_job_template"]]
    return template["playbook"]


def test_workflow_runs_the_gate_only_after_a_successful_verify_and_cutover_only_after_the_gate():
    nodes = OBJECTS[NODES]
    identifiers = [n["identifier"] for n in nodes]
    for position, node in enumerate(nodes):  # configure.yml creates them in order: children first
        assert set(node.get("success_nodes", [])) <= set(identifiers[:position]), node["identifier"]
    parents = {child: [n for n in nodes if child in n.get("success_nodes", [])] for child in identifiers}
    (gate,) = [n for n in nodes if _playbook_of(n) == GATE_PLAYBOOK]
    assert [_playbook_of(p) for p in parents[gate["identifier"]]] == ["playbooks/verify.yml"]
    assert not any(gate["identifier"] in n.get(edge, []) for n in nodes for edge in ("failure_nodes", "always_nodes"))
    cutover = [n for n in nodes if _playbook_of(n) == "playbooks/cutover.yml"]
    if (ROOT / "playbooks" / "cutover.yml").is_file():
        assert cutover, "playbooks/cutover.yml exists: add its node on the gate's success edge"
    for node in cutover:
        assert parents[node["identifier"]] == [gate], "the cutover node must follow only the gate's success edge"
    verify = parents[gate["identifier"]][0]
    assert [_playbook_of(p) for p in parents[verify["identifier"]]] == ["playbooks/provision.yml"]


def _results_deciding(wanted):
    """Per-model results for which decision.decide() without the performance gate gives `wanted`."""
    passed = {"status": "passed"}
    cases = {
        "migrate": {"minilm": dict(passed, kind="embedding"), "msmarco": dict(passed, kind="reranker")},
        "hybrid": {"minilm": dict(passed, kind="embedding"),
                   "msmarco": {"status": "failed", "failed_gates": ["score"], "kind": "reranker"}},
        "keep_caikit": {"minilm": {"status": "failed", "failed_gates": ["cosine"], "kind": "embedding"},
                        "msmarco": dict(passed, kind="reranker")},
    }
    assert wanted in cases, "decision.py can now decide %r: say whether the cutover gate lets it through" % wanted
    return cases[wanted]


def _run_gate(record, tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"vllm_migration_decision": record}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([str(BIN / "ansible-playbook"), GATE_PLAYBOOK, "-e", "@%s" % extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("value", decision.DECISIONS)
def test_gate_lets_through_exactly_the_decisions_that_allow_a_cutover(value, tmp_path):
    record = decision.decide(_results_deciding(value), require_performance=False)
    assert record["decision"] == value
    proc = _run_gate(record, tmp_path)
    allowed = value in ("migrate", "hybrid")
    assert (proc.returncode == 0) == allowed, proc.stdout[-2000:]
    if allowed:
        assert "cutover allowed for %s" % ", ".join(record["passed_models"]) in proc.stdout
    else:
        assert "Decision %s: no cutover" % value in proc.stdout


def test_gate_allows_only_decisions_decide_can_produce():
    gate = yaml.safe_load((ROOT / GATE_PLAYBOOK).read_text())
    allowed = gate[0]["vars"]["cutover_gate_allowed"]
    assert set(allowed) <= set(decision.DECISIONS) and "keep_caikit" not in allowed


def test_gate_fails_without_a_decision_from_an_earlier_node(tmp_path):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), GATE_PLAYBOOK], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode != 0 and "No vllm_migration_decision from an earlier workflow node" in proc.stdout
