# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The package's layers import one way, upwards only (parsed with `ast`).

  bootstrap (root __init__, environment, version, gin_path)
  core < training = priors = envelopes = expression < controls < sampling
       < data_preparation = evaluation < recipes < cli < commands

A module may import its own subpackage, bootstrap and lower layers; never a
higher layer, nor another subpackage of its own layer. Library code (every
subpackage but cli) never imports absl.flags, cli or a command module. The
package root holds only bootstrap and command modules.
"""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'ddsp_generative'
PACKAGE_DIR = os.path.join(ROOT, PACKAGE)
BOOTSTRAP = ('__init__', 'environment', 'version', 'gin_path')
BOOTSTRAP_LAYER = -1
COMMAND_LAYER = 7
LAYERS = {
    'core': 0,
    'training': 1, 'priors': 1, 'envelopes': 1, 'expression': 1,
    'controls': 2,
    'sampling': 3,
    'data_preparation': 4, 'evaluation': 4,
    'recipes': 5,
    'cli': 6,
}
# Imports across subpackages of one layer that are allowed, with why. Empty:
# none exists today; add one only with its reason, and say so in review.
SAME_LAYER_EXCEPTIONS = {}
# Library modules allowed to read absl flags, with why.
ABSL_FLAGS_EXCEPTIONS = {
    'ddsp_generative.training.gin_checks':
        "reads ddsp_run's own --gin_file/--gin_param inside ddsp_run's "
        'process (gin calls training.data.checked_tfrecord_provider while '
        'ddsp_run trains): no command of this package runs there to pass '
        'them in',
}


def _module_name(path):
  rel = os.path.relpath(path, ROOT)[:-len('.py')].split(os.sep)
  if rel[-1] == '__init__':
    rel = rel[:-1]
  return '.'.join(rel)


def _package_modules():
  """{module name: path} of every .py file of the package."""
  modules = {}
  for directory, _, names in os.walk(PACKAGE_DIR):
    for name in names:
      if name.endswith('.py'):
        path = os.path.join(directory, name)
        modules[_module_name(path)] = path
  return modules


MODULES = _package_modules()


def _console_script_modules():
  with open(os.path.join(ROOT, 'setup.py')) as f:
    text = f.read()
  return set(re.findall(PACKAGE + r'\.(\w+):\w+', text))


def _is_command(name, tree):
  """A root module with a console entry point, a console script or a main."""
  short = name.split('.')[-1]
  if short in _console_script_modules():
    return True
  for node in tree.body:
    if isinstance(node, ast.FunctionDef) and node.name == 'console_entry_point':
      return True
    if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and
        isinstance(node.test.left, ast.Name) and
        node.test.left.id == '__name__'):
      return True
  return False


def _parse(path):
  with open(path) as f:
    return ast.parse(f.read(), filename=path)


def _root_modules():
  """Modules that are files directly in the package folder."""
  return {n: p for n, p in MODULES.items()
          if os.path.dirname(p) == PACKAGE_DIR}


def _commands():
  return {n for n, p in _root_modules().items()
          if n.split('.')[-1] not in BOOTSTRAP and n != PACKAGE and
          _is_command(n, _parse(p))}


COMMANDS = _commands()


def layer_of(name):
  """Layer of a module of the package (a name under PACKAGE)."""
  parts = name.split('.')
  if len(parts) == 1 or (len(parts) == 2 and parts[1] in BOOTSTRAP):
    return BOOTSTRAP_LAYER
  if parts[1] in LAYERS:
    return LAYERS[parts[1]]
  if name in COMMANDS:
    return COMMAND_LAYER
  raise AssertionError(f'{name} is in no layer.')


def _resolve(module, node):
  """Package modules a From/Import node imports (names resolved to modules)."""
  found = []
  if isinstance(node, ast.Import):
    names = [a.name for a in node.names]
  else:
    base = node.module or ''
    if node.level:  # Relative import.
      package = module.split('.')
      if not MODULES.get(module, '').endswith('__init__.py'):
        package = package[:-1]
      package = package[:len(package) - node.level + 1]
      base = '.'.join(package + ([base] if base else []))
    names = []
    for alias in node.names:
      full = f'{base}.{alias.name}'
      in_package = base == PACKAGE or base.startswith(PACKAGE + '.')
      names.append(base if in_package and full not in MODULES else full)
  for name in names:
    if name == PACKAGE or name.startswith(PACKAGE + '.'):
      # `import a.b.c` may name a module or an attribute of one.
      while name not in MODULES and '.' in name:
        name = name.rsplit('.', 1)[0]
    found.append(name)
  return found


def imports_of(module, tree):
  """(line, imported name) of every import, top-level or inside functions."""
  result = []
  for node in ast.walk(tree):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
      for name in _resolve(module, node):
        result.append((node.lineno, name))
  return result


def layering_problems(module, tree):
  """Why a module's imports break the layering (empty when they do not)."""
  problems = []
  layer = layer_of(module)
  parts = module.split('.')
  subpackage = parts[1] if len(parts) > 1 else None
  library = subpackage in LAYERS and subpackage != 'cli'
  for line, name in imports_of(module, tree):
    where = f'{os.path.relpath(MODULES[module], ROOT)}:{line}'
    if (library and module not in ABSL_FLAGS_EXCEPTIONS and
        (name == 'absl.flags' or name.startswith('absl.flags.'))):
      problems.append(f'{where}: library module imports absl.flags')
    if not name.startswith(PACKAGE + '.'):
      continue
    target = name.split('.')
    if library and target[1] == 'cli':
      problems.append(f'{where}: library module imports {name}')
    if library and name in COMMANDS:
      problems.append(f'{where}: library module imports command {name}')
    target_layer = layer_of(name)
    if target_layer > layer:
      problems.append(f'{where}: {module} (layer {layer}) imports {name} '
                      f'(layer {target_layer}, higher)')
    elif (target_layer == layer and layer not in (BOOTSTRAP_LAYER,
                                                  COMMAND_LAYER) and
          target[1] != subpackage and
          (subpackage, target[1]) not in SAME_LAYER_EXCEPTIONS):
      problems.append(f'{where}: {module} imports {name}, another '
                      f'subpackage of its layer ({layer})')
  return problems


