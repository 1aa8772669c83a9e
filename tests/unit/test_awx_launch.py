# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What a job launched from awx/controller.yml really receives, and what the roles make of it.

AWX puts every survey question whose default is not None into the extra variables as that default, typed by
the question (text and multiplechoice answers are strings, so "true"/"false" arrive as strings); a question
without a default is left out. These tests build those extra variables the same way and run the role
defaults and task arguments they reach through ansible-playbook, so a "" default, a boolean read as a
string or a comma-separated text answer that never becomes a list is caught here rather than in a job."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import server_image

# awx/controller.yml as test_awx.py reads it (AWX's own Jinja, tagged !unsafe, kept as plain strings).
from test_awx import BIN, CONTROLLER, NODES, OBJECTS, ROOT  # noqa: E402 - tests/unit is on sys.path under pytest
from test_awx import ROLE_OPTIONS, _Loader, _validation  # noqa: E402

TEMPLATES = CONTROLLER["controller_templates"] + CONTROLLER["controller_workflows"]
BOOLEAN_CHOICES = {"true", "false"}


def awx_launch_vars(template):
    """The extra variables AWX adds for a survey launched with its defaults (the answers left untouched)."""
    found = {}
    for question in (template.get("survey_spec") or {}).get("spec", []):
        default = question.get("default")
        if default is None:
            continue  # AWX leaves the variable out: the role default applies
        if question["type"] == "multiselect" and isinstance(default, str):
            default = [line for line in default.split("\n") if line]
        elif question["type"] in ("text", "textarea", "password", "multiplechoice"):
            default = str(default)
        found[question["variable"]] = default
    return found


def _boolean_questions():
    for template in TEMPLATES:
        for question in (template.get("survey_spec") or {}).get("spec", []):
            if set(question.get("choices") or []) == BOOLEAN_CHOICES:
                yield template["name"], question["variable"]


def _role_defaults(role):
    folder = ROOT / "roles" / role / "defaults"
    files = [folder / "main.yml"] if (folder / "main.yml").is_file() else sorted((folder / "main").glob("*.yml"))
    merged = {}
    for path in files:
        merged.update(yaml.safe_load(path.read_text()) or {})
    return files, merged


