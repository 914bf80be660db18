# ddsp_generative: `make demo` samples new audio from the embedded default
# model, `make test` runs the tests, `make demo-pipeline` runs the whole
# pipeline (data, training, z, prior, sampling) on synthetic audio,
# `make dataset INSTRUMENT=violin MINUTES=15` renders a data set with
# ground-truth pitch, `make default-model` rebuilds the embedded model. Each
# creates the virtual environment in $(VENV) first when it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.ddsp_generative-installed
DEMO_DIR ?= demo_output
PYTEST_ARGS ?=
# Test files run in this many worker processes (pytest-xdist, one file per
# worker at a time: a file's fixtures are built once). Most of the suite's
# time is commands starting up (TensorFlow's import, tracing) on one core, so
# two workers pay on a 2-core machine; default: the cores, at least 2, at most 8.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; [ $$n -gt 8 ] && n=8; echo $$n)
INSTRUMENT ?= violin
MINUTES ?= 15
SEED ?= 0
DATASET_DIR ?= data/$(INSTRUMENT)/audio
SOUNDFONT := /usr/share/sounds/sf2/FluidR3_GM.sf2
SUDO ?= sudo

.PHONY: install demo demo-pipeline default-model test dataset dataset-deps clean check-python

check-python:
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "ddsp_generative needs Python 3.10 to 3.12 (TensorFlow 2.21 wheels), found %d.%d: run e.g. make PYTHON=python3.11 $(MAKECMDGOALS)" % v)' || { echo "Python check failed (PYTHON=$(PYTHON))." >&2; exit 1; }

# One pip command (README, Installation): ddsp comes as its rebuild without the
# stale pins (ddsp==3.7.0+tf2.21, in third_party/wheels; see setup.py). An
# editable install does not carry files outside the package, so the start-up
# .pth (Keras 2, optional CREPE; see ddsp_generative/environment.py) is copied
# by hand; a wheel install (`pip install .`) ships it. basic-pitch (the
# note-level check's transcriber, version in constraints.txt) comes second,
# with --no-deps: its metadata pins tensorflow<2.15.1, and its ONNX model runs
# with onnxruntime (the `transcription` extra) on our TensorFlow 2.21; the
# last check fails the install if it cannot transcribe.
$(STAMP): setup.py constraints.txt zz_ddsp_generative_env.pth third_party/wheels/ddsp-3.7.0+tf2.21-py3-none-any.whl | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment with $(PYTHON): on Debian/Ubuntu install it with 'apt-get install python3-venv'." >&2; exit 1; }
	$(PIP) install -q -c constraints.txt --find-links=third_party/wheels -e '.[test,datasets,transcription,dask,remote]'
	$(PIP) install -q -c constraints.txt --no-deps basic-pitch
	cp zz_ddsp_generative_env.pth "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	$(PY) -c 'import ddsp_generative.environment as e; import ddsp, ddsp.training; e.check_keras2(); print("ddsp", ddsp.__version__, "imports on Keras 2.")'
	$(PY) -c 'import sys; from ddsp_generative.evaluation import transcription as t; ok, why = t.available(); sys.exit(why) if not ok else print("basic-pitch", t.info()["basic_pitch_version"], "transcribes with onnxruntime", t.info()["onnxruntime_version"])'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m ddsp_generative.sample --save_dir=$(DEMO_DIR) --n_samples=3 --overwrite

demo-pipeline: $(STAMP)
	$(PY) -m ddsp_generative.demo --save_dir=$(DEMO_DIR)/pipeline

# The embedded default model, from nothing (about 40 minutes on 2 CPU cores).
DEFAULT_MODEL_WORK ?= /tmp/ddsp_generative_default_model
default-model: $(STAMP) dataset-deps
	$(PY) -m ddsp_generative.make_default_model --work_dir=$(DEFAULT_MODEL_WORK)

# pytest exits 5 when it collects no test: that fails `make test` too.
# FluidSynth (for the test that renders a data set; measured: +28 s with
# apt-get update) is installed when the machine allows it; otherwise that test
# is skipped with the reason.
test: $(STAMP)
	@$(MAKE) --no-print-directory dataset-deps SUDO='sudo -n' || echo "fluidsynth not installed: the render test will be skipped." >&2
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests $(PYTEST_ARGS)

# FluidSynth and the FluidR3 GM soundfont (Debian/Ubuntu packages, ~150 MB),
# installed only when missing; with sudo unless run as root.
dataset-deps:
	@if command -v fluidsynth >/dev/null && test -f $(SOUNDFONT); then exit 0; fi; \
	command -v apt-get >/dev/null || { echo "Install fluidsynth and the FluidR3 GM soundfont ($(SOUNDFONT)) with your package manager." >&2; exit 1; }; \
	S=; [ "$$(id -u)" = 0 ] || S="$(SUDO)"; \
	echo "Installing fluidsynth fluid-soundfont-gm with apt-get ..."; \
	$$S apt-get update -qq && $$S apt-get install -y -qq fluidsynth fluid-soundfont-gm >/dev/null

dataset: $(STAMP) dataset-deps
	$(PY) -m ddsp_generative.render_dataset \
	  --instrument=$(INSTRUMENT) --minutes=$(MINUTES) --seed=$(SEED) \
	  --output_dir=$(DATASET_DIR)

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
