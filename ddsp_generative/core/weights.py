# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Keras weights saved beside a versioned JSON: write, find, check, load.

The small models of this package (the envelope VAE, the expression VAE) are
saved as HDF5 weights (`save_weights`, no pickle, no code) named by a JSON
that records their SHA-256. Loading is checked: the file the JSON names
must resolve (symlinks followed) inside the JSON's directory, match its
checksum, load into the architecture and be finite; anything else is a
one-line `artifacts.ArtifactError`.
"""

import hashlib
import os
import re

import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import gin_safety

_SHA256 = re.compile(r'^[0-9a-f]{64}$')


def file_sha256(path):
  """Hex SHA-256 of a file's bytes."""
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def save(model, path):
  """Writes a Keras model's weights to `path` (HDF5) atomically.

  Returns:
    {'file': the base name, 'sha256': its checksum}: the JSON's entry.
  """
  with artifacts.atomic_path(path) as tmp:
    model.save_weights(tmp, save_format='h5')
  return {'file': os.path.basename(path), 'sha256': file_sha256(path)}


def entry_path(record, json_path, default_file, what, hint):
  """The weights file a saved JSON names, checked to lie beside it.

  Args:
    record: The JSON's dict (its 'weights' entry: {'file', 'sha256'}).
    json_path: The JSON.
    default_file: The file name when the entry names none.
    what: What the model is, for messages (e.g. 'an envelope model').
    hint: How to make a new one, for messages.

  Returns:
    (path, sha256) of the weights file.

  Raises:
    artifacts.ArtifactError: A malformed entry, or a file that resolves
      outside the JSON's directory.
  """
  model_dir = os.path.dirname(os.path.abspath(json_path))
  entry = record.get('weights', {})
  if not isinstance(entry, dict):
    entry = {'file': entry}
  name = entry.get('file', default_file)
  sha = entry.get('sha256')
  if not isinstance(name, str) or not name or '\0' in name:
    raise artifacts.ArtifactError(
        f'{json_path} names no valid weights file ({name!r}): the file is '
        f'corrupt or was edited; {hint} again.')
  path = os.path.join(model_dir, name)
  if not gin_safety.inside_directory(path, model_dir):
    raise artifacts.ArtifactError(
        f'{json_path} names a weights file outside its directory ({name!r} '
        f'-> {os.path.realpath(path)}): refused, {what} may only use its '
        f'own files; {hint}, or copy the weights beside it.')
  if not isinstance(sha, str) or not _SHA256.match(sha):
    raise artifacts.ArtifactError(
        f'{json_path} has no valid SHA-256 of its weights ({sha!r}): the '
        f'file is corrupt or was edited; {hint} again.')
  return path, sha


def check_file(path, sha, json_path):
  """Raises ArtifactError unless the weights file exists with that SHA."""
  if not os.path.isfile(path):
    raise artifacts.ArtifactError(
        f'The weights of {json_path} are missing: {path}.')
  if sha != file_sha256(path):
    raise artifacts.ArtifactError(
        f'{path} is not the weights file {json_path} was saved with '
        '(SHA-256 differs).')


def load(model, path, json_path, hint):
  """Loads checked weights (`check_file` first) into a built model.

  Raises:
    artifacts.ArtifactError: They do not fit the architecture, or are not
      finite.
  """
  try:
    model.load_weights(path)
  except (ValueError, OSError, KeyError, TypeError, IndexError) as e:
    detail = ' '.join(str(e).split())[:300]
    raise artifacts.ArtifactError(
        f'Cannot load {path} into the architecture of {json_path}: '
        f'{detail}') from e
  bad = [w.name for w in model.weights if not np.all(np.isfinite(w.numpy()))]
  if bad:
    raise artifacts.ArtifactError(
        f'{path} holds non-finite weights ({bad[0]}): the file is corrupt; '
        f'{hint} again.')
