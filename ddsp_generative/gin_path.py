# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Where the shipped gin files are.

Prints the directory to pass to `ddsp_run --gin_search_path` when running
outside a checkout:

  ddsp_run --gin_search_path=$(python -m ddsp_generative.gin_path) \
    --gin_file=gin/harmonic_noise_z.gin ...
"""

import os

import gin

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
GIN_DIR = os.path.join(PACKAGE_DIR, 'gin')

_added = set()


def ddsp_gin_dir():
  """ddsp's own gin folder (what ddsp_run adds to the search path)."""
  import ddsp.training  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(ddsp.training.__file__), 'gin')


def add_gin_search_paths():
  """Lets `include 'gin/...'` and ddsp's includes resolve from anywhere."""
  for path in (PACKAGE_DIR, ddsp_gin_dir()):
    if path not in _added:
      gin.add_config_file_search_path(path)
      _added.add(path)


def shipped_gin_files():
  """All gin files shipped with the package, relative to PACKAGE_DIR.

  Returns:
    Sorted list like ['gin/harmonic_noise_z.gin', 'gin/models/...', ...].
  """
  files = []
  for root, _, names in os.walk(GIN_DIR):
    for name in names:
      if name.endswith('.gin'):
        full = os.path.join(root, name)
        files.append(os.path.relpath(full, PACKAGE_DIR))
  return sorted(files)


def experiment_gin_files():
  """Top-level gin files: the model configurations users pass to ddsp_run."""
  return [f for f in shipped_gin_files() if os.path.dirname(f) == 'gin']


if __name__ == '__main__':
  print(PACKAGE_DIR)