def _task_values(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _task_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _task_values(value)
    elif isinstance(node, str):
        yield node


def _consumers(variable):
    """(role, [templates]): every role default and task argument or condition that reads the variable,
    directly or through a role default that reads it."""
    found = []
    for role_dir in sorted((ROOT / "roles").iterdir()):
        if not (role_dir / "tasks").is_dir():
            continue
        defaults = _role_defaults(role_dir.name)[1]
        names = {variable} | {name for name, value in defaults.items() if re.search(r"\b%s\b" % variable, str(value))}
        pattern = re.compile(r"\b(%s)\b" % "|".join(sorted(names)))
        expressions = []
        for path in sorted((role_dir / "tasks").rglob("*.yml")):
            for task in yaml.safe_load(path.read_text()) or []:
                for value in _task_values(task):
                    if pattern.search(value) and ("{{" in value):
                        expressions.append(value)
                for condition in (task.get("when"), task.get("that")):
                    for item in condition if isinstance(condition, list) else [condition]:
                        if isinstance(item, str) and pattern.search(item):
                            expressions.append("{{ (%s) | bool }}" % item)
        if expressions:
            found.append((role_dir.name, expressions))
    return found


def _render(role, expressions, var_sets, tmp_path, local_vars=None):
    """The expressions as ansible-playbook renders them with the role's defaults (none for role None: a
    playbook's own expressions), once per set of variables (above the role defaults, as extra variables are),
    in one run."""
    defaults = _role_defaults(role)[1] if role else {}
    plays = [{"name": "render %d" % n, "hosts": "localhost", "gather_facts": False,
              "vars": dict(defaults, **dict(local_vars or {}, **variables)),
              "tasks": [{"name": "render %d" % i, "ansible.builtin.debug": {"msg": e},
                         # an expression may also read what only the role's loop sets: the same error either way
                         "ignore_errors": True} for i, e in enumerate(expressions)]}
             for n, variables in enumerate(var_sets)]
    playbook = tmp_path / ("render-%s.yml" % (role or "playbook"))
    playbook.write_text(yaml.safe_dump(plays))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return [[task["hosts"]["localhost"]["msg"] for task in play["tasks"]] for play in json.loads(proc.stdout)["plays"]]


def _as_bool(value):
    from ansible.module_utils.parsing.convert_bool import boolean
    try:
        return boolean(value, strict=True)
    except TypeError:
        return value


# verify's per-model task files read the model record of the loop around them.
LOOP_VARS = {"__verify_model": {"key": "minilm", "max_tokens": 256, "served_name": "minilm"}}


@pytest.mark.parametrize("template,variable", sorted(set(_boolean_questions())))
def test_a_survey_boolean_arrives_as_a_string_and_is_read_as_the_boolean(template, variable, tmp_path):
    consumers = _consumers(variable)
    assert consumers, "%s: nothing reads the survey variable %s" % (template, variable)
    for role, expressions in consumers:
        answers = ("true", "false")
        rendered = _render(role, expressions, [{variable: a} for a in answers] + [{variable: a == "true"} for a in answers],
                           tmp_path, LOOP_VARS)
        for answer, as_awx, as_bool in zip(answers, rendered[:2], rendered[2:]):
            # A module's bool option converts "false"; an expression must give the same answer for both.
            assert [_as_bool(v) for v in as_awx] == [_as_bool(v) for v in as_bool], (
                "%s: %s=%r (a survey string) reads differently in role %s than the boolean: %s vs %s (use | bool)" % (
                    template, variable, answer, role, list(zip(expressions, as_awx)), as_bool))


# Actions that take their arguments as they are (no argument spec converts them): a string stays one string.
UNCONVERTED = ("ansible.builtin.set_fact", "ansible.builtin.set_stats", "ansible.builtin.debug", "ansible.builtin.assert")
CONDITIONS = ("when", "that", "failed_when", "changed_when", "until", "loop")


def _list_text_questions():
    """(template, question) for each survey text question feeding a setting of type list: AWX sends one string."""
    for template in TEMPLATES:
        for question in (template.get("survey_spec") or {}).get("spec", []):
            if question["type"] == "text" and any(
                    spec.get("type") == "list" for spec in ROLE_OPTIONS.get(question["variable"], [])):
                yield template, question


LIST_TEXT_QUESTIONS = list(_list_text_questions())


def _readers(variable):
    """(file, option, expression) for every templated string or condition of the playbooks, awx/ and the roles
    that reads the variable; option is "<module> <option>" when the string is the whole value of a module's
    option, else None."""
    name = re.compile(r"(?<![\w.])%s\b" % variable)
    templated = re.compile(r"\{\{.*(?<![\w.])%s\b" % variable, re.S)
    found = []

    def walk(path, node, option, condition=False):
        if isinstance(node, str) and (templated.search(node) or (condition and name.search(node))):
            found.append((path, option, node))
        elif isinstance(node, list):
            for item in node:
                walk(path, item, None, condition)
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict) and re.match(r"^\w+\.\w+\.\w+$", str(key)) and key not in UNCONVERTED:
                    for argument, argument_value in value.items():
                        walk(path, argument_value, "%s %s" % (key, argument))
                else:
                    walk(path, value, None, key in CONDITIONS)

    files = sorted(ROOT.glob("playbooks/**/*.yml")) + sorted(ROOT.glob("awx/*.yml"))
    for folder in ("tasks", "defaults", "vars", "handlers"):
        files += sorted(ROOT.glob("roles/*/%s/**/*.yml" % folder))
    for path in files:
        walk(path.relative_to(ROOT), yaml.load(path.read_text(), Loader=_Loader), None)  # noqa: S506 - SafeLoader subclass
    return found


def _playbook_files(playbook):
    """The playbook and the task files it imports or includes by name."""
    path = ROOT / playbook
    names = re.findall(r"(?:import|include)_tasks:\s*([\w./-]+\.yml)", path.read_text())
    return {Path(playbook)} | {(path.parent / name).relative_to(ROOT) for name in names}


@pytest.mark.parametrize("template,question", LIST_TEXT_QUESTIONS, ids=lambda v: v.get("variable") or v["name"])
def test_a_comma_separated_text_answer_reaches_only_module_options_that_split_it(template, question):
    """Only a module option of type list splits the string AWX sends; vars, set_fact, a condition or a role
    argument spec (which checks, but leaves the variable a string) would read one string."""
    variable = question["variable"]
    readers = _readers(variable)
    assert readers, "%s: nothing reads the survey variable %s" % (template["name"], variable)
    whole = re.compile(r"^\{\{\s*%s(\s*\|\s*default\([^(){}]*\))?\s*\}\}$" % variable)
    for path, option, expression in readers:
        assert option and whole.match(expression), (
            "%s: %s reads %s as %r, not as a module option of its own: a comma-separated answer stays one string" % (
                template["name"], path, variable, expression))


