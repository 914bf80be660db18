# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The one runner of every command: `run(main)` wraps `absl.app.run`.

* `--help`, `-h`, `--helpshort`: the command's own docstring (its usage
  examples) and its own flags, exit 0, whether run as a console script or
  with `python -m`.
* Flag errors, missing required flags and stray arguments: one line,
  `<command>: error: <message>`, exit 2.
* `UserError` (`ddsp_generative.core.errors`), `app.UsageError` and `OSError`:
  one line, exit 1 (2 for usage errors); no traceback. An `OSError` names its
  file and the fix: a full disk (ENOSPC), a read-only or forbidden path
  (EROFS, EACCES, EPERM), a symlink loop (ELOOP), a directory where a file
  was expected or the reverse (EISDIR, ENOTDIR, EEXIST).
* gin's own errors, wherever they are raised (an unknown configurable or
  parameter in --gin_file/--gin_param, a syntax error, a missing gin file or
  binding): `<command>: error: gin: <message> (check --gin_file/--gin_param)`,
  exit 2.
* Any other exception: one line, `<Type> while <stage>: <message>` when it
  escaped an `errors.stage(...)` block, else `<Type> in <module.function>
  (<file>:<line>): <message>` naming the innermost ddsp_generative frame,
  and how to see the traceback (`--verbosity=1`, which shows it). Ctrl-C:
  one line, exit 130.
* Quiet by default (see `cli.quiet`).
"""

import errno
import logging as std_logging
import os
import re
import sys
import sysconfig
import tokenize
import traceback

from absl import app
from absl import flags

from ddsp_generative.cli import quiet
from ddsp_generative.core import errors

FLAGS = flags.FLAGS

_HELP_ARGS = ('--help', '-h', '--helpshort', '-?', '--help=true',
              '--helpshort=true')
_REQUIRED = re.compile(r'--(\w+) must have a value other than None')
# What gin appends to an exception raised inside a configurable it called.
_GIN_CALL_NOTE = re.compile(r"\s*In call to configurable '[^']*' \([^)]*\)")


def command_name(module_name):
  """A command module's console script name, e.g. ddsp_generative_sample."""
  return 'ddsp_generative_' + module_name.rsplit('.', 1)[-1]


def _one_line(text):
  return ' '.join(str(text).split())


def fail(command, message, exit_code):
  """Prints `<command>: error: <message>` on stderr and exits."""
  sys.stdout.flush()
  message = _GIN_CALL_NOTE.sub('', str(message))
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


def required_hint(name, flag_values=None):
  """'--name is required: pass --name=... (its help).'

  Args:
    name: The flag's name.
    flag_values: The FlagValues defining it; default absl's FLAGS.

  Returns:
    The message.
  """
  flag_values = FLAGS if flag_values is None else flag_values
  flag = flag_values[name] if name in flag_values else None
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


_RUNNER_FILE = os.path.abspath(__file__)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(_RUNNER_FILE))
_MESSAGE_CHARS = 300
_RERUN = '-- rerun with --verbosity=1 for the traceback.'
_GIN_HINT = '(check --gin_file/--gin_param)'


def _short(text):
  text = _one_line(text)
  if len(text) > _MESSAGE_CHARS:
    text = text[:_MESSAGE_CHARS] + '...'
  return text


def _os_error_message(e):
  """One line naming an OSError's file (else its stage) and the fix."""
  name, stage, code = e.filename, errors.stage_of(e), e.errno
  if name is not None and e.filename2 is not None:
    name = f'{name} -> {e.filename2}'
  during = f' while {stage}' if stage and name is None else ''
  if code in (errno.ENOSPC, getattr(errno, 'EDQUOT', errno.ENOSPC)):
    full = 'disk full' if code == errno.ENOSPC else 'disk quota exceeded'
    writing = f' writing {name}' if name is not None else during
    return f'{full}{writing}: free space or choose another output.'
  if code == errno.EROFS:
    problem = (f'cannot write {name}: read-only file system' if name is not None
               else f'read-only file system{during}')
    return f'{problem}; choose another output.'
  if code in (errno.EACCES, errno.EPERM):
    denied = ('permission denied' if code == errno.EACCES
              else 'operation not permitted')
    if name is None:
      return f'{denied}{during}; fix the permissions or choose another path.'
    reading = (stage or '').startswith('reading') or (
        os.path.exists(str(e.filename))
        and not os.access(str(e.filename), os.R_OK))
    if reading:
      return (f'cannot read {name}: {denied}; fix its permissions or choose '
              'another input.')
    return (f'cannot write {name}: {denied}; fix the permissions or choose '
            'another output.')
  fixes = {
      errno.ELOOP: ': too many levels of symbolic links (a symlink loop); '
                   'fix or remove the link.',
      errno.EISDIR: ' is a directory, where a file was expected; give a file '
                    'path.',
      errno.ENOTDIR: ': not a directory (it, or a folder on its path, is a '
                     'file); fix the path.',
      errno.EEXIST: ' exists and is not what was expected (a file, or a '
                    'broken or looping symbolic link, where a directory '
                    'goes?); remove it or choose another path.',
  }
  if code in fixes and name is not None:
    return f'{name}{fixes[code]}'
  if e.strerror and (name is not None or during):
    return f'{e.strerror}: {name}' if name is not None else (
        f'{e.strerror}{during}')
  return str(e) or type(e).__name__


