# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Saving and loading an EnvelopeVae: HDF5 weights + a versioned JSON.

A saved model is two files in one directory:

* `envelope_vae_weights.h5`: the Keras weights (`save_weights`, HDF5; no
  pickle, no code);
* `envelope_vae.json`: kind 'envelope_model', format_version 1, with the
  architecture (`EnvelopeVae.get_config`), the normalisation constants, the
  weights file's name and SHA-256, training information (data pattern, steps,
  seed, final losses) and provenance.

Both are written to temporary files renamed into place, the JSON last (and
an older JSON is removed first when overwriting), so an interrupted save never
leaves a JSON describing weights that are not there; the checksum catches a
weights file that does not belong to its JSON.
"""

import hashlib
import os

from ddsp_generative.core import artifacts
from ddsp_generative.envelopes import normalize
from ddsp_generative.envelopes.model import EnvelopeVae

KIND = 'envelope_model'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MODEL_JSON = 'envelope_vae.json'
WEIGHTS_FILE = 'envelope_vae_weights.h5'
TRAIN_HINT = 'train one with ddsp_generative_train_envelopes'


def sha256(path):
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def model_json_path(path):
  """The model JSON of a path: the JSON itself or the directory holding it."""
  if os.path.isdir(path):
    return os.path.join(path, MODEL_JSON)
  return path


def save_model(model, save_dir, training=None, overwrite=False):
  """Saves weights and JSON into save_dir (see module docstring).

  Args:
    model: A built EnvelopeVae.
    save_dir: Directory to write (created if needed).
    training: JSON-serialisable dict of training information.
    overwrite: Replace a model already saved there.

  Returns:
    Path of the JSON written.

  Raises:
    FileExistsError: A model is saved there and overwrite is False.
  """
  json_path = os.path.join(save_dir, MODEL_JSON)
  if os.path.exists(json_path):
    if not overwrite:
      raise FileExistsError(f'An envelope model is already saved in '
                            f'{save_dir}; pass overwrite=True (--overwrite) '
                            'to replace it.')
    os.remove(json_path)
  weights_path = os.path.join(save_dir, WEIGHTS_FILE)
  with artifacts.atomic_path(weights_path) as tmp:
    model.save_weights(tmp, save_format='h5')
  payload = dict(
      config=model.get_config(),
      normalization=normalize.constants(),
      weights=dict(file=WEIGHTS_FILE, sha256=sha256(weights_path)),
      training=training or {})
  artifacts.write_json(json_path, KIND, FORMAT_VERSION, payload)
  return json_path


def load_model(path):
  """Loads a saved EnvelopeVae.

  Args:
    path: The model JSON, or the directory holding `envelope_vae.json`.

  Returns:
    (model, record): the EnvelopeVae with its weights and the JSON dict.

  Raises:
    artifacts.ArtifactError: Missing files, another kind or version,
      normalisation constants or weights that do not fit this code.
  """
  json_path = model_json_path(path)
  if not os.path.exists(json_path):
    raise artifacts.ArtifactError(
        f'No envelope model at {path} (looked for {json_path}); '
        f'{TRAIN_HINT}.')
  record = artifacts.read_json(json_path, KIND, SUPPORTED_VERSIONS)
  saved_constants = record.get('normalization')
  if saved_constants != normalize.constants():
    raise artifacts.ArtifactError(
        f'{json_path} was saved with other envelope normalisation constants '
        f'({saved_constants}) than this code uses ({normalize.constants()}); '
        f'{TRAIN_HINT} again.')
  try:
    model = EnvelopeVae(**record['config'])
  except (KeyError, TypeError, ValueError) as e:
    raise artifacts.ArtifactError(
        f'{json_path} has an invalid model config: {e}') from e
  weights = record.get('weights') or {}
  weights_path = os.path.join(os.path.dirname(os.path.abspath(json_path)),
                              str(weights.get('file', WEIGHTS_FILE)))
  if not os.path.exists(weights_path):
    raise artifacts.ArtifactError(
        f'The weights of {json_path} are missing: {weights_path}.')
  if weights.get('sha256') != sha256(weights_path):
    raise artifacts.ArtifactError(
        f'{weights_path} is not the weights file {json_path} was saved with '
        '(SHA-256 differs).')
  model.build_all()
  try:
    model.load_weights(weights_path)
  except (ValueError, OSError) as e:
    raise artifacts.ArtifactError(
        f'Cannot load {weights_path} into the architecture of {json_path}: '
        f'{e}') from e
  return model, record
