# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""What every `ddsp_generative_*` command line does first.

`run(main, __name__, checks=...)` is the one runner (see `cli.runner`): flag
errors, stray arguments and `UserError`s become one line on stderr, --help
shows the command's own docstring and flags, and the run is quiet by default.
`parse_gin` parses --gin_file/--gin_param with the shipped gin files on the
search path, so that `--gin_file=gin/...` works from any directory; what gin
rejects is one line, `gin: <message> (check --gin_file/--gin_param)`.

Importing this module sets TF_CPP_MIN_LOG_LEVEL=3 (unless set, or
--verbosity is on the command line): command modules import it before
anything that imports TensorFlow.
"""

import sys

from ddsp_generative.cli import quiet

if quiet.quiet_environment(sys.argv) and quiet.is_command_process():
  quiet.filter_native_logs()

# pylint: disable=g-import-not-at-top,wrong-import-position
import gin

from ddsp_generative import gin_path
from ddsp_generative.cli import runner
from ddsp_generative.cli.runner import command_name
from ddsp_generative.cli.runner import require
from ddsp_generative.cli.runner import required_hint
from ddsp_generative.cli.runner import run
from ddsp_generative.core.errors import UsageError
from ddsp_generative.core.errors import UserError
# pylint: enable=g-import-not-at-top,wrong-import-position


def define_realism_flags(compared, module_name):
  """Defines --realism, --c2st_folds and --realism_split.

  Args:
    compared: What is compared with the real clips, for --realism's help
      (e.g. 'generated', 'resynthesis').
    module_name: The command module's `__name__`: the flags are its own (its
      --help lists them).
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.DEFINE_boolean('realism', True, 'Add the absolute realism section '
                       f'({compared} vs real clips, with the real-vs-real '
                       'floor) and its LTAS figure.', module_name=module_name)
  flags.DEFINE_integer('c2st_folds', 5, 'Cross-validation folds of the '
                       'realism tests (>= 2; each real half needs 2 x folds '
                       'clips).', module_name=module_name)
  flags.DEFINE_enum('realism_split', 'random', ['random', 'ordered'],
                    'How the real clips are halved for the realism tests: a '
                    'seeded permutation, or the first and second half in '
                    'read order (mostly different passages).',
                    module_name=module_name)


def check_args(flag_values, required):
  """Rejects missing required flags: how every command declares them.

  Call it first in the command's `checks` (see `run`), or first in `main`
  when it has none. (Stray positional arguments never get this far: the
  runner's flag parser rejects them.)

  Args:
    flag_values: absl's FLAGS.
    required: Flag names, or {name: hint} where hint ends the message
      (e.g. ' (a ddsp_run --save_dir)'); without a hint the message is
      `runner.required_hint`'s, naming the flag's help.

  Raises:
    UsageError: Naming the first missing flag (exit 2).
  """
  hints = required if isinstance(required, dict) else dict.fromkeys(
      required, '')
  for name, hint in hints.items():
    if not getattr(flag_values, name):
      if hint:
        raise UsageError(f'--{name} is required{hint}.')
      raise UsageError(runner.required_hint(name, flag_values))


def parse_gin(gin_files, gin_params, lock=True):
  """Parses gin files and bindings; `gin/...` resolves to the shipped files.

  Args:
    gin_files: --gin_file values.
    gin_params: --gin_param values.
    lock: Lock the config (gin's finalize) after parsing; False where
      modules that register configurables are imported later (the Beam
      stages import ddsp when they first run).

  Raises:
    runner.GinError: gin rejects them (an unknown configurable or
      parameter, a syntax error, a missing file): 'gin: <message> (check
      --gin_file/--gin_param)', exit 2.
  """
  gin.add_config_file_search_path(gin_path.PACKAGE_DIR)
  try:
    gin.parse_config_files_and_bindings(gin_files, gin_params,
                                        finalize_config=lock)
  except Exception as e:  # pylint: disable=broad-except
    if runner.is_gin_error(e):
      raise runner.GinError(runner.gin_message(e)) from e
    raise
