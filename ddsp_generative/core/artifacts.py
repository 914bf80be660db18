# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Versioned, atomically written artefacts and their provenance.

Every file the project writes (TFRecord metadata, z datasets, priors, sample
sidecars) is JSON or NumPy data (never a pickle) that records its kind, its
format version and what produced it. Writes go to a temporary file that is
renamed into place (`atomic_path`); sets of files and whole directories are
staged and published by `core.publish`. An interrupted job never leaves a
file that looks complete.
"""

import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile

import numpy as np

from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.version import __version__


class ArtifactError(errors.UserError, ValueError):
  """A saved artefact is missing, of the wrong kind or of an unknown version."""


def command_line(argv=None):
  """The command line, quoted so that it can be pasted back into a shell.

  A console script is named by its name (not the wrapper's path), and a
  module run with `python -m` as such.

  Args:
    argv: The arguments; default sys.argv.

  Returns:
    A string, e.g. "ddsp_generative_sample --save_dir='my samples'".
  """
  from_sys = argv is None
  argv = list(sys.argv if from_sys else argv) or ['']
  main_spec = getattr(sys.modules.get('__main__'), '__spec__', None)
  if from_sys:
    if main_spec is not None and main_spec.name not in ('__main__', None):
      name = main_spec.name
      if name.endswith('.__main__'):
        name = name[:-len('.__main__')]
      return shlex.join(['python', '-m', name] + argv[1:])
  return shlex.join([os.path.basename(argv[0])] + argv[1:])


def provenance(extra=None):
  """What produced an artefact: versions, command line, time.

  Args:
    extra: Optional dict merged into the result (e.g. config, seed, step).

  Returns:
    A JSON-serialisable dict.
  """
  info = {
      'ddsp_generative_version': __version__,
      'python': platform.python_version(),
      'command': command_line(),
      'created_utc': datetime.datetime.now(datetime.timezone.utc).isoformat(
          timespec='seconds'),
  }
  for module_name in ('ddsp', 'tensorflow'):
    module = sys.modules.get(module_name)
    if module is not None:
      info[f'{module_name}_version'] = getattr(module, '__version__', None)
  info.update(extra or {})
  return info


def _to_jsonable(obj):
  if isinstance(obj, dict):
    return {str(k): _to_jsonable(v) for k, v in obj.items()}
  if isinstance(obj, (list, tuple)):
    return [_to_jsonable(v) for v in obj]
  if isinstance(obj, np.ndarray):
    return obj.tolist()
  if isinstance(obj, np.generic):
    return obj.item()
  return obj


@contextlib.contextmanager
def atomic_path(path):
  """Yields a temporary path beside `path`, renamed onto it on success.

  Args:
    path: Final destination.

  Yields:
    A path in the same directory to write to. It is removed if the block
    raises, and moved onto `path` (atomically) if it completes. For a URL
    (`core.filesystem`) it is a local temporary file, uploaded onto `path`
    in one PUT (an object store shows the whole file or none).
  """
  if filesystem.is_url(path):
    directory = tempfile.mkdtemp(prefix='ddsp_generative-upload-')
    tmp = filesystem.join(directory, filesystem.basename(path))
    try:
      yield tmp
      filesystem.upload(tmp, path)
    finally:
      shutil.rmtree(directory, ignore_errors=True)
    return
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  suffix = os.path.splitext(path)[1]
  # Named after the destination, so that `publish.clean_stale` finds what a
  # killed run left.
  fd, tmp = tempfile.mkstemp(prefix=f'.tmp-{os.path.basename(path)}-',
                             suffix=suffix, dir=directory)
  os.close(fd)
  umask = os.umask(0)
  os.umask(umask)
  try:
    yield tmp
    # mkstemp creates files readable by the owner only; use the usual mode.
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def write_json(path, kind, format_version, payload, extra_provenance=None,
               compact=False):
  """Atomically writes a versioned JSON artefact.

  Args:
    path: Destination file.
    kind: Artefact kind, e.g. 'tfrecord_metadata', 'gmm_prior'.
    format_version: Integer version of the kind's format.
    payload: JSON-serialisable dict (NumPy arrays are converted to lists).
    extra_provenance: Optional dict added to the provenance record.
    compact: No indentation (for artefacts that hold long arrays, e.g. the
      note dataset's frame-level controls: a third of the size).

  Returns:
    The dict written.
  """
  record = {
      'kind': kind,
      'format_version': int(format_version),
      'provenance': provenance(extra_provenance),
  }
  record.update(_to_jsonable(payload))
  with atomic_path(path) as tmp:
    with open(tmp, 'w') as f:
      json.dump(record, f, indent=None if compact else 2, sort_keys=False,
                allow_nan=False, separators=(',', ':') if compact else None)
      f.write('\n')
  return record


def read_json(path, kind, supported_versions, error=None, missing=None):
  """Reads a versioned JSON artefact and checks its kind and version.

  Args:
    path: File to read.
    kind: Expected artefact kind.
    supported_versions: Iterable of format versions this code can read.
    error: The exception class raised (default ArtifactError), e.g. a
      module's own `UserError` subclass.
    missing: The message when there is no file at path (default: '<kind>
      file not found: <path>').

  Returns:
    The decoded dict.

  Raises:
    ArtifactError (or `error`): The file is missing, unreadable, of another
      kind or of an unsupported format version.
  """
  error = error or ArtifactError
  try:
    found = filesystem.isfile(path) if missing else filesystem.exists(path)
  except filesystem.RemoteFilesystemError as e:
    raise error(str(e)) from e
  if not found:
    raise error(missing or f'{kind} file not found: {path}')
  try:
    with filesystem.open(path, 'r') as f:
      record = json.load(f)
  except (OSError, ValueError) as e:
    raise error(f'Cannot read {kind} file {path}: {e}') from e
  if not isinstance(record, dict) or record.get('kind') != kind:
    found = record.get('kind') if isinstance(record, dict) else type(record)
    raise error(f'{path} is not a {kind} file (it says kind={found!r}).')
  version = record.get('format_version')
  if version not in tuple(supported_versions):
    raise error(
        f'{path} has {kind} format version {version}; this ddsp_generative '
        f'({__version__}) reads versions {sorted(supported_versions)}. '
        'Re-create the file with this version, or install the version that '
        'wrote it.')
  return record


def tfrecord_metadata_path(output_tfrecord_path):
  """Path of the metadata file written beside a TFRecord dataset.

  The name does not start with the TFRecord prefix, so the usual
  `TFRecordProvider.file_pattern='.../train.tfrecord*'` never matches it.

  Args:
    output_tfrecord_path: TFRecord path prefix, e.g. 'data/train.tfrecord'.

  Returns:
    e.g. 'data/metadata_train.json'.
  """
  return _beside_tfrecords(output_tfrecord_path, 'metadata')


def tfrecord_notes_path(output_tfrecord_path):
  """Path of the note dataset written beside a TFRecord dataset.

  Args:
    output_tfrecord_path: TFRecord path prefix, e.g. 'data/train.tfrecord'.

  Returns:
    e.g. 'data/notes_train.json' (like the metadata, outside the TFRecords'
    file pattern).
  """
  return _beside_tfrecords(output_tfrecord_path, 'notes')


def _beside_tfrecords(output_tfrecord_path, kind):
  """'<dir>/<kind>_<prefix without .tfrecord>.json'."""
  directory, base = filesystem.split(output_tfrecord_path)
  if base.endswith('.tfrecord'):
    base = base[:-len('.tfrecord')]
  return filesystem.join(directory, f'{kind}_{base}.json')