def _user_message(e):
  """The message of an anticipated error (an OSError names its path)."""
  if isinstance(e, OSError) and not isinstance(e, errors.UserError):
    return _os_error_message(e)
  return str(e)


def _frames(e):
  return traceback.extract_tb(e.__traceback__) if e.__traceback__ else []


def _in_dir(path, directory):
  return os.path.abspath(path).startswith(directory + os.sep)


class GinError(errors.UsageError):
  """gin rejected --gin_file/--gin_param (its message starts with 'gin:')."""


def is_gin_error(e):
  """True when gin itself raised e (a config error), not code gin called."""
  gin = sys.modules.get('gin')
  if gin is None or not getattr(gin, '__file__', None):
    return False
  gin_dir = os.path.dirname(os.path.abspath(gin.__file__))
  stdlib = os.path.abspath(sysconfig.get_paths()['stdlib'])
  for frame in reversed(_frames(e)):
    filename = frame.filename
    if _in_dir(filename, gin_dir):
      return True
    # gin's tokenizer and importer: Python's own frames below gin's.
    if filename.startswith('<') or (
        _in_dir(filename, stdlib) and 'site-packages' not in filename
        and 'dist-packages' not in filename):
      continue
    return False
  return False


def gin_message(e):
  """'gin: <message> (check --gin_file/--gin_param)', on one line."""
  if isinstance(e, tokenize.TokenError):  # gin tokenizes with Python's.
    text = (f'cannot parse the bindings: {e.args[0]} (an unclosed bracket '
            'or quote?)')
  else:
    text = _short(str(e))
  return f'gin: {text} {_GIN_HINT}'


def innermost_frame(e):
  """'module.function (file:line)' of e's innermost ddsp_generative frame.

  Args:
    e: An exception with its traceback.

  Returns:
    The description, or None when no frame of this package raised it.
  """
  root = os.path.dirname(_PACKAGE_DIR)
  for frame in reversed(_frames(e)):
    if (_in_dir(frame.filename, _PACKAGE_DIR)
        and os.path.abspath(frame.filename) != _RUNNER_FILE):
      module = os.path.splitext(os.path.relpath(frame.filename, root))[0]
      module = module.replace(os.sep, '.')
      if module.endswith('.__init__'):
        module = module[:-len('.__init__')]
      return (f'{module}.{frame.name} '
              f'({os.path.basename(frame.filename)}:{frame.lineno})')
  return None


def unexpected_message(e, verbose=False):
  """The one line of an unanticipated exception (see the module docstring).

  Args:
    e: The exception.
    verbose: The traceback was printed (--verbosity=1): point at it.

  Returns:
    '<Type> while <stage>: <message> -- rerun ...' (or 'in <frame>').
  """
  stage = errors.stage_of(e)
  if stage:
    where = f'while {stage}'
  else:
    frame = innermost_frame(e)
    where = f'in {frame}' if frame else ''
  head = f'{type(e).__name__} {where}'.rstrip()
  if verbose:
    return f'{head} (see the traceback above).'
  message = _short(getattr(e, 'message', None) or str(e))
  return f'{head}: {message} {_RERUN}' if message else f'{head} {_RERUN}'


class _DropGinFileLookups(std_logging.Filter):
  """Drops gin's file lookup logs ('system_path_file_exists:...', 'Path not
  found: ...'): internals, and a missing gin file is the error line."""

  def filter(self, record):
    return not str(record.pathname).endswith(
        os.path.join('gin', 'resource_reader.py'))


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
      root_logger = std_logging.getLogger()
      if not any(isinstance(f, _DropGinFileLookups)
                 for f in root_logger.filters):
        root_logger.addFilter(_DropGinFileLookups())
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
    except Exception as e:  # pylint: disable=broad-except
      if is_gin_error(e):
        if verbose:
          traceback.print_exc()
        fail(command, gin_message(e), 2)
      if isinstance(e, OSError):
        fail(command, _user_message(e), 1)
      if _tf_file_error(e):
        fail(command, getattr(e, 'message', str(e)), 1)
      if verbose:
        traceback.print_exc()
      fail(command, unexpected_message(e, verbose), 1)

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
