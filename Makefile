# DancePose: every entry point a developer or CI needs. `make help` lists them.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# Training has its own venv: TensorFlow 2.21 needs protobuf>=6.31, mediapipe 0.10.18 <5.
TRAIN_VENV  := .venv-train
TRAIN_PY    := $(TRAIN_VENV)/bin/python
TRAIN_STAMP := $(TRAIN_VENV)/.installed
MODEL_DIR   := models/blazepose
SHARED_DATA := ../shared/data
DEMO_CLIP   ?=

.PHONY: help setup train-setup mosquitto models packs dance-model test bench soak lint format demo clean

help:
	@echo "make setup   venv .venv with edge + dev + mediapipe extras, then the models"
	@echo "make models  fetch the BlazePose models from the mediapipe 0.10.18 wheel"
	@echo "make train-setup  venv .venv-train with TensorFlow for the training/ tools"
	@echo "make packs   rebuild models/packs/ from ../shared/data/pose_samples"
	@echo "make dance-model  evaluate and rebuild models/dance/ from ../shared/data/aistpp_small"
	@echo "make test    the full test suite (sets up first)"
	@echo "make bench   benchmarks -> docs/bench/*.md and *.json"
	@echo "make lint    ruff"
	@echo "make demo    run DancePose on a sample clip"

setup: $(STAMP) models

# Re-install only when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,mediapipe]'
	touch $@

$(TRAIN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_PY) -m pip install --quiet --upgrade pip
	$(TRAIN_PY) -m pip install --quiet -e '.[train,dev]'
	touch $@

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

# The shipped dance model: all of ../shared/data/aistpp_small (3 genres, one dancer each).
# The full 10-genre model: see `python -m training.dance_model train --help`.
dance-model: train-setup
	$(TRAIN_PY) -m training.dance_model evaluate --data $(SHARED_DATA)/aistpp_small --out docs/bench/dance.md
	$(TRAIN_PY) -m training.dance_model train --data $(SHARED_DATA)/aistpp_small --k 8 --out models/dance --bench docs/bench/dance.json

# Edge and reference tests in .venv; the TensorFlow-side tests in .venv-train.
test: setup train-setup mosquitto
	$(PY) -m pytest -q --ignore=tests/training
	$(TRAIN_PY) -m pytest -q tests/training

bench: setup
	$(PY) -m edge.bench.pose --out docs/bench/pose
	$(PY) -m edge.bench.counting --out docs/bench/counting
	$(PY) -m edge.bench.loop --out docs/bench/loop
	$(PY) -m training.bench_extraction --out docs/bench/extraction

# Ten minutes on a looped clip: RSS at start and end (not part of CI).
soak: setup
	$(PY) -m edge.bench.loop --soak 10 --out docs/bench/soak

lint: $(STAMP)
	$(VENV)/bin/ruff check edge training tests
	$(VENV)/bin/ruff format --check edge training tests

format: $(STAMP)
	$(VENV)/bin/ruff format edge training tests
	$(VENV)/bin/ruff check --fix edge training tests

# The whole loop on a real clip with a private broker; prints what a subscriber receives.
demo: setup mosquitto
	$(PY) -m edge.demo $(if $(DEMO_CLIP),--clip "$(DEMO_CLIP)")

clean:
	rm -rf $(VENV) $(TRAIN_VENV) out .pytest_cache .ruff_cache
