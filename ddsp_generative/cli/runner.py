# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The one runner of every command: `run(main)` wraps `absl.app.run`.

* `--help`, `-h`, `--helpshort`: the command's own docstring (its usage
  examples) and its own flags, exit 0, whether run as a console script or
  with `python -m`.
* Flag errors, missing required flags and stray arguments: one line,
  `<command>: error: <message>`, exit 2.
* `UserError` (`ddsp_generative.core.errors`), `app.UsageError` and `OSError`:
  one line, exit 1 (2 for usage errors); no traceback.
* Any other exception: one line naming it, and how to see the traceback
  (`--verbosity=1`, which shows it). Ctrl-C: one line, exit 130.
* Quiet by default (see `cli.quiet`).
"""

import re
import sys
import traceback

from absl import app
from absl import flags

from ddsp_generative.cli import quiet
from ddsp_generative.core import errors

FLAGS = flags.FLAGS

_HELP_ARGS = ('--help', '-h', '--helpshort', '-?', '--help=true',
              '--helpshort=true')
_REQUIRED = re.compile(r'--(\w+) must have a value other than None')


def command_name(module_name):
  """A command module's console script name, e.g. ddsp_generative_sample."""
  return 'ddsp_generative_' + module_name.rsplit('.', 1)[-1]


def _one_line(text):
  return ' '.join(str(text).split())


def fail(command, message, exit_code):
  """Prints `<command>: error: <message>` on stderr and exits."""
  sys.stdout.flush()
  sys.stderr.write(f'{command}: error: {_one_line(message)}\n')
  sys.stderr.flush()
  sys.exit(exit_code)


def _own_flags(module):
  """The flags a command module defines, for --help.

  When run with `python -m`, absl files them under sys.argv[0]; imported by a
  console script, under the module's name.
  """
  found = []
  for key in (module.__name__, getattr(module, '__file__', None)):
    if key:
      found += FLAGS.get_flags_for_module(key)
  return found


def _show_help(module):
  """absl's short help, with the module's docstring and flags; exits 0."""
  main_module = sys.modules['__main__']
  if main_module is not module:
    main_module.__doc__ = module.__doc__
    for flag in _own_flags(module):
      FLAGS.register_key_flag_for_module(sys.argv[0], flag)
  app.usage(shorthelp=True, writeto_stdout=True)
  print('\nTry --helpfull to get a list of all flags.')
  sys.exit(0)


def required_hint(name):
  """'--name is required: pass --name=... (its help).'"""
  flag = FLAGS[name] if name in FLAGS else None
  what = _one_line(flag.help) if flag is not None and flag.help else 'a value'
  return f'--{name} is required: pass --{name}=... ({what.rstrip(".")}).'


def _parser(command, module):
  """An absl flags_parser turning flag errors into one line."""

  def parse(argv):
    args = list(argv)
    end = args.index('--') if '--' in args else len(args)
    if any(arg in _HELP_ARGS for arg in args[1:end]):
      _show_help(module)
    try:
      rest = FLAGS(args)
    except flags.Error as e:
      match = _REQUIRED.search(str(e))
      if match:
        fail(command, required_hint(match.group(1)), 2)
      fail(command, f'{e}; see {command} --help.', 2)
    if len(rest) > 1:
      fail(command, f'unexpected argument(s) {" ".join(rest[1:])!r}: '
           f'{command} takes flags only (see {command} --help).', 2)
    return rest

  return parse


def _user_message(e):
  """The message of an anticipated error (an OSError names its path)."""
  if isinstance(e, OSError) and not isinstance(e, errors.UserError):
    if e.filename is not None and e.strerror:
      return f'{e.strerror}: {e.filename}'
    return str(e) or type(e).__name__
  return str(e)


def _tf_file_error(e):
  """True for TensorFlow's file errors (a missing or unreadable path)."""
  tf = sys.modules.get('tensorflow')
  errors_module = getattr(tf, 'errors', None)
  if errors_module is None:
    return False
  return isinstance(e, (errors_module.NotFoundError,
                        errors_module.PermissionDeniedError))


def _guarded(main, command, checks):
  """main, with the checks first and every failure as one line."""

  def guarded_main(argv):
    verbose = FLAGS.verbosity >= 1
    if not verbose:
      quiet.plain_log_lines()
    try:
      if checks is not None:
        checks()
      if not verbose:
        quiet.filter_native_logs()
      return main(argv)
    except KeyboardInterrupt:
      fail(command, 'interrupted.', 130)
    except (errors.UserError, app.UsageError) as e:
      code = e.exit_code if isinstance(e, errors.UserError) else 2
      fail(command, _user_message(e), code)
    except OSError as e:
      fail(command, _user_message(e), 1)
    except Exception as e:  # pylint: disable=broad-except
      if _tf_file_error(e):
        fail(command, getattr(e, 'message', str(e)), 1)
      if verbose:
        traceback.print_exc()
        fail(command, f'unexpected {type(e).__name__} (see the traceback '
             'above).', 1)
      fail(command, f'unexpected {type(e).__name__}: {_one_line(e)[:300]} '
           '-- rerun with --verbosity=1 for the traceback.', 1)

  return guarded_main


def run(main, module_name, checks=None):
  """Runs a command's main the one way all commands run.

  Args:
    main: The command's `main(argv)`; argv holds the program name only.
    module_name: The command module's `__name__` (its flags and docstring are
      what --help shows).
    checks: Optional callable with no arguments run after the flags are
      parsed and before main: the checks that need no model or TensorFlow
      (paths exist, outputs would not be overwritten, value ranges). It raises
      `UserError`.
  """
  module = sys.modules[module_name]
  command = command_name(module.__spec__.name if module_name == '__main__'
                         and module.__spec__ else module_name)
  quiet.quiet_environment(sys.argv)
  try:
    app.run(_guarded(main, command, checks),
            flags_parser=_parser(command, module))
  except KeyboardInterrupt:
    fail(command, 'interrupted.', 130)


def require(condition, message):
  """Raises a usage error (exit 2) with message unless condition holds."""
  if not condition:
    raise errors.UsageError(message)
