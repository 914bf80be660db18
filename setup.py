# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Install ddsp_generative, with ddsp, in one pip command.

  pip install --find-links=third_party/wheels .          # or -e '.[test]'

`ddsp` 3.7.0 (PyPI) pins TensorFlow <= 2.11, which has no wheel for Python
>= 3.11, but its code runs unchanged on TensorFlow 2.21 + tf-keras + TFP 0.25.
This package requires `ddsp==3.7.0+tf2.21`: a PEP 440 *local version*
rebuild of PyPI's wheel (local labels exist for downstream rebuilds) whose
code files are byte-identical to the official ones and whose metadata only
drops the stale pins. It lives in third_party/wheels/, made reproducibly by
third_party/rebuild_ddsp_wheel.py (which checks the official wheel's sha256),
and pip finds it through `--find-links`. Because the pin carries the local
label, PyPI's ddsp 3.7.0 can never satisfy it by mistake.

Why this and not:
* dependency overrides: pip has none; uv's `override-dependencies` (and
  `uv pip install --override`) work only for uv users, not with pip;
* a requirements file with `--find-links` or a second `--no-deps` install:
  two files or two commands, and `pip install .` alone stays broken;
* vendoring ddsp's sources into this package: clashes with the real `ddsp`
  top-level name (or means rewriting every `import ddsp`), and mixes 3rd-party
  code into this package. The rebuilt wheel keeps ddsp a separate,
  auditable distribution with its own LICENSE.