@pytest.mark.parametrize("template,question", LIST_TEXT_QUESTIONS, ids=lambda v: v.get("variable") or v["name"])
def test_a_text_answer_for_a_list_reaches_the_module_as_that_list(template, question, tmp_path):
    """Unanswered (no default: AWX leaves the variable out), answered empty, answered "first,second": what the
    playbook's module option gets, converted as its list type converts it."""
    variable = question["variable"]
    files = _playbook_files(template["playbook"])
    expressions = [expression for path, _option, expression in _readers(variable) if path in files]
    assert expressions, "%s: %s never reads the survey variable %s" % (template["name"], template["playbook"], variable)
    launch = awx_launch_vars(template)
    cases = [(launch, []), (dict(launch, **{variable: ""}), []),
             (dict(launch, **{variable: "first,second"}), ["first", "second"])]
    rendered = _render(None, expressions, [variables for variables, _wanted in cases], tmp_path)
    for (variables, wanted), values in zip(cases, rendered):
        for expression, value in zip(expressions, values):
            for spec in ROLE_OPTIONS[variable]:
                result = _validation(variable, spec, value)
                assert result.error_messages == [] and result.validated_parameters[variable] == wanted, (
                    "%s: with %s=%r, %s gives %r, read as %r: %s" % (
                        template["name"], variable, variables.get(variable), expression, value,
                        result.validated_parameters.get(variable), result.error_messages))


def test_no_survey_default_is_an_empty_string():
    """AWX passes a "" default as "": the role default would never apply."""
    for template in TEMPLATES:
        for variable, value in awx_launch_vars(template).items():
            assert value not in ("", []), "%s: the survey default of %s reaches the job as %r; leave the default out" % (
                template["name"], variable, value)


def test_the_migrate_survey_defaults_give_the_vllm_server_a_pinned_image(tmp_path):
    (migrate,) = [t for t in CONTROLLER["controller_templates"] if t["playbook"] == "playbooks/migrate.yml"]
    ((image,),) = _render("vllm_server", ["{{ vllm_server_image }}"], [awx_launch_vars(migrate)], tmp_path)
    checks = server_image.image_checks([{"key": "minilm", "image": image, "gpu": 0}])
    assert image and checks["refuse"] == [] and checks["warn"] == [], (image, checks)


def test_job_template_descriptions_name_variables_their_playbook_reads():
    for template in CONTROLLER["controller_templates"]:
        text = (ROOT / template["playbook"]).read_text()
        for variable in re.findall(r"\b((?:vllm_migration|benchmark|verify|decide|cutover)_\w+)\b", template.get("description", "")):
            assert variable in text, "%s tells users to set %s, which %s never reads" % (
                template["name"], variable, template["playbook"])


def test_the_kubeconfig_credential_never_injects_an_empty_context():
    """AWX renders every injector, blank inputs included: K8S_AUTH_CONTEXT="" names a context "" for kubernetes.core."""
    for credential_type in CONTROLLER["controller_credential_types"]:
        required = set(credential_type["inputs"].get("required", []))
        for variable, value in credential_type["injectors"].get("env", {}).items():
            used = set(re.findall(r"\{\{\s*(\w+)", value)) - {"tower"}
            if variable.startswith("K8S_AUTH_"):
                assert used <= required | {f["id"] for f in credential_type["inputs"]["fields"] if "default" in f}, (
                    "%s injects %s from an optional input: blank, kubernetes.core reads it as set" % (
                        credential_type["name"], variable))


def test_workflow_nodes_that_prompt_for_credentials_get_them():
    """A workflow launch prompts for no node's credentials: each node whose job template asks needs its own."""
    asking = {t["name"] for t in CONTROLLER["controller_templates"] if t.get("ask_credential_on_launch")}
    for node in OBJECTS[NODES]:
        if node["unified_job_template"] in asking:
            assert node.get("credentials"), "workflow node %s runs without credentials" % node["identifier"]


def test_the_jobs_run_in_an_execution_environment_configure_yml_creates():
    environments = {e["name"] for e in CONTROLLER.get("controller_execution_environments", [])}
    assert environments, "no execution environment object: jobs would run in AWX's default one (no numpy)"
    for project in CONTROLLER["controller_projects"]:
        assert project.get("default_environment") in environments, project["name"]
