# Two commands do all the setup on a fresh machine:
#   make run    the main job on the embedded local platform (playbooks/migrate.yml)
#   make test   every test: lint, sanity, molecule scenarios, unit, Kubernetes emulator, real local servers
# Virtual environments are cached outside the repo, keyed by their requirement files
# (see scripts/ensure-venv); the roles create the vLLM and Caikit venvs the same way.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PLAYBOOK ?= playbooks/migrate.yml
ARGS ?=

.PHONY: help run cleanup test test-unit test-emulator test-integration test-molecule lint sanity

help:
	@echo "make run        run playbooks/migrate.yml on the local platform (ARGS='-e ...' to pass options)"
	@echo "make cleanup    stop the local servers a run left behind (playbooks/cleanup.yml)"
	@echo "make test       lint, sanity, molecule, unit, emulator and integration tests"
	@echo "make test-unit | test-emulator | test-integration | test-molecule | lint | sanity"

run:
	scripts/run-playbook $(PLAYBOOK) $(ARGS)

cleanup:
	scripts/run-playbook playbooks/cleanup.yml $(ARGS)

test:
	scripts/test all

test-unit:
	scripts/test unit

test-emulator:
	scripts/test emulator

test-integration:
	scripts/test integration

test-molecule:
	scripts/test molecule

lint:
	scripts/test lint

sanity:
	scripts/test sanity
