# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The embedded default model: a small violin model, its prior and envelopes.

`ddsp_generative/sampling/default_model/` holds what `make_default_model`
packages (its `manifest.json` records how it was trained): the weights of a
`gin/harmonic_noise_z.gin` + `gin/sizes/small.gin` model trained by `ddsp_run`
on 15 minutes of rendered violin, its operative gin config, the prior fitted
on its z and an envelope VAE trained on the same TFRecords.
`python -m ddsp_generative.sample` with no --model_dir samples it.
"""

import json
import os

from ddsp_generative.core import errors

# The model's files sit beside this module.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PRIOR_NAME = 'prior.json'
ENVELOPES_NAME = 'envelopes'
MANIFEST_NAME = 'manifest.json'
# Peak loudness of the note-based controls when sampling this model: its
# training audio is loud (audible frames: median -6.3 dB, 10th-90th
# percentiles -12 to -2 dB on ddsp's scale; `manifest.json` records them), and
# the controls' generic -25 dB default would play it far below anything it
# heard, i.e. nearly silent. Bound before the user's --gin_param.
DEFAULT_LEVELS = (
    'Note.peak_db = -5.0',
    'Melody.peak_db = -5.0',
    'Glissando.peak_db = -5.0',
    'MidiFile.peak_db = -3.0',
    'Phrase.peak_db = -3.0',
)
# Controls of `python -m ddsp_generative.sample` when none are given: a
# phrase in the violin's middle register (gin, for the control sources).
DEFAULT_CONTROLS = (
    'control_source.source = @Melody()',
    'Melody.pitches = (67, 71, 74, 79, 78, 74, 76, 71, 72, 69, 67)',
    'Melody.durations = (0.4, 0.4, 0.4, 0.8, 0.4, 0.4, 0.8, 0.4, 0.4, 0.4, '
    '1.2)',
    'Melody.legato = True',
    'Melody.vibrato_hz = 5.5',
    'Melody.vibrato_cents = 15.0',
)


class DefaultModelMissingError(errors.UserError, FileNotFoundError):
  """This installation has no embedded default model."""


def model_dir():
  """The default model's directory, with a clear error when it is missing."""
  if not os.path.exists(os.path.join(PACKAGE_DIR, MANIFEST_NAME)):
    raise DefaultModelMissingError(
        f'The embedded default model is missing ({PACKAGE_DIR}): reinstall '
        'ddsp_generative, rebuild it with `make default-model`, or pass '
        '--model_dir=<a ddsp_run --save_dir>.')
  return PACKAGE_DIR


def prior_path():
  return os.path.join(model_dir(), PRIOR_NAME)


def envelopes_dir():
  return os.path.join(model_dir(), ENVELOPES_NAME)


def manifest():
  """The manifest dict written by `make_default_model.py`."""
  with open(os.path.join(model_dir(), MANIFEST_NAME)) as f:
    return json.load(f)
