# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Run-time environment: Python version, Keras 2 and optional CREPE.

This module must stay free of heavy imports: it runs at interpreter start-up
through `zz_ddsp_generative_env.pth`, before `ddsp` or TensorFlow are imported.

* `ddsp` 3.7.0 builds its models with Keras 2. TensorFlow >= 2.16 defaults to
  Keras 3, under which ddsp's gin-wrapped models do not build, so
  `TF_USE_LEGACY_KERAS=1` is set (unless the user set it) to select `tf-keras`.
* `ddsp` imports `crepe` at module import, but CREPE cannot be installed
  offline (its installer downloads weights). When the real package is missing,
  an importable placeholder stands in for it: `import crepe` succeeds, and any
  use of it raises `CrepeNotInstalledError` saying how to install it.
"""

import importlib.abc
import importlib.machinery
import os
import sys
import types
import warnings

MIN_PYTHON = (3, 10)
MAX_PYTHON = (3, 12)

CREPE_INSTALL_HINT = (
    'CREPE is not installed. Install it with '
    '`pip install "ddsp_generative[crepe]"` (its installer downloads the '
    'model weights, so it needs internet access), or use the offline pitch '
    'estimator with --f0_estimator=pyin (the default).')


class CrepeNotInstalledError(ImportError):
  """Raised when CREPE is used but the `crepe` package is not installed."""


class _MissingCrepe(types.ModuleType):
  """Stands in for the `crepe` module; every use raises a clear error."""

  __ddsp_generative_placeholder__ = True

  def __getattr__(self, name):
    if name.startswith('__') and name.endswith('__'):
      raise AttributeError(name)
    raise CrepeNotInstalledError(
        f'crepe.{name} was requested. ' + CREPE_INSTALL_HINT)


class _MissingCrepeFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  """Finds `crepe` only when no other finder does (it sits last in line)."""

  def find_spec(self, fullname, path=None, target=None):
    del path, target
    if fullname == 'crepe' or fullname.startswith('crepe.'):
      return importlib.machinery.ModuleSpec(fullname, self)
    return None

  def create_module(self, spec):
    return _MissingCrepe(spec.name)

  def exec_module(self, module):
    del module


def check_python_version(version_info=None):
  """Raises RuntimeError when the Python version has no TensorFlow wheels."""
  version = tuple((version_info or sys.version_info)[:2])
  if not MIN_PYTHON <= version <= MAX_PYTHON:
    found = '.'.join(str(v) for v in version)
    raise RuntimeError(
        f'ddsp_generative needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} to '
        f'{MAX_PYTHON[0]}.{MAX_PYTHON[1]} (TensorFlow 2.21 and tf-keras '
        f'wheels); this is Python {found}. Create the environment with a '
        'supported interpreter, e.g. `make PYTHON=python3.11 test`.')


def crepe_available():
  """True when the real `crepe` package is importable."""
  module = sys.modules.get('crepe')
  if module is not None:
    return not getattr(module, '__ddsp_generative_placeholder__', False)
  for finder in sys.meta_path:
    if isinstance(finder, _MissingCrepeFinder):
      continue
    find_spec = getattr(finder, 'find_spec', None)
    if find_spec is not None and find_spec('crepe', None) is not None:
      return True
  return False


def require_crepe():
  """Returns the real `crepe` module or raises CrepeNotInstalledError."""
  if not crepe_available():
    raise CrepeNotInstalledError(CREPE_INSTALL_HINT)
  import crepe  # pylint: disable=g-import-not-at-top
  return crepe


def setup():
  """Selects Keras 2, makes CREPE optional, quiets pydub. Idempotent."""
  check_python_version()
  os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
  # pydub warns at import when ffmpeg is missing, though WAV/FLAC/OGG need
  # none; core.audio_io says when a file does need it.
  warnings.filterwarnings('ignore', message="Couldn't find ffmpeg",
                          category=RuntimeWarning)
  if not any(isinstance(f, _MissingCrepeFinder) for f in sys.meta_path):
    sys.meta_path.append(_MissingCrepeFinder())


def require_ddsp():
  """Imports `ddsp`, or raises ImportError saying how to install it."""
  try:
    import ddsp  # pylint: disable=g-import-not-at-top
  except ModuleNotFoundError as e:
    if e.name != 'ddsp':
      raise
    raise ImportError(
        'ddsp is not installed. Install ddsp_generative with its rebuilt '
        'ddsp wheel (ddsp 3.7.0 without its stale tensorflow<=2.11 pin): '
        '`pip install --find-links=third_party/wheels .` in a checkout, or '
        '`make install`.') from e
  return ddsp


def check_keras2():
  """Raises RuntimeError when TensorFlow was loaded with Keras 3."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  keras_module = type(tf.keras.layers.Layer).__module__ + ' ' + (
      tf.keras.layers.Layer.__module__)
  if 'tf_keras' not in keras_module:
    raise RuntimeError(
        'TensorFlow was imported with Keras 3, under which ddsp models do not '
        'build. Set TF_USE_LEGACY_KERAS=1 before TensorFlow is imported (the '
        'installed zz_ddsp_generative_env.pth does this; reinstall with '
        '`make install` if it is missing) and install `tf-keras`.')
