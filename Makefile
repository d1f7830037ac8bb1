# DancePose: every entry point a developer or CI needs. `make help` lists them.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# Training has its own venv: TensorFlow 2.21 needs protobuf>=6.31, mediapipe 0.10.18 <5.
TRAIN_VENV  := .venv-train
TRAIN_PY    := $(TRAIN_VENV)/bin/python
TRAIN_STAMP := $(TRAIN_VENV)/.installed
# Locked installs: pyproject.toml declares the dependencies, `make lock` pins them (with
# every wheel's sha256) into these files, and each venv installs exactly its lock.
# The device: edge deps only, resolved for the Pi (linux aarch64, Python 3.11).
EDGE_LOCK   := edge/requirements.txt
# .venv: edge + mediapipe reference + dev tools (linux x86_64, Python 3.11).
DEV_LOCK    := edge/requirements-dev.txt
# .venv-train: TensorFlow side + dev tools (linux x86_64, Python 3.11).
TRAIN_LOCK  := training/requirements.txt
LOCK_PYTHON := 3.11
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest allowed release;
# without it the pins already in the lock files are kept where they still fit.
LOCK_ARGS   ?=
MODEL_DIR   := models/blazepose
SHARED_DATA := ../shared/data
DEMO_CLIP   ?=

.PHONY: help setup train-setup lock mosquitto models packs dance-model test bench soak lint format demo clean

help:
	@echo "make setup   venv .venv with edge + dev + mediapipe + music extras, then the models"
	@echo "make models  fetch the BlazePose models from the mediapipe 0.10.18 wheel"
	@echo "make train-setup  venv .venv-train with TensorFlow for the training/ tools"
	@echo "make lock    re-pin edge/requirements*.txt and training/requirements.txt from pyproject.toml"
	@echo "make packs   rebuild models/packs/ from ../shared/data/pose_samples"
	@echo "make dance-model  evaluate and rebuild models/dance/ (aistpp_small + ballroom + non-dance clips)"
	@echo "make test    the full test suite (sets up first)"
	@echo "make bench   benchmarks -> docs/bench/*.md and *.json"
	@echo "make lint    ruff"
	@echo "make pi-check  the Pi install and a real run in an arm64 Debian chroot, vs x86 (root)"
	@echo "make demo    run DancePose on a sample clip"

setup: $(STAMP) models

# A venv is made anew whenever its lock changes and then holds exactly the lock: no resolver
# at install time, every file hash-checked; then the project itself, editable, built without
# isolation by the locked setuptools and wheel. $(1) venv, $(2) lock file.
define install_locked
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(None if v == "$(LOCK_PYTHON)" else f"make: the locks are for Python $(LOCK_PYTHON) and $(PYTHON) is {v}: add PYTHON=python$(LOCK_PYTHON)")'
	$(PYTHON) -m venv --clear $(1)
	$(1)/bin/python -m pip install --quiet --no-deps --require-hashes -r $(2)
	$(1)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(1)/.installed
endef

$(STAMP): $(DEV_LOCK)
	$(call install_locked,$(VENV),$(DEV_LOCK))

$(TRAIN_STAMP): $(TRAIN_LOCK)
	$(call install_locked,$(TRAIN_VENV),$(TRAIN_LOCK))

# Re-pin all three locks (uv, from .venv; what uv leaves out or caps: [tool.uv] in
# pyproject.toml). The device lock takes its shared pins from the dev lock, so a Pi runs the
# versions the tests ran. setuptools and wheel (the [build-system] requirements) are locked
# too, for the editable install. A lock is rewritten only when it changes (its venv is then
# made anew); uv reads the current pins from the copy it writes to and keeps them where they fit.
UV          ?= $(VENV)/bin/uv
UV_COMPILE   = $(UV) pip compile --quiet --generate-hashes --python-version $(LOCK_PYTHON) \
               --custom-compile-command 'make lock' $(LOCK_ARGS)
BUILD_REQS   = $(PY) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'
# $(1) lock file, $(2) what to resolve for it.
define compile_lock
	@if [ -f $(1) ]; then cp $(1) $(1).new; fi
	$(BUILD_REQS) | $(UV_COMPILE) pyproject.toml - $(2) -o $(1).new || { rm -f $(1).new; exit 1; }
	@if cmp -s $(1).new $(1); then rm $(1).new; echo "make: $(1) unchanged"; \
	else mv $(1).new $(1); echo "make: $(1) changed: commit it"; fi
endef

