# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Figures about priors over z: the library behind ddsp_generative_prior_figures.

From a z dataset (and saved or freshly fitted priors) it writes, headless and
as one set (`report_files.report_set`: staged while they are computed, then
published with the JSON last; a second run writing the same folder is
refused while one runs):

* `heldout_nll.png`: held-out negative log likelihood per frame of each prior,
  of frames on their own and of whole examples as the prior samples them
  (given their past for temporal priors, given f0/loudness for conditional
  ones);
* `n_components.png`: BIC and held-out log likelihood per frame of Gaussian
  mixtures against their number of components;
* `z_pca.png`, `z_tsne.png`: 2-d PCA and t-SNE maps of z frames coloured by
  mixture component, pitch (MIDI) and loudness (dB);
* `prior_figures.json` (kind='prior_figures', format_version=1): the numbers
  behind them.

Held-out examples are chosen as `ddsp_generative_fit_prior` chooses them
(`fitting.split_holdout_sequences` with the same seed and fraction), so
saved priors fitted with the same --seed and --holdout_fraction are scored on
examples they never saw; a warning says when they were fitted on another
split.
"""

import os

import matplotlib

matplotlib.use('Agg')

# pylint: disable=g-import-not-at-top,g-bad-import-order
from absl import logging
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import plotting
from ddsp_generative.evaluation import prior_figure_files
from ddsp_generative.evaluation import report_files
from ddsp_generative.priors import fitting
from ddsp_generative import priors
from ddsp_generative.core import z_dataset
import gin
import matplotlib.pyplot as plt
from matplotlib import ticker
import numpy as np
from sklearn import decomposition
from sklearn import manifold
from sklearn import mixture
# pylint: enable=g-import-not-at-top,g-bad-import-order

KIND = 'prior_figures'
FORMAT_VERSION = 1
FIGURES = prior_figure_files.FIGURES
JSON_NAME = prior_figure_files.JSON_NAME
DEFAULT_CANDIDATES = prior_figure_files.DEFAULT_CANDIDATES
output_paths = prior_figure_files.output_paths
describe = prior_figure_files.describe
DEFAULT_FIT_TYPES = ('standard_normal', 'gmm', 'hmm', 'conditional')


def score_priors(named_priors, heldout):
  """Held-out NLL per frame of each prior.

  Args:
    named_priors: List of (name, Prior).
    heldout: List of example dicts ('z', 'f0_hz', 'loudness_db').

  Returns:
    List of dicts: 'name', 'type', 'n_components', 'nll_per_frame' (frames
    on their own), 'sequence_nll_per_frame' (whole examples as sampled).
  """
  frames = np.concatenate([s['z'] for s in heldout])
  rows = []
  for name, prior in named_priors:
    rows.append({
        'name': name, 'type': prior.TYPE,
        'n_components': prior.fit_info.get('n_components'),
        'nll_per_frame': prior.nll_per_frame(frames),
        'sequence_nll_per_frame': prior.sequence_nll_per_frame(heldout),
    })
    logging.info('Held-out NLL per frame of %s: %s', name, rows[-1])
  return rows


def component_curve(train, heldout, candidates, covariance_type='full',
                    seed=0):
  """BIC and log likelihoods of Gaussian mixtures per number of components.

  Args:
    train: [N, z_dims] frames the mixtures are fitted on.
    heldout: [M, z_dims] held-out frames.
    candidates: Numbers of components.
    covariance_type: scikit-learn covariance type.
    seed: EM initialization seed.

  Returns:
    (curve, best): curve a list of dicts 'n_components', 'bic',
    'train_log_likelihood', 'heldout_log_likelihood' (per frame); best the
    fitted mixture with the lowest BIC.
  """
  curve, best, best_bic = [], None, np.inf
  for k in sorted({int(k) for k in candidates if int(k) <= len(train)}):
    gmm = mixture.GaussianMixture(k, covariance_type=covariance_type,
                                  random_state=seed).fit(train)
    entry = {'n_components': k, 'bic': float(gmm.bic(train)),
             'train_log_likelihood': float(gmm.score(train)),
             'heldout_log_likelihood': float(gmm.score(heldout))}
    curve.append(entry)
    if entry['bic'] < best_bic:
      best, best_bic = gmm, entry['bic']
  return curve, best


def embed(z, method, seed=0, tsne_iterations=1000):
  """2-d map of z frames.

  Args:
    z: [n, z_dims].
    method: 'pca' or 'tsne'.
    seed: Seed of t-SNE.
    tsne_iterations: Gradient steps of t-SNE (>= 250).

  Returns:
    ([n, 2] coordinates, info dict).
  """
  if method == 'pca':
    pca = decomposition.PCA(n_components=2, random_state=seed).fit(z)
    return pca.transform(z), {
        'explained_variance_ratio': pca.explained_variance_ratio_.tolist()}
  perplexity = float(min(30.0, max(2.0, (len(z) - 1) / 3.0)))
  tsne = manifold.TSNE(n_components=2, perplexity=perplexity, init='pca',
                       max_iter=max(250, int(tsne_iterations)),
                       random_state=seed)
  xy = tsne.fit_transform(z)
  return xy, {'perplexity': perplexity, 'kl_divergence': float(
      tsne.kl_divergence_)}


def plot_nll(path, rows):
  """Bar chart of held-out NLL per frame, two bars per prior."""
  names = [r['name'] for r in rows]
  x = np.arange(len(rows))
  fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(rows) + 2), 3.8))
  for offset, key, label in (
      (-0.2, 'nll_per_frame', 'frames on their own'),
      (0.2, 'sequence_nll_per_frame',
       'whole examples as sampled (given past, controls)')):
    bars = ax.bar(x + offset, [r[key] for r in rows], 0.4, label=label)
    ax.bar_label(bars, fmt='%.2f', fontsize=7)
  ax.set_xticks(x, names, rotation=15)
  ax.set_ylabel('held-out NLL (nats / frame)')
  ax.axhline(0.0, color='k', lw=0.5)
  ax.set_title('Held-out negative log likelihood per frame (lower is better)',
               fontsize=9)
  ax.legend(fontsize=7)
  fig.tight_layout()
  plotting.save_png(fig, path)


def plot_curve(path, curve, n_train, n_heldout):
  """BIC and held-out log likelihood against the number of components."""
  k = [c['n_components'] for c in curve]
  fig, (ax_bic, ax_ll) = plt.subplots(1, 2, figsize=(9, 3.5))
  ax_bic.plot(k, [c['bic'] for c in curve], 'o-')
  best = min(curve, key=lambda c: c['bic'])
  ax_bic.axvline(best['n_components'], color='gray', ls='--', lw=0.8)
  ax_bic.set_xlabel('components')
  ax_bic.set_ylabel(f'BIC ({n_train} training frames)')
  ax_ll.plot(k, [c['train_log_likelihood'] for c in curve], 'o-',
             label='training')
  ax_ll.plot(k, [c['heldout_log_likelihood'] for c in curve], 's-',
             label=f'held out ({n_heldout} frames)')
  ax_ll.set_xlabel('components')
  ax_ll.set_ylabel('log likelihood (nats / frame)')
  ax_ll.legend(fontsize=7)
  for ax in (ax_bic, ax_ll):
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
  fig.suptitle('Gaussian mixtures over z', fontsize=9)
  fig.tight_layout()
  plotting.save_png(fig, path)


def plot_embedding(path, xy, component, midi, loudness_db, title):
  """Three scatter panels of a 2-d map: component, pitch, loudness."""
  fig, axes = plt.subplots(1, 3, figsize=(13, 4))
  n_components = int(np.max(component)) + 1
  categorical = plt.get_cmap('tab10' if n_components <= 10 else 'tab20',
                             n_components)
  panels = ((component, 'component', categorical,
             (-0.5, n_components - 0.5)),
            (midi, 'pitch (MIDI)', 'viridis', (None, None)),
            (loudness_db, 'loudness (dB)', 'magma', (None, None)))
  for ax, (values, label, cmap, (vmin, vmax)) in zip(axes, panels):
    points = ax.scatter(xy[:, 0], xy[:, 1], c=values, s=4, cmap=cmap,
                        vmin=vmin, vmax=vmax, linewidths=0)
    bar = fig.colorbar(points, ax=ax, label=label)
    if label == 'component':
      bar.set_ticks(range(n_components))
    ax.set_title(f'coloured by {label}', fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  plotting.save_png(fig, path)


def _load_priors(prior_paths, z_dims, heldout_examples):
  named = []
  for path in prior_paths:
    with errors.stage(f'reading the prior {path}'):
      prior = priors.load_prior(path)
      priors.check_compatible(prior, z_dims)
    recorded = prior.fit_info.get('heldout_examples')
    if recorded is not None and list(recorded) != list(heldout_examples):
      logging.warning(
          '%s was fitted with other held-out examples (%s) than these (%s): '
          'its held-out NLL may be optimistic; use the same --seed and '
          '--holdout_fraction as ddsp_generative_fit_prior.', path,
          recorded, heldout_examples)
    named.append((os.path.splitext(os.path.basename(path))[0], prior))
  return named


def make_prior_figures(z_dataset_pattern, save_dir, prior_paths=(),
                       fit_types=None, seed=0, holdout_fraction=0.1,
                       candidate_n_components=DEFAULT_CANDIDATES,
                       max_frames=50_000, n_points=2000, tsne_iterations=1000,
                       overwrite=False):
  """Writes the figures and their JSON.

  Args:
    z_dataset_pattern: TFRecord pattern or prefix of a z dataset.
    save_dir: Output folder.
    prior_paths: Saved priors (JSON) to score.
    fit_types: Prior types to fit on the training examples (configured by
      gin) and score; None: all of DEFAULT_FIT_TYPES when no prior_paths are
      given, else none.
    seed: Seed of the split, subsampling, fits and t-SNE.
    holdout_fraction: Fraction of examples held out (at least one).
    candidate_n_components: Component counts of the curve.
    max_frames: Cap on the frames used to fit (whole examples for temporal
      and conditional priors) and to score.
    n_points: Frames drawn for the PCA and t-SNE maps.
    tsne_iterations: Gradient steps of t-SNE (>= 250).
    overwrite: Replace existing outputs.

  Returns:
    The JSON record written.

  Raises:
    report_files.ReportExistsError: The figures exist (a FileExistsError).
    publish.OutputBusyError: Another run writes the same figures.
  """
  paths = output_paths(save_dir)
  prior_figure_files.check_not_written(save_dir, overwrite)
  with errors.stage(f'reading the z dataset {z_dataset_pattern}'):
    sequences, metadata = z_dataset.read_z_dataset(z_dataset_pattern)
  with report_files.lock(paths[JSON_NAME], describe(save_dir)):
    prior_figure_files.check_not_written(save_dir, overwrite)
    with report_files.report_set(paths[JSON_NAME], describe(save_dir),
                                 replaces=list(paths.values())) as staging:
      return _figures(sequences, metadata, output_paths(staging),
                      z_dataset_pattern, prior_paths, fit_types, seed,
                      holdout_fraction, candidate_n_components, max_frames,
                      n_points, tsne_iterations)


def _figures(sequences, metadata, paths, z_dataset_pattern, prior_paths,
             fit_types, seed, holdout_fraction, candidate_n_components,
             max_frames, n_points, tsne_iterations):
  """make_prior_figures' work: writes the files into `paths` (staged)."""
  if fit_types is None:
    fit_types = () if prior_paths else DEFAULT_FIT_TYPES
  rng = np.random.default_rng(seed)
  train, heldout, split, heldout_examples = (
      fitting.split_holdout_sequences(
          sequences, max(holdout_fraction, 1e-9), rng))
  heldout = fitting.subsample_sequences(heldout, max_frames, rng)
  train = fitting.subsample_sequences(train, max_frames, rng)
  train_frames = np.concatenate([s['z'] for s in train])
  heldout_frames = np.concatenate([s['z'] for s in heldout])

  named = _load_priors(prior_paths, metadata['z_dims'], heldout_examples)
  for name in fit_types:
    with errors.stage(f'fitting the {name} prior'):
      prior = gin.get_configurable(priors.get_prior_class(name))()
      data = train if fitting.uses_sequences(prior) else train_frames
      named.append((name, prior.fit(
          data, model_fingerprint=metadata.get('model_fingerprint'),
          model_step=metadata.get('model_step'), seed=seed)))
  if not named:
    raise ValueError('No prior to score: give saved priors or types to fit.')
  with errors.stage('scoring the priors on the held-out examples'):
    rows = score_priors(named, heldout)
  plot_nll(paths['heldout_nll.png'], rows)

  with errors.stage('fitting the Gaussian mixtures of the components curve'):
    curve, best = component_curve(train_frames, heldout_frames,
                                  candidate_n_components, seed=seed)
  plot_curve(paths['n_components.png'], curve, len(train_frames),
             len(heldout_frames))

  frames = z_dataset.frames_from_sequences(sequences)
  pick = np.sort(rng.choice(len(frames['z']), min(n_points,
                                                  len(frames['z'])),
                            replace=False))
  z = frames['z'][pick].astype(np.float64)
  controls = priors.condition_features(frames['f0_hz'][pick],
                                       frames['loudness_db'][pick])
  component = best.predict(z)
  maps = {}
  for method, name in (('pca', 'z_pca.png'), ('tsne', 'z_tsne.png')):
    with errors.stage(f'computing the {method.upper()} map of z'):
      xy, info = embed(z, method, seed, tsne_iterations)
    maps[method] = info
    plot_embedding(
        paths[name], xy, component, controls[:, 0], controls[:, 1],
        f'{method.upper()} of {len(z)} z frames ({metadata["z_dims"]}-d, '
        f'model step {metadata.get("model_step")}); components of the '
        f'{best.n_components}-component mixture with the lowest BIC')

  return artifacts.write_json(paths[JSON_NAME], KIND, FORMAT_VERSION, {
      'z_dataset': {'pattern': z_dataset_pattern, **{
          k: metadata.get(k) for k in ('model_dir', 'model_step',
                                       'model_fingerprint', 'z_dims',
                                       'n_examples', 'n_frames',
                                       'frame_rate')}},
      'holdout_split': split,
      'heldout_examples': heldout_examples,
      'n_train_frames': int(len(train_frames)),
      'n_heldout_frames': int(len(heldout_frames)),
      'heldout_nll': rows,
      'n_components_curve': curve,
      'map_component_n_components': int(best.n_components),
      'n_map_points': int(len(z)),
      'maps': maps,
      'figures': list(FIGURES),
  }, extra_provenance={'seed': seed, 'prior_paths': list(prior_paths),
                       'fit_types': list(fit_types),
                       'gin_config': gin.config_str()})
