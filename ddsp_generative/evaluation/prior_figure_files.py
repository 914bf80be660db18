# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The prior figures' files and defaults, known without TensorFlow.

`evaluation.prior_figures` writes them; `ddsp_generative_prior_figures`
checks them (an existing set without --overwrite) before TensorFlow loads.
"""

import os

from ddsp_generative.evaluation import report_files

FIGURES = ('heldout_nll.png', 'n_components.png', 'z_pca.png', 'z_tsne.png')
JSON_NAME = 'prior_figures.json'
DEFAULT_CANDIDATES = (1, 2, 4, 8, 12, 16)


def output_paths(save_dir):
  """{name: path} of the figures and the JSON written to save_dir."""
  return {name: os.path.join(save_dir, name) for name in FIGURES + (
      JSON_NAME,)}


def describe(save_dir):
  """How errors name the figures in save_dir."""
  return f'The prior figures {output_paths(save_dir)[JSON_NAME]}'


def check_not_written(save_dir, overwrite):
  """Refuses to replace the figures in save_dir without overwrite.

  Args:
    save_dir: The figures' folder.
    overwrite: Whether --overwrite was given.

  Raises:
    report_files.ReportExistsError: One of the files exists (a
      FileExistsError).
  """
  paths = output_paths(save_dir)
  report_files.check_not_written(paths.values(), paths[JSON_NAME], overwrite)
