# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for ddsp_generative_prior_figures on a real (small) z dataset."""

import json
import os

import conftest
from ddsp_generative.priors import fitting
from ddsp_generative.evaluation import prior_figures as prior_figures_lib
import gin
import numpy as np
import pytest
import synthetic_z

METADATA = {
    'frame_rate': 250,
    'model_dir': '/models/ae',
    'model_step': 55,
    'model_fingerprint': 'fp-55',
    'source_tfrecord_pattern': '/data/train.tfrecord*',
}
SMALL = ('GaussianMixturePrior.candidate_n_components = [1, 2, 3]',
         'HiddenMarkovPrior.candidate_n_components = [1, 2, 3]',
         'ConditionalMixturePrior.candidate_n_components = [2, 3]')


pytestmark = pytest.mark.usefixtures('clear_gin')


@pytest.fixture(scope='module')
def z_pattern(tmp_path_factory):
  examples = synthetic_z.conditional_examples(n_examples=10, n_frames=120,
                                              seed=0)
  return conftest.write_z_pattern(tmp_path_factory.mktemp('z'), examples,
                                  METADATA)


def test_command_line_writes_the_figures_and_numbers(z_pattern, tmp_path):
  gin.parse_config(['GaussianMixturePrior.n_components = 3'])
  saved = str(tmp_path / 'saved_gmm.json')
  fitting.fit_prior(z_pattern, saved, prior_name='gmm', seed=0,
                          holdout_fraction=0.2)
  save_dir = str(tmp_path / 'figures')
  result = conftest.run_cli(
      'ddsp_generative.prior_figures', f'--z_dataset={z_pattern}',
      f'--save_dir={save_dir}', f'--priors={saved}',
      '--fit=standard_normal,gmm,hmm,conditional',
      *[f'--gin_param={p}' for p in SMALL], '--holdout_fraction=0.2',
      '--candidate_n_components=1,2,3,4', '--n_points=120',
      '--tsne_iterations=250', '--seed=0')
  assert 'other held-out examples' not in result.stderr
  for name in prior_figures_lib.FIGURES:
    path = os.path.join(save_dir, name)
    assert path in result.stdout
    with open(path, 'rb') as f:
      assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  with open(os.path.join(save_dir, 'prior_figures.json')) as f:
    record = json.load(f)
  assert (record['kind'], record['format_version']) == ('prior_figures', 1)
  rows = {r['name']: r for r in record['heldout_nll']}
  assert list(rows) == ['saved_gmm', 'standard_normal', 'gmm', 'hmm',
                        'conditional']
  assert all(np.isfinite(r['nll_per_frame']) for r in rows.values())
  assert record['n_heldout_frames'] == 2 * 120
  # The saved GMM was fitted on the same training examples, the same way.
  assert rows['saved_gmm']['nll_per_frame'] == pytest.approx(
      rows['gmm']['nll_per_frame'], abs=1e-6)
  # Temporal and conditional priors predict examples far better than frames.
  assert rows['hmm']['sequence_nll_per_frame'] < (
      rows['gmm']['nll_per_frame'] - 1.0)
  assert rows['conditional']['sequence_nll_per_frame'] < (
      rows['gmm']['nll_per_frame'] - 1.0)
  assert rows['standard_normal']['nll_per_frame'] > rows['gmm'][
      'nll_per_frame']
  curve = record['n_components_curve']
  assert [c['n_components'] for c in curve] == [1, 2, 3, 4]
  assert curve[2]['bic'] < curve[0]['bic']
  assert curve[2]['train_log_likelihood'] > curve[0]['train_log_likelihood']
  assert all(np.isfinite(c['heldout_log_likelihood']) for c in curve)
  assert record['n_map_points'] == 120
  assert len(record['maps']['pca']['explained_variance_ratio']) == 2

  with pytest.raises(FileExistsError, match='--overwrite'):
    prior_figures_lib.make_prior_figures(z_pattern, save_dir, [saved])
