# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Gin configs inside artefacts are data: refuse the statements that run code.

A model directory's `operative_config-*.gin` (written by `ddsp_run`) is an
artefact that people share, like a pickle. Gin can run code from it: `import
x` imports any module, `from __gin__ import dynamic_registration` lets a
binding call any Python function (`os.system` included) and `include 'f.gin'`
pulls in any file. `check_artifact_config` walks a config with gin's own
parser (`gin.config_parser.ConfigParser`, nothing evaluated, nothing bound)
and refuses, naming the file, the line and the statement:

* imports of anything but `ddsp`, `ddsp_generative` and their submodules (a
  `ddsp_run` operative config imports only those, e.g. `import ddsp.training
  as ddsp2`; importing them again runs nothing new);
* any `__gin__` import (dynamic registration);
* `include` statements;
* text gin cannot parse.

`parse_artifact_config` checks a config, then parses that same text into gin.
Configs the user passes (`--gin_file`, `--gin_param`) are code, as with
`ddsp_run`, and are not checked here.

`inside_directory` is the matching check for the files an artefact names (a
model's checkpoint, an envelope model's weights): they must stay inside the
artefact's directory.
"""

import os
import tokenize

import gin
from gin import config_parser

from ddsp_generative.core import errors

ALLOWED_PACKAGES = ('ddsp', 'ddsp_generative')
# What to do, appended to every refusal; a caller loading another kind of
# artefact passes its own.
MODEL_DIR_HINT = ('a model directory is data, and its config may only import '
                  'ddsp and ddsp_generative and bind their configurables; if '
                  'you trust this file, delete that line')
# Characters of a statement or a parse error quoted in a message.
_QUOTE_CHARS = 120


class ArtifactCodeError(errors.UserError, ValueError):
  """An artefact's gin config would run code, or cannot be parsed."""


class _InertDelegate(config_parser.ParserDelegate):
  """Parses references and macros into plain tuples: nothing is looked up."""

  def configurable_reference(self, scoped_configurable_name, evaluate):
    return ('@', scoped_configurable_name, evaluate)

  def macro(self, macro_name):
    return ('%', macro_name)


def inside_directory(path, directory):
  """Whether path, symlinks resolved (`os.path.realpath`), is in directory."""
  path, directory = os.path.realpath(path), os.path.realpath(directory)
  return os.path.commonpath([path, directory]) == directory


def allowed_module(name):
  """Whether an artefact's config may import module `name`."""
  return any(name == package or name.startswith(package + '.')
             for package in ALLOWED_PACKAGES)


def _quote(text):
  text = ' '.join(str(text or '').split())
  if len(text) > _QUOTE_CHARS:
    text = text[:_QUOTE_CHARS] + '...'
  return text


def _where(source, line_num):
  return f'{source}, line {line_num}' if line_num else str(source)


def _refuse(statement, source, reason, hint):
  return ArtifactCodeError(
      f'{_where(source, statement.location.line_num)}: '
      f'{_quote(statement.location.line_content)!r} refused: {reason}; '
      f'{hint}.')


def _unparseable(source, line_num, detail):
  return ArtifactCodeError(
      f'{_where(source, line_num)}: not a gin config ({_quote(detail)}): the '
      'file is corrupt or was edited; copy it again from where it was made.')


def _statements(text, source):
  """Every statement of the config, parsed by gin's parser, nothing bound."""
  parser = config_parser.ConfigParser(text, _InertDelegate())
  try:
    return list(parser)
  except SyntaxError as e:
    detail = str(e.msg)
    if e.text:
      detail += f' in {_quote(e.text)!r}'
    raise _unparseable(source, e.lineno, detail) from e
  except tokenize.TokenError as e:  # e.g. an unclosed bracket at the end.
    position = e.args[1] if len(e.args) > 1 else None
    raise _unparseable(source, position[0] if position else None,
                       e.args[0] if e.args else e) from e
  except (ValueError, RecursionError, MemoryError) as e:
    raise _unparseable(source, None, f'{type(e).__name__}: {e}') from e


def check_artifact_config(text, source, hint=MODEL_DIR_HINT):
  """Refuses a config that would import, include or register code.

  Args:
    text: The gin config's text.
    source: What to call it in messages (its path).
    hint: What to do, appended to every refusal.

  Returns:
    The config's statements (`config_parser.BindingStatement`,
    `ImportStatement`, `BlockDeclaration`), in order.

  Raises:
    ArtifactCodeError: One line naming the file, the line number, the
      statement and `hint`; or, for text gin cannot parse, the file and the
      parse error.
  """
  statements = _statements(text, source)
  for statement in statements:
    if isinstance(statement, config_parser.IncludeStatement):
      raise _refuse(statement, source, 'loading an artefact never reads '
                    f'other files ({_quote(statement.filename)})', hint)
    if isinstance(statement, config_parser.ImportStatement):
      if statement.module.split('.')[0] == '__gin__':
        raise _refuse(statement, source, 'dynamic registration lets a '
                      'config call any Python function', hint)
      if not allowed_module(statement.module):
        raise _refuse(statement, source, 'loading an artefact never '
                      f'imports modules ({statement.module})', hint)
  return statements


def read_config(path):
  """The text of a config file, as a one-line error when unreadable."""
  try:
    with open(path, 'rb') as f:
      data = f.read()
  except OSError as e:
    raise ArtifactCodeError(f'Cannot read {path}: {e.strerror or e}.') from e
  try:
    return data.decode('utf-8')
  except UnicodeDecodeError as e:
    raise _unparseable(path, None, f'not UTF-8 text at byte {e.start}') from e


def parse_artifact_config(path_or_text, source=None, skip_unknown=True,
                          hint=MODEL_DIR_HINT):
  """Checks an artefact's gin config, then parses that same text into gin.

  A file is read once: the text checked is the text parsed. The caller
  clears or unlocks the gin config as needed.

  Args:
    path_or_text: A config file's path; or, when `source` is given, the
      config's text.
    source: What to call the text in messages (e.g. the file it came from);
      None: `path_or_text` is a path.
    skip_unknown: Passed to `gin.parse_config`: bindings of configurables
      nobody registered are skipped (as `model_io` always did).
    hint: What to do, appended to every refusal.

  Returns:
    The config's text.

  Raises:
    ArtifactCodeError: The file cannot be read, or the config would run code
      or cannot be parsed (see `check_artifact_config`).
  """
  if source is None:
    source, text = path_or_text, read_config(path_or_text)
  else:
    text = path_or_text
  check_artifact_config(text, source, hint=hint)
  gin.parse_config(text, skip_unknown=skip_unknown)
  return text
