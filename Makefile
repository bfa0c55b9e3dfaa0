# kubeadm.cluster developer entry points. `make test` is what CI runs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# upgrade needs real Kubernetes (the simulator has no `kubeadm upgrade`).
SCENARIOS ?= node_runtime default ha $(if $(filter real,$(KUBEADM_TESTBED_KUBE)),upgrade)
# The scenarios run on Debian 12 (bookworm) nodes; these run again on Debian 13 (trixie) nodes
# afterwards, for its containerd 1.7 and systemd 257 (KUBEADM_TESTBED_SUITE picks the image).
TRIXIE_SCENARIOS ?= node_runtime default
SUITES := bookworm trixie
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
# The cluster scenarios run real Kubernetes from ../shared/kube (tests/testbed/kube-inputs.sh);
# without it, the kube simulator. CI sets KUBEADM_TESTBED_KUBE=real, so a missing folder fails there.
KUBE_SOURCE := $(or $(KUBEADM_TESTBED_KUBE_SOURCE),$(CURDIR)/../shared/kube)
export KUBEADM_TESTBED_KUBE ?= $(if $(wildcard $(KUBE_SOURCE)/SHA256SUMS),real,sim)

.PHONY: tools setup demo test lint sanity unit mirror images molecule bench clean

## tools: the host packages the test bed needs (Docker engine, debootstrap, mirror tools, venv)
tools:
	tests/testbed/ensure-tools.sh

## setup: Python venv with the pinned tools, and this checkout linked in as kubeadm.cluster
setup: $(VENV)/.installed .cache/collections/ansible_collections/kubeadm/cluster

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

.cache/collections/ansible_collections/kubeadm/cluster:
	mkdir -p $(@D)
	ln -sfn ../../../.. $@

## demo: a local cluster (1 control plane + 2 workers) in Docker containers, built with site.yml
demo: tools setup
	tests/testbed/demo.sh

## test: every check CI runs
test: lint sanity unit mirror molecule

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production
	$(BIN)/ruff check plugins tests bench
	$(BIN)/ruff format --check plugins tests bench

sanity: setup
	tests/run-sanity.sh

unit: setup
	$(BIN)/pytest tests/unit tests/integration

## mirror: the offline apt repository installs signed packages and refuses a tampered one
mirror: setup images
	tests/mirror/selftest.sh

images: tools
	tests/testbed/build-images.sh $(SUITES)

molecule: setup images
	@if [ "$$KUBEADM_TESTBED_KUBE" = sim ]; then echo "[testbed] no real Kubernetes at $(KUBE_SOURCE): default and ha run on the kube simulator (tests/kube-sim), upgrade is skipped"; fi
	set -e; for s in $(SCENARIOS); do KUBEADM_TESTBED_SUITE=bookworm $(BIN)/molecule test -s $$s; done
	set -e; for s in $(TRIXIE_SCENARIOS); do KUBEADM_TESTBED_SUITE=trixie $(BIN)/molecule test -s $$s; done

bench: setup images
	bench/run.sh

clean:
	for s in $(SCENARIOS); do KUBEADM_TESTBED_SUITE=bookworm $(BIN)/molecule destroy -s $$s || true; done
	for s in $(TRIXIE_SCENARIOS); do KUBEADM_TESTBED_SUITE=trixie $(BIN)/molecule destroy -s $$s || true; done
	tests/mirror/serve.sh stop
	rm -rf .cache