The cost: outside a checkout, pass `--find-links` to a folder holding the
rebuilt wheel (this package cannot go to PyPI with that pin as is).
"""

import os
import sys

import setuptools
from setuptools.command.build_py import build_py

if sys.version_info[:2] < (3, 10) or sys.version_info[:2] > (3, 12):
  sys.exit('ddsp_generative needs Python 3.10 to 3.12 (TensorFlow 2.21 and '
           'tf-keras wheels); this is Python %d.%d. Use e.g. '
           '`make PYTHON=python3.11 test`.' % sys.version_info[:2])

HERE = os.path.dirname(os.path.abspath(__file__))
# Named to sort after the .pth files that put an editable checkout on sys.path.
STARTUP_PTH = 'zz_ddsp_generative_env.pth'

with open(os.path.join(HERE, 'ddsp_generative', 'version.py')) as f:
  __version__ = f.read().split("__version__ = '")[1].split("'")[0]


class BuildPyWithStartup(build_py):
  """Also puts the start-up .pth file at the root of site-packages.

  It imports `ddsp_generative.environment` when Python starts, so that
  `ddsp_run` and every other entry point use Keras 2 and import `ddsp` without
  CREPE, with nothing to export by hand.
  """

  def run(self):
    super().run()
    self.copy_file(os.path.join(HERE, STARTUP_PTH),
                   os.path.join(self.build_lib, STARTUP_PTH))

  def get_outputs(self, include_bytecode=True):
    return super().get_outputs(include_bytecode) + [
        os.path.join(self.build_lib, STARTUP_PTH)]


setuptools.setup(
    name='ddsp_generative',
    version=__version__,
    description='Generative DDSP: priors over z, generated controls, sampling '
                'new instrument audio with no input audio.',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache 2.0',
    python_requires='>=3.10,<3.13',
    packages=setuptools.find_packages(include=['ddsp_generative',
                                               'ddsp_generative.*']),
    package_data={'ddsp_generative': ['sampling/default_model/*',
                                      'sampling/default_model/envelopes/*',
                                      'sampling/default_model/expression/*',
                                      'gin/*.gin', 'gin/*/*.gin',
                                      'gin/*/*/*.gin']},
    cmdclass={'build_py': BuildPyWithStartup},
    install_requires=[
        # The rebuild of ddsp 3.7.0 in third_party/wheels (module docstring).
        'ddsp==3.7.0+tf2.21',
        'tensorflow>=2.16',
        'tf-keras',
        'tensorflow-probability',
        'tensorboard',
        # ddsp_run imports pkg_resources, removed in setuptools 81.
        'setuptools<81',
        'numpy>=1.24',
        'scipy',
        'absl-py',
        'gin-config>=0.5',
        'apache-beam',
        'scikit-learn',
        'librosa',
        'soundfile',
        'matplotlib',
        'tqdm',
        # ddsp_generative.evaluation.pitch (also a dependency of ddsp).
        'mir-eval',
        # midi_controls.MidiFile (also a dependency of note-seq); its MIDI
        # reader reads note arrays with mido (a dependency of pretty_midi).
        'pretty_midi',
        'mido',
    ],
    extras_require={
        'crepe': ['crepe>=0.0.12'],
        # ddsp_generative_render_dataset: melodies and MIDI (plus the Debian
        # packages fluidsynth and fluid-soundfont-gm; see datasets/README.md).
        'datasets': ['music21', 'pretty_midi'],
        # ddsp_generative.evaluation.transcription: basic-pitch's ONNX model
        # run with onnxruntime. basic-pitch itself pins tensorflow<2.15.1, so
        # it cannot be a requirement: install it after this package with
        # `pip install --no-deps basic-pitch==0.4.0` (`make install` does).
        # Its note_creation module imports resampy (<0.4.3, its own pin).
        'transcription': ['onnxruntime', 'resampy<0.4.3'],
        # Both Beam pipelines on Beam's DaskRunner (a dask.distributed
        # cluster; tests/test_dask_runner.py).
        'dask': ['dask>=2024.4.2', 'distributed>=2024.4.2'],
        # Remote URLs for the pipelines' I/O, models and priors
        # (core/filesystem.py, fsspec): s3:// through s3fs; moto's S3 server
        # for tests/test_remote_filesystem.py. gs:// needs gcsfs, az://
        # adlfs (pip install them beside).
        'remote': ['s3fs', 'moto[server]>=5'],
        # tests/test_notebooks.py runs colab/ headless in a kernel of this
        # Python.
        # tests/test_priors_temporal.py checks against hmmlearn. `make test`
        # runs the files in parallel processes with pytest-xdist (most of the
        # suite's time is commands' start-up, one core each).
        'test': ['pytest>=7', 'pytest-xdist>=3', 'nbclient', 'nbformat',
                 'ipykernel', 'hmmlearn'],
    },
    entry_points={
        'console_scripts': [
            'ddsp_generative_prepare_tfrecord = ddsp_generative.prepare_tfrecord:console_entry_point',
            'ddsp_generative_render_dataset = ddsp_generative.render_dataset:console_entry_point',
            'ddsp_generative_evaluate_pitch = ddsp_generative.evaluate_pitch:console_entry_point',
            'ddsp_generative_extract_z = ddsp_generative.extract_z:console_entry_point',
            'ddsp_generative_fit_prior = ddsp_generative.fit_prior:console_entry_point',
            'ddsp_generative_prior_figures = ddsp_generative.prior_figures:console_entry_point',
            'ddsp_generative_sample = ddsp_generative.sample:console_entry_point',
            'ddsp_generative_evaluate_reconstruction = ddsp_generative.evaluate_reconstruction:console_entry_point',
            'ddsp_generative_train_envelopes = ddsp_generative.train_envelopes:console_entry_point',
            'ddsp_generative_train_expression = ddsp_generative.train_expression:console_entry_point',
            'ddsp_generative_evaluate_generation = ddsp_generative.evaluate_generation:console_entry_point',
            'ddsp_generative_transfer = ddsp_generative.transfer:console_entry_point',
            'ddsp_generative_fit_timbre_prior = ddsp_generative.fit_timbre_prior:console_entry_point',
        ],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Multimedia :: Sound/Audio :: Sound Synthesis',
    ],
)
