# kubeadm.cluster developer entry points. `make test` is what CI runs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# The oldest ansible-core that meta/runtime.yml declares, in a venv of its own (`make oldest`).
OLDEST_VENV ?= .venv-oldest
OLDEST_BIN := $(OLDEST_VENV)/bin
# Each cluster scenario runs once in `make test`, each on one pairing of controller and nodes, which
# keeps CI within its time: ha and upgrade with the newest ansible-core on Debian 12 (bookworm)
# nodes, node_runtime with it on Debian 13 (trixie) nodes (containerd 1.7, systemd 257), and
# default with the oldest ansible-core on Debian 13 nodes (`make oldest`, OLDEST_SCENARIOS).
# KUBEADM_TESTBED_SUITE picks the node image; `make molecule SCENARIOS=default` runs one by hand.
# upgrade needs real Kubernetes (the simulator has no `kubeadm upgrade`).
SCENARIOS ?= ha $(if $(filter real,$(KUBEADM_TESTBED_KUBE)),upgrade)
TRIXIE_SCENARIOS ?= node_runtime
OLDEST_SCENARIOS ?= default
# The oldest ansible-core runs the tests that touch it: not the kube simulator's and the test
# bed's own tests, which are plain Python.
OLDEST_PYTEST_SKIP := $(addprefix --ignore=tests/unit/,testbed kube_sim/test_cluster.py kube_sim/test_config.py \
	kube_sim/test_pod_network.py kube_sim/test_tools.py)
SUITES := bookworm trixie
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
# The cluster scenarios run real Kubernetes from ../shared/kube (tests/testbed/kube-inputs.sh);
# without it, the kube simulator. CI sets KUBEADM_TESTBED_KUBE=real, so a missing folder fails there.
KUBE_SOURCE := $(or $(KUBEADM_TESTBED_KUBE_SOURCE),$(CURDIR)/../shared/kube)
export KUBEADM_TESTBED_KUBE ?= $(if $(wildcard $(KUBE_SOURCE)/SHA256SUMS),real,sim)

.PHONY: tools setup setup-oldest demo test static lint docs release-check sanity unit mirror images molecule oldest ee bench clean

## tools: the host packages the test bed needs (Docker engine, debootstrap, mirror tools, venv)
tools:
	tests/testbed/ensure-tools.sh

## setup: Python venv with the pinned tools, and this checkout linked in as kubeadm.cluster
setup: $(VENV)/.installed .cache/collections/ansible_collections/kubeadm/cluster

$(VENV)/.installed: requirements-dev.txt
	$$(tests/find-python.sh 3.12) -m venv --clear $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup-oldest: $(OLDEST_VENV)/.installed .cache/collections/ansible_collections/kubeadm/cluster

$(OLDEST_VENV)/.installed: tests/requirements-oldest.txt
	$$(tests/find-python.sh 3.10 3.12) -m venv --clear $(OLDEST_VENV)
	$(OLDEST_BIN)/pip install -q --upgrade pip
	$(OLDEST_BIN)/pip install -q -r tests/requirements-oldest.txt
	touch $@

.cache/collections/ansible_collections/kubeadm/cluster:
	mkdir -p $(@D)
	ln -sfn ../../../.. $@

## demo: a local cluster (1 control plane + 2 workers) in Docker containers, built with site.yml
demo: tools setup
	tests/testbed/demo.sh

## test: every check CI runs
test: static unit mirror molecule oldest ee

## static: lint, docs, release check and sanity, two at a time (each uses about one core)
static: setup
	$(MAKE) -j2 --output-sync=target lint docs release-check sanity

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production
	$(BIN)/ruff check plugins tests bench
	$(BIN)/ruff format --check plugins tests bench
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --validate-collection-refs dependent --disallow-unknown-collection-refs .

## docs: the docs site builds with sphinx -W (docs/docsite)
docs: setup
	tests/docs/build.sh

## release-check: the built tarball holds what users need, and galaxy-importer has no warning
release-check: setup
	tests/release/check.sh

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

## oldest: the oldest supported ansible-core: sanity (pylint runs on the newest only), the unit
## and preflight tests that use ansible-core, the default scenario on Debian 13 nodes
oldest: setup-oldest images
	PATH=$(CURDIR)/$(OLDEST_BIN):$$PATH tests/run-sanity.sh --skip-test pylint
	$(OLDEST_BIN)/pytest tests/unit tests/integration $(OLDEST_PYTEST_SKIP)
	set -e; for s in $(OLDEST_SCENARIOS); do PATH=$(CURDIR)/$(OLDEST_BIN):$$PATH KUBEADM_TESTBED_SUITE=trixie $(OLDEST_BIN)/molecule test -s $$s; done

## ee: the execution environment image builds, and brings a demo cluster to Ready through it
ee: setup images
	tests/ee/run.sh

bench: setup images
	bench/run.sh

clean:
	for s in $(SCENARIOS); do KUBEADM_TESTBED_SUITE=bookworm $(BIN)/molecule destroy -s $$s || true; done
	for s in $(TRIXIE_SCENARIOS); do KUBEADM_TESTBED_SUITE=trixie $(BIN)/molecule destroy -s $$s || true; done
	for s in $(OLDEST_SCENARIOS); do KUBEADM_TESTBED_SUITE=trixie $(BIN)/molecule destroy -s $$s || true; done
	tests/mirror/serve.sh stop
	rm -rf .cache
