# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Saving and loading an ExpressionVae: HDF5 weights + a versioned JSON.

A saved model is two files in one directory (by default `expression/` of a
DDSP model directory, where the sampler finds it):

* `expression_vae_weights.h5`: the Keras weights (no pickle, no code);
* `expression_vae.json`: kind 'expression_model', format_version 1, with
  the architecture (`ExpressionVae.get_config`), the context constants
  (`context.constants()`), the weights' file name and SHA-256, and the
  training summary, whose 'notes' (the training notes' level percentiles
  and pitch range) map MIDI velocities to levels when playing.

The weights are written first and the JSON last (an older JSON removed
first when overwriting), so an interrupted save leaves no JSON describing
weights that are not there. Loading checks the architecture's types and
ranges, the weights' place and checksum (`core.weights`), and that they load
and are finite; anything else is a one-line `artifacts.ArtifactError`.
"""

import math
import os

from ddsp_generative.core import artifacts
from ddsp_generative.core import weights
from ddsp_generative.expression import context
from ddsp_generative.expression.model import ExpressionVae

KIND = 'expression_model'
FORMAT_VERSION = 1
MODEL_JSON = 'expression_vae.json'
WEIGHTS_FILE = 'expression_vae_weights.h5'
TRAIN_HINT = 'train one with ddsp_generative_train_expression'
_INT_RANGES = dict(units=(1, 4096), latent_dims=(1, 1024),
                   max_notes=(1, 65536), hop=(1, 1000),
                   frame_rate=(1, 100_000))


def model_json_path(path):
  """The model JSON of a path: the JSON itself or the directory holding it."""
  return os.path.join(path, MODEL_JSON) if os.path.isdir(path) else path


def save_model(model, save_dir, training=None, overwrite=False):
  """Saves weights and JSON into save_dir (module docstring).

  Returns:
    Path of the JSON written.

  Raises:
    FileExistsError: A model is saved there and overwrite is False.
  """
  os.makedirs(save_dir, exist_ok=True)
  json_path = os.path.join(save_dir, MODEL_JSON)
  if os.path.exists(json_path):
    if not overwrite:
      raise FileExistsError(f'An expression model is already saved in '
                            f'{save_dir}; pass --overwrite to replace it.')
    os.remove(json_path)
  entry = weights.save(model, os.path.join(save_dir, WEIGHTS_FILE))
  artifacts.write_json(json_path, KIND, FORMAT_VERSION, dict(
      config=model.get_config(), context=context.constants(), weights=entry,
      training=training or {}))
  return json_path


def check_config(config, json_path):
  """The saved architecture, checked (types, ranges, unknown keys)."""
  def bad(what):
    return artifacts.ArtifactError(
        f'{json_path} has an invalid expression model config ({what}): the '
        f'file is corrupt or was edited; {TRAIN_HINT} again.')
  if not isinstance(config, dict):
    raise bad(f'config is {type(config).__name__}, not an object')
  # dip_weight: training only, absent from models saved before it existed.
  unknown = sorted(set(config) - set(_INT_RANGES) - {'beta', 'dip_weight'})
  if unknown:
    raise bad(f'unknown keys {unknown}')
  missing = sorted((set(_INT_RANGES) | {'beta'}) - set(config))
  if missing:
    raise bad(f'missing keys {missing}')
  for key, (low, high) in _INT_RANGES.items():
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or not (
        low <= value <= high):
      raise bad(f'{key}={value!r} is not an integer in [{low}, {high}]')
  for key in ('beta', 'dip_weight'):
    value = config.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
        not math.isfinite(value) or value < 0):
      raise bad(f'{key}={value!r} is not a finite number >= 0')
  return dict(config)


def load_model(path):
  """Loads a saved ExpressionVae.

  Args:
    path: The model JSON, or the directory holding `expression_vae.json`.

  Returns:
    (model, record): the ExpressionVae with its weights and the JSON dict.

  Raises:
    artifacts.ArtifactError: Missing files, another kind or version, other
      context constants, a bad architecture, a weights file outside the
      model's directory, or weights that are missing, of another model or
      not finite.
  """
  json_path = model_json_path(path)
  if not os.path.exists(json_path):
    raise artifacts.ArtifactError(
        f'No expression model at {path} (looked for {json_path}); '
        f'{TRAIN_HINT}.')
  record = artifacts.read_json(json_path, KIND, (FORMAT_VERSION,))
  if record.get('context') != context.constants():
    raise artifacts.ArtifactError(
        f'{json_path} was saved with other context constants '
        f"({record.get('context')}) than this code uses; {TRAIN_HINT} "
        'again.')
  config = check_config(record.get('config'), json_path)
  weights_path, sha = weights.entry_path(record, json_path, WEIGHTS_FILE,
                                         'an expression model', TRAIN_HINT)
  weights.check_file(weights_path, sha, json_path)
  model = ExpressionVae(**config)
  model.build_for_weights()
  weights.load(model, weights_path, json_path, TRAIN_HINT)
  return model, record
