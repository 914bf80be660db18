# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Strict checking of gin bindings that `ddsp_run` would silently skip.

`ddsp_run` parses --gin_file and --gin_param with `skip_unknown=True` (so that
operative configs of older versions still load): a binding of a misspelt
configurable, e.g. `VaeMfccRnnEncodr.beta = 0.1`, is dropped without a word
and the run trains with the default. `unknown_bindings` re-reads the user's
files and parameters, without changing the parsed config, and lists every
binding gin would reject; `data.checked_tfrecord_provider` raises on them
before training starts. (A misspelt parameter of a known configurable already
fails: gin rejects it, or, for Keras layers whose constructors take
**kwargs, Keras does when the layer is built.)
"""

import os

from absl import flags
import gin
from gin import config_parser

from ddsp_generative.core import errors


class GinConfigError(errors.UserError, ValueError):
  """A gin file or parameter binds something gin does not know."""


class _NoEvalDelegate(config_parser.ParserDelegate):
  """Parses values without resolving references (they fail loudly anyway)."""

  def configurable_reference(self, scoped_selector, evaluate):
    return (scoped_selector, evaluate)

  def macro(self, name):
    return name


def _find_file(filename):
  """Resolves a gin file as gin does (its search path, then the path)."""
  # pylint: disable=protected-access
  prefixes = (gin.config._LOCATION_PREFIXES
              if not os.path.isabs(filename) else [''])
  for prefix in prefixes:
    path = os.path.join(prefix, filename)
    if os.path.isfile(path):
      return path
  return None


def _check_text(text, where, problems, seen):
  parser = config_parser.ConfigParser(text, _NoEvalDelegate())
  for statement in parser:
    if isinstance(statement, config_parser.BindingStatement):
      if not statement.arg_name:  # A macro.
        continue
      try:
        gin.config.ParsedBindingKey.parse(
            (statement.scope, statement.selector, statement.arg_name))
      except ValueError as e:
        problems.append(f'{where}: {e}')
    elif isinstance(statement, config_parser.IncludeStatement):
      path = _find_file(statement.filename)
      if path is None:
        problems.append(f'{where}: cannot find included file '
                        f'{statement.filename!r}')
      elif path not in seen:
        seen.add(path)
        with open(path) as f:
          _check_text(f.read(), statement.filename, problems, seen)


def unknown_bindings(gin_files=(), gin_params=()):
  """Bindings gin would reject, as messages.

  Args:
    gin_files: Gin file names, resolved on gin's search path.
    gin_params: Binding strings, as given to --gin_param.

  Returns:
    List of 'where: problem' strings; empty when every binding is known.
  """
  problems, seen = [], set()
  for filename in gin_files:
    path = _find_file(filename)
    if path is None:
      problems.append(f'cannot find gin file {filename!r}')
      continue
    seen.add(path)
    with open(path) as f:
      _check_text(f.read(), filename, problems, seen)
  for param in gin_params:
    _check_text(param, f'--gin_param={param!r}', problems, seen)
  return problems


def ddsp_run_flags():
  """(gin_files, gin_params) given to the running `ddsp_run`, else None."""
  names = ('gin_file', 'gin_param')
  if not flags.FLAGS.is_parsed() or any(n not in flags.FLAGS for n in names):
    return None
  return list(flags.FLAGS.gin_file), list(flags.FLAGS.gin_param)


def check_ddsp_run_flags():
  """Raises GinConfigError when ddsp_run's --gin_file/--gin_param bind
  anything unknown; does nothing outside of a command line with those flags.
  """
  given = ddsp_run_flags()
  if given is None:
    return
  problems = unknown_bindings(*given)
  if problems:
    raise GinConfigError(
        'The gin configuration binds names gin does not know (ddsp_run would '
        'silently skip them):\n  ' + '\n  '.join(problems))
