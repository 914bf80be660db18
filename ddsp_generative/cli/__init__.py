# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""What every `ddsp_generative_*` command line does first.

Checks its arguments and parses its --gin_file/--gin_param with the shipped
gin files on the search path, so that `--gin_file=gin/...` works from any
directory.
"""

from absl import app
import gin

from ddsp_generative import gin_path


def check_args(argv, flag_values, required):
  """Rejects stray arguments and missing required flags.

  Args:
    argv: The argv absl passes to `main`.
    flag_values: absl's FLAGS.
    required: Flag names, or {name: hint} where hint ends the message
      (e.g. ' (a ddsp_run --save_dir)').

  Raises:
    app.UsageError: Naming the first problem.
  """
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  hints = required if isinstance(required, dict) else dict.fromkeys(
      required, '')
  for name, hint in hints.items():
    if not getattr(flag_values, name):
      raise app.UsageError(f'--{name} is required{hint}.')


def parse_gin(gin_files, gin_params):
  """Parses gin files and bindings; `gin/...` resolves to the shipped files."""
  gin.add_config_file_search_path(gin_path.PACKAGE_DIR)
  gin.parse_config_files_and_bindings(gin_files, gin_params)