def test_package_root_holds_only_bootstrap_and_commands():
  stray = sorted(n for n in _root_modules()
                 if n != PACKAGE and n.split('.')[-1] not in BOOTSTRAP and
                 n not in COMMANDS)
  assert not stray, f'Neither bootstrap nor a command: {stray}'
  # The commands the project documents are found as commands.
  for name in ('sample', 'fit_prior', 'prepare_tfrecord', 'demo',
               'make_default_model'):
    assert f'{PACKAGE}.{name}' in COMMANDS


def test_every_subpackage_has_a_layer():
  subpackages = {n.split('.')[1] for n in MODULES if n.count('.') >= 2}
  assert subpackages <= set(LAYERS), sorted(subpackages - set(LAYERS))


@pytest.mark.parametrize('module', sorted(MODULES))
def test_imports_go_one_way(module):
  assert layering_problems(module, _parse(MODULES[module])) == []


# The checker itself: a deliberately bad module of each kind must fail.
@pytest.mark.parametrize('module, source, expected', [
    ('ddsp_generative.core.units', 'from ddsp_generative import controls',
     'higher'),
    ('ddsp_generative.core.units',
     'def f():\n  from ddsp_generative.sampling import sampler', 'higher'),
    ('ddsp_generative.priors.gmm', 'from absl import flags', 'absl.flags'),
    ('ddsp_generative.priors.gmm', 'import absl.flags', 'absl.flags'),
    ('ddsp_generative.evaluation.metrics', 'from ddsp_generative import cli',
     'imports ddsp_generative.cli'),
    ('ddsp_generative.evaluation.metrics',
     'from ddsp_generative import sample', 'command'),
    ('ddsp_generative.evaluation.metrics',
     'from ddsp_generative.data_preparation import beam_runner',
     'another subpackage'),
    ('ddsp_generative.priors.gmm', 'from ..envelopes import model',
     'another subpackage'),
])
def test_checker_catches_bad_imports(module, source, expected):
  problems = layering_problems(module, ast.parse(source))
  assert any(expected in p for p in problems), problems


def test_checker_allows_good_imports():
  good = ('from ddsp_generative.core import units\n'
          'from ddsp_generative import environment\n'
          'from ddsp_generative.controls import sources\n'
          'from . import normalize\n'
          'import numpy as np\n')
  assert layering_problems('ddsp_generative.envelopes.model',
                           ast.parse(good.replace(
                               'from ddsp_generative.controls import sources\n',
                               ''))) == []
  assert layering_problems('ddsp_generative.sampling.sampler',
                           ast.parse(good)) == []
