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

A saved model is data, checked before use: the weights file the JSON names
must resolve (symlinks followed) inside the model's directory, the
architecture's values must be of the right types and ranges and fit the
weights file's size (so a tampered JSON cannot make the loader allocate a
huge model), and the weights must load into it and be finite. Anything else
is a one-line `artifacts.ArtifactError`.
"""

import inspect
import math
import os

from ddsp_generative.core import artifacts
from ddsp_generative.core import weights
from ddsp_generative.envelopes import normalize
from ddsp_generative.envelopes.model import EnvelopeVae

KIND = 'envelope_model'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MODEL_JSON = 'envelope_vae.json'
WEIGHTS_FILE = 'envelope_vae_weights.h5'
TRAIN_HINT = 'train one with ddsp_generative_train_envelopes'
# Allowed values of the architecture saved in the JSON, [low, high]: wide
# enough for any envelope VAE (the default is 750 frames, 128 channels), small
# enough that building one cannot exhaust memory (2 minutes at 250 Hz).
_INT_RANGES = dict(n_frames=(1, 30_000), latent_dims=(1, 4096),
                   kernel_size=(1, 255), hidden_units=(1, 16384),
                   frame_rate=(1, 100_000))
_LIST_RANGES = dict(channels=(1, 1024), strides=(1, 64))
_MAX_LAYERS = 16


sha256 = weights.file_sha256  # Kept for callers of this name.


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
  entry = weights.save(model, os.path.join(save_dir, WEIGHTS_FILE))
  payload = dict(
      config=model.get_config(),
      normalization=normalize.constants(),
      weights=entry,
      training=training or {})
  artifacts.write_json(json_path, KIND, FORMAT_VERSION, payload)
  return json_path


def _is_int(value):
  return isinstance(value, int) and not isinstance(value, bool)


def check_config(config, json_path):
  """The architecture of a saved JSON, checked: types, ranges, extra keys.

  Args:
    config: The JSON's 'config' value.
    json_path: The JSON, for messages.

  Returns:
    The config with every `EnvelopeVae` argument (defaults filled in).

  Raises:
    artifacts.ArtifactError: Not a dict, an unknown key, or a value of the
      wrong type or out of range.
  """
  def bad(what):
    return artifacts.ArtifactError(
        f'{json_path} has an invalid model config ({what}): the file is '
        f'corrupt or was edited; {TRAIN_HINT} again.')

  if not isinstance(config, dict):
    raise bad(f'config is {type(config).__name__}, not an object')
  defaults = {name: p.default for name, p in
              inspect.signature(EnvelopeVae.__init__).parameters.items()
              if name not in ('self', 'name')}
  unknown = sorted(set(config) - set(defaults))
  if unknown:
    raise bad(f'unknown keys {unknown}')
  full = dict(defaults, **config)
  for key, (low, high) in _INT_RANGES.items():
    value = full[key]
    if not _is_int(value) or not low <= value <= high:
      raise bad(f'{key}={value!r}, not an integer in [{low}, {high}]')
  for key, (low, high) in _LIST_RANGES.items():
    value = full[key]
    if (not isinstance(value, (list, tuple)) or
        not 1 <= len(value) <= _MAX_LAYERS or
        not all(_is_int(v) and low <= v <= high for v in value)):
      raise bad(f'{key}={value!r}, not 1 to {_MAX_LAYERS} integers in '
                f'[{low}, {high}]')
  if len(full['channels']) != len(full['strides']):
    raise bad(f'{len(full["channels"])} channels but '
              f'{len(full["strides"])} strides')
  beta = full['beta']
  if (not isinstance(beta, (int, float)) or isinstance(beta, bool) or
      not math.isfinite(beta) or beta < 0):
    raise bad(f'beta={beta!r}, not a finite number >= 0')
  return full


def _min_weight_bytes(config):
  """A lower bound of the float32 bytes of a model with this config.

  Counts the dense layers around z only (the convolutions add more).
  """
  frames = config['n_frames']
  for stride in config['strides']:
    frames = -(-frames // stride)
  flat = frames * config['channels'][-1]
  hidden, latent = config['hidden_units'], config['latent_dims']
  return 4 * (flat * hidden + hidden * 2 * latent + latent * hidden +
              hidden * flat)


def weights_path_of(record, json_path):
  """(path, sha256) of the weights file a saved JSON names (`weights`)."""
  return weights.entry_path(record, json_path, WEIGHTS_FILE,
                            'an envelope model', TRAIN_HINT)


def load_model(path):
  """Loads a saved EnvelopeVae.

  Args:
    path: The model JSON, or the directory holding `envelope_vae.json`.

  Returns:
    (model, record): the EnvelopeVae with its weights and the JSON dict.

  Raises:
    artifacts.ArtifactError: Missing files, another kind or version,
      normalisation constants or an architecture that do not fit this code,
      a weights file outside the model's directory, or weights that are
      missing, of another model, of the wrong shapes or not finite.
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
  config = check_config(record.get('config'), json_path)
  weights_path, sha = weights_path_of(record, json_path)
  weights.check_file(weights_path, sha, json_path)
  size = os.path.getsize(weights_path)
  if _min_weight_bytes(config) > size:
    raise artifacts.ArtifactError(
        f'The architecture of {json_path} needs more than '
        f'{_min_weight_bytes(config)} bytes of weights; {weights_path} has '
        f'{size}: the files do not belong together; {TRAIN_HINT} again.')
  try:
    model = EnvelopeVae(**config)
    model.build_all()
  except (TypeError, ValueError) as e:
    raise artifacts.ArtifactError(
        f'{json_path} has an invalid model config: {e}') from e
  weights.load(model, weights_path, json_path, TRAIN_HINT)
  return model, record
