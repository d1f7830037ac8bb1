# DancePose: every entry point a developer or CI needs. `make help` lists them.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
MODEL_DIR   := models/blazepose
SHARED_DATA := ../shared/data
DEMO_CLIP   ?= $(SHARED_DATA)/exercise_videos/squat_side_3.mp4

.PHONY: help setup models test bench lint format demo clean

help:
	@echo "make setup   venv .venv with edge + dev + mediapipe extras, then the models"
	@echo "make models  fetch the BlazePose models from the mediapipe 0.10.18 wheel"
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

models: $(STAMP)
	$(PY) -m edge.pose.model_files --dest $(MODEL_DIR)

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m edge.bench.pose --out docs/bench/pose

lint: $(STAMP)
	$(VENV)/bin/ruff check edge training tests
	$(VENV)/bin/ruff format --check edge training tests

format: $(STAMP)
	$(VENV)/bin/ruff format edge training tests
	$(VENV)/bin/ruff check --fix edge training tests

demo: setup
	@if [ ! -f "$(DEMO_CLIP)" ]; then \
	  echo "make demo: sample clip $(DEMO_CLIP) not found; run 'make demo DEMO_CLIP=path/to/video.mp4'"; \
	  exit 2; fi
	$(VENV)/bin/dancepose pose "$(DEMO_CLIP)" --out out/demo.npz --overlay out/demo_overlay.mp4
	@echo "demo: keypoints in out/demo.npz, skeleton video in out/demo_overlay.mp4"
	@echo "(the full camera -> counts -> MQTT loop lands with the edge-loop issue)"

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
