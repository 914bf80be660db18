# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Where the generation and reconstruction reports go, known cheaply.

Their file names, how errors name them, their locks and the refusal of an
existing report without --overwrite, importing nothing heavy: the commands
check their outputs before TensorFlow or a model loads
(`generation_report` and `reconstruction` write the files named here).
"""

import os

from ddsp_generative.evaluation import report_files

GENERATION_FILES = {'json': 'generation.json', 'table': 'generation.md',
                    'figure': 'generation.png',
                    'ltas': 'generation_ltas.png'}


# ----------------------------------------------------------- generation ----
def generation_paths(save_dir):
  """{'json', 'table', 'figure', 'ltas'} paths of a report in save_dir."""
  return {key: os.path.join(save_dir, name)
          for key, name in GENERATION_FILES.items()}


def describe_generation(save_dir):
  """How errors name the generation report in save_dir."""
  return f'The generation report {generation_paths(save_dir)["json"]}'


def check_generation_not_written(save_dir, overwrite):
  """Raises report_files.ReportExistsError if save_dir holds a report."""
  out = generation_paths(save_dir)
  report_files.check_not_written(out.values(), out['json'], overwrite,
                                 choose='--save_dir')


def lock_generation(save_dir):
  """Holds the report's lock in save_dir (a whole evaluation run)."""
  return report_files.lock(generation_paths(save_dir)['json'],
                           describe_generation(save_dir))


# ------------------------------------------------------- reconstruction ----
def default_figure_path(path):
  """The figure beside the JSON report `path`: its name with '.png'."""
  return os.path.splitext(path)[0] + '.png'


def ltas_figure_path(figure_path):
  """The LTAS figure beside the spectrogram figure: '<name>_ltas.png'."""
  return os.path.splitext(figure_path)[0] + '_ltas.png'


def reconstruction_paths(path, figure_path=None):
  """Every file a reconstruction report writes: [JSON, figure, LTAS]."""
  figure_path = figure_path or default_figure_path(path)
  return [path, figure_path, ltas_figure_path(figure_path)]


def describe_reconstruction(path):
  """How errors name the reconstruction report whose JSON is `path`."""
  return f'The reconstruction report {path}'


def check_reconstruction_not_written(path, figure_path, overwrite):
  """Raises report_files.ReportExistsError if the report's files exist.

  Args:
    path: The report's JSON (--output).
    figure_path: Its figure (--figure), or None for the default.
    overwrite: Whether --overwrite was given.
  """
  report_files.check_not_written(reconstruction_paths(path, figure_path),
                                 path, overwrite, choose='--output')


def lock_reconstruction(path):
  """Holds the lock of the report whose JSON is `path` (a whole run)."""
  return report_files.lock(path, describe_reconstruction(path))