lock: $(STAMP)
	$(call compile_lock,$(DEV_LOCK),--extra dev --extra mediapipe --extra music --python-platform x86_64-manylinux_2_28)
	$(call compile_lock,$(EDGE_LOCK),--python-platform aarch64-manylinux_2_28 -c $(DEV_LOCK))
	$(call compile_lock,$(TRAIN_LOCK),--extra train --extra dev --python-platform x86_64-manylinux_2_28)

train-setup: $(TRAIN_STAMP) models

# A mosquitto binary (not a running broker): the demo and the tests start private ones.
mosquitto:
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto; \
	  else echo "make: mosquitto is needed (a private broker for the demo and tests): sudo apt-get install mosquitto"; exit 2; fi; }

models: $(STAMP)
	$(PY) -m edge.pose.model_files --dest $(MODEL_DIR)

packs: train-setup
	$(TRAIN_PY) -m training.packs defaults

# The shipped dance model: every real genre-labelled motion at hand (aistpp_small's 3 AIST
# genres, ballroom's 3) plus real non-dance motion as the class "none" (videos go through
# training.extract's cache, out/keypoints). The full 10-genre model: see
# `python -m training.dance train --help`.
DANCE_DATA = $(SHARED_DATA)/aistpp_small $(SHARED_DATA)/ballroom
DANCE_NEGATIVES = $(SHARED_DATA)/exercise_videos $(SHARED_DATA)/quva/videos \
	$(SHARED_DATA)/dance_videos/jacky_walk.mp4 $(SHARED_DATA)/dance_videos/jacky_run.mp4
dance-model: train-setup
	$(TRAIN_PY) -m training.dance evaluate --data $(SHARED_DATA)/aistpp_small --out docs/bench/dance.md
	$(TRAIN_PY) -m training.dance evaluate --data $(SHARED_DATA)/ballroom --k 8 16 --out docs/bench/dance_ballroom.md
	$(TRAIN_PY) -m training.dance evaluate --data $(DANCE_DATA) --negatives $(DANCE_NEGATIVES) --k 8 16 --out docs/bench/dance_default.md
	$(TRAIN_PY) -m training.dance train --data $(DANCE_DATA) --negatives $(DANCE_NEGATIVES) --out models/dance --bench docs/bench/dance_default.json

# Edge and reference tests in .venv; the TensorFlow-side tests in .venv-train.
test: setup train-setup mosquitto
	$(PY) -m pytest -q --durations=15 --ignore=tests/training
	$(TRAIN_PY) -m pytest -q --durations=5 tests/training

bench: setup train-setup
	$(PY) -m training.bench.pose --out docs/bench/pose
	$(PY) -m training.bench.counting --out docs/bench/counting
	$(PY) -m training.bench.people --out docs/bench/people
	$(PY) -m training.bench.people_speed --out docs/bench/people_speed
	$(PY) -m training.bench.rep_extras --out docs/bench/rep_extras
	$(PY) -m training.bench.loop --out docs/bench/loop
	$(PY) -m training.bench.web --out docs/bench/web
	$(PY) -m training.bench.web_hostile --out docs/bench/web_hostile
	$(PY) -m training.bench.follow --out docs/bench/follow
	$(TRAIN_PY) -m training.bench.extraction --out docs/bench/extraction  # Ray: training venv

# The Pi path: an arm64 Debian bookworm chroot under qemu (cached in out/pi-chroot) installs
# $(EDGE_LOCK) as the README's Pi install does and runs pose + count on a real 60-frame cut,
# compared with x86 -> docs/bench/pi_check.md. Root, and `apt-get install qemu-user-static
# binfmt-support debootstrap`. PI_CHECK_ARGS: e.g. --lock FILE (see --help).
PI_CHECK_ARGS ?=
.PHONY: pi-check
pi-check: setup
	$(PY) -m training.devkit.pi_check $(PI_CHECK_ARGS)

# Ten minutes on a looped clip: RSS at start and end (not part of CI).
soak: setup
	$(PY) -m training.bench.loop --soak 10 --out docs/bench/soak

lint: $(STAMP)
	$(VENV)/bin/ruff check edge training tests
	$(VENV)/bin/ruff format --check edge training tests

format: $(STAMP)
	$(VENV)/bin/ruff format edge training tests
	$(VENV)/bin/ruff check --fix edge training tests

# The whole loop on a real clip with a private broker; prints what a subscriber receives.
demo: setup mosquitto
	$(PY) -m training.devkit.demo $(if $(DEMO_CLIP),--clip "$(DEMO_CLIP)")

clean:
	rm -rf $(VENV) $(TRAIN_VENV) out .pytest_cache .ruff_cache
