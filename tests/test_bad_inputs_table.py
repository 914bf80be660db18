# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""tests/BAD_INPUTS.md names only tests that exist."""

import ast
import os
import re

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
_REFERENCE = re.compile(r'`(tests/test_\w+\.py)(?:::(\w+))?`')


def _test_names(path):
  with open(path) as f:
    tree = ast.parse(f.read())
  return {node.name for node in tree.body
          if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_every_named_test_exists():
  with open(os.path.join(_HERE, 'BAD_INPUTS.md')) as f:
    table = f.read()
  references = _REFERENCE.findall(table)
  assert len(references) > 40
  missing = []
  for path, name in references:
    full = os.path.join(_ROOT, path)
    if not os.path.exists(full):
      missing.append(path)
    elif name and name not in _test_names(full):
      missing.append(f'{path}::{name}')
  assert not missing, missing
