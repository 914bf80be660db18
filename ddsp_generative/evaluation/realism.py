# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Absolute realism: can a classifier tell real clips from a set's clips?

A relative yardstick (the share of the Fréchet-distance gap between random z
and resynthesis a prior closes) can look good while every set is still easy
to tell from real audio. This module measures the absolute distance, always
next to a real-vs-real floor, and says what separates the sets.

Protocol (`compare`; version `FEATURE_SET_VERSION` of the features):

1. **Clips.** Every set, real audio included, is cut into non-overlapping
   `CLIP_SECS` = 1 s clips; tails shorter than a clip and clips below -50
   dBFS RMS are dropped (`cut_clips`).
2. **Features.** One 72-d vector per clip (`clip_features`, documented in
   `evaluation.clip_features`): 20 MFCC means and stds, spectral contrast (7
   bands) means and stds, centroid, bandwidth, flatness, 85% rolloff,
   zero-crossing rate and frame RMS dB (mean and std each), an
   autocorrelation harmonic-to-noise ratio, and the log power share of the
   0-0.5, 0.5-1, 1-2, 2-4 and 4-8 kHz bands. STFT n_fft 1024, hop 256 at 16
   kHz, scaled with the rate.
3. **Unpaired halves and the floor.** The real held-out clips are split
   into two halves A and B of n // 2 and n - n // 2 clips: by default
   (`split='random'`) a seeded random permutation, so both halves sample the
   same repertoire; `split='ordered'` takes clips [0, n/2) and [n/2, n) (in
   file order the halves then hold different tunes and ranges, and the
   floor measures the repertoire too: on the rendered violin's eval split
   ordered halves scored 0.92 against each other). Prepare the held-out
   clips without overlap (`--hop_secs` equal to `--example_secs`), so that
   no audio is shared between the halves. Every set is compared with half B
   only. The floor, row 'real_vs_real', is A against B: what the same tests
   give for two samples of the real distribution. A set whose clip i was
   made from real clip i (resynthesis, or generation from its controls:
   `paired_sets`) contributes only its clips made from half A, so no set is
   compared with the clips it was made from. Unpaired
   sets (e.g. from MIDI) contribute all their clips. Every set is then
   subsampled (seeded) to at most len(A) clips, so its tests see as many
   clips as the floor's.
4. **Classifier two-sample test** (`c2st`). Both classes balanced (the
   larger subsampled to the smaller, seeded); `folds`-fold (default 5)
   `StratifiedKFold(shuffle=True, random_state=seed)`; inside each fold a
   `StandardScaler` fitted on the training clips, then
   `LogisticRegression(C=1.0, max_iter=2000)` or
   `RandomForestClassifier(n_estimators=200, random_state=seed)`. The score
   is the accuracy of the out-of-fold predictions of all 2n clips. 0.5
   means the classifier cannot tell the set from real audio (below 0.5 is
   chance too); 1.0 means every clip is recognised. Read it against the
   floor (`c2st_above_floor`), not against 0.5: with tens of clips per
   class the floor itself wanders by about ±0.1. `ci95` is the half-width
   of the 95% Wilson score interval of the accuracy over 2n predictions
   (binomial; the folds' predictions are not quite independent, so it is a
   guide, not an exact interval); `p_value` the one-sided binomial
   probability of that accuracy or more at chance.
5. **Fréchet distance** (`frechet`) between Gaussians fitted to the clip
   features of half B and the set, every dimension divided by its std over
   half B (`metrics.standardize`, `metrics.frechet_distance`), and its ratio
   to the floor's (`frechet_floor_ratio`: about 1 is real-like). With 72
   dimensions and tens to hundreds of clips the distance is biased upwards
   by the sample size (the floor is far from 0), hence the ratio at equal
   sizes; a feature nearly constant over the real clips inflates it (the
   C2ST is unaffected: its scaler is fitted on both classes).
6. **What separates** (`separating_features`): per feature Cohen's d (the
   set's mean minus half B's, over their pooled std) and the single-feature
   AUC (max(auc, 1 - auc): 0.5 useless, 1 perfectly separating), the top 8
   by |d|; and the long-term average spectra (`ltas`: power spectrum
   averaged over every frame of every clip, in dB of the set's total power,
   so levels do not dominate) with their mean dB in the 0-0.5, 0.5-1, 1-2,
   2-4, 4-8 kHz bands (`band_differences`). The absolute level is reported
   apart: `rms_dbfs`, the mean clip RMS (dBFS) of the set's clips, and
   `real_rms_dbfs`, half B's.

`markdown_table` renders a `compare` result, `save_ltas_figure` its spectra.
"""

import zlib

import numpy as np
from scipy import stats
from sklearn import ensemble
from sklearn import linear_model
from sklearn import metrics as sk_metrics
from sklearn import model_selection
from sklearn import pipeline
from sklearn import preprocessing
from tqdm import tqdm

from ddsp_generative.evaluation import clip_features as features_lib
from ddsp_generative.evaluation import metrics

CLIP_SECS = features_lib.CLIP_SECS
FEATURE_SET_VERSION = features_lib.FEATURE_SET_VERSION
RealismError = features_lib.RealismError
feature_names = features_lib.feature_names
cut_clips = features_lib.cut_clips
clip_features = features_lib.clip_features
ltas = features_lib.ltas
band_differences = features_lib.band_differences

FLOOR = 'real_vs_real'
RESERVED_NAMES = (FLOOR, 'real', 'freqs_hz')
CLASSIFIERS = ('logistic_regression', 'random_forest')
Z_95 = 1.959963984540054


def describe_classifiers(seed=0, folds=5):
  """What `c2st` runs, in words (recorded in reports): {name: str}."""
  return {
      'logistic_regression':
          'StandardScaler + LogisticRegression(C=1.0, max_iter=2000)',
      'random_forest': 'StandardScaler + RandomForestClassifier('
                       f'n_estimators=200, random_state={seed})',
      'cv': f'{folds}-fold StratifiedKFold(shuffle=True, random_state={seed})'
            ', balanced classes; accuracy of the out-of-fold predictions',
      'ci95': 'half-width of the 95% Wilson score interval over 2n '
              'predictions',
  }


def _classifier(name, seed):
  """The sklearn Pipeline (scaler fitted inside each fold) for `name`."""
  if name == 'logistic_regression':
    model = linear_model.LogisticRegression(max_iter=2000, C=1.0)
  else:
    model = ensemble.RandomForestClassifier(n_estimators=200,
                                            random_state=seed, n_jobs=1)
  return pipeline.make_pipeline(preprocessing.StandardScaler(), model)


def _as_features(x, what, dims=None):
  """Checks [n, dims] finite features: -> float64 array."""
  x = np.asarray(x, np.float64)
  if x.ndim != 2 or (dims is not None and x.shape[1] != dims):
    raise RealismError(f'{what} must be [n_clips, {dims or "n_features"}] '
                       f'features; got shape {x.shape}.')
  if not np.all(np.isfinite(x)):
    raise RealismError(f'{what} has NaN or infinite values: compute them '
                       'with clip_features from finite audio.')
  return x


def _subsample(x, n, rng):
  """n rows of x in their order (all of them when len(x) <= n)."""
  if len(x) <= n:
    return x
  return x[np.sort(rng.choice(len(x), n, replace=False))]


def wilson_interval(accuracy, n_trials, z=Z_95):
  """(low, high) Wilson score interval of a binomial proportion."""
  denominator = 1.0 + z * z / n_trials
  centre = (accuracy + z * z / (2 * n_trials)) / denominator
  half = z / denominator * np.sqrt(accuracy * (1 - accuracy) / n_trials +
                                   z * z / (4 * n_trials ** 2))
  return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def c2st(real_features, other_features, seed=0, folds=5, max_per_class=None):
  """Classifier two-sample test: cross-validated real-vs-other accuracy.

  Args:
    real_features: [n, F] features of real clips.
    other_features: [m, F] features of the other set's clips.
    seed: Seed of the balancing subsample, the folds and the forest.
    folds: Number of cross-validation folds.
    max_per_class: Optional cap on the clips per class.

  Returns:
    {'logistic_regression': acc, 'random_forest': acc, 'n_per_class': n,
    'folds': folds, 'ci95': {clf: Wilson half-width}, 'ci95_interval':
    {clf: [low, high]}, 'p_value': {clf: one-sided binomial p at chance}}.

  Raises:
    RealismError: Fewer than 2 * folds clips in a class, or bad features.
  """
  real = _as_features(real_features, 'The real features')
  other = _as_features(other_features, 'The other features', real.shape[1])
  n = min(len(real), len(other), max_per_class or len(real))
  if folds < 2 or n < 2 * folds:
    raise RealismError(
        f'A {folds}-fold classifier two-sample test needs at least '
        f'{2 * max(folds, 2)} clips per class; got {len(real)} real and '
        f'{len(other)} other: give more (or longer) audio, or fewer folds.')
  rng = np.random.default_rng(seed)
  x = np.concatenate([_subsample(real, n, rng), _subsample(other, n, rng)])
  y = np.repeat([0, 1], n)
  cv = model_selection.StratifiedKFold(n_splits=folds, shuffle=True,
                                       random_state=seed)
  result = {'n_per_class': int(n), 'folds': int(folds), 'ci95': {},
            'ci95_interval': {}, 'p_value': {}}
  for name in CLASSIFIERS:
    predicted = model_selection.cross_val_predict(_classifier(name, seed), x,
                                                  y, cv=cv)
    correct = int(np.sum(predicted == y))
    accuracy = correct / (2 * n)
    low, high = wilson_interval(accuracy, 2 * n)
    result[name] = float(accuracy)
    result['ci95'][name] = (high - low) / 2
    result['ci95_interval'][name] = [low, high]
    result['p_value'][name] = float(stats.binomtest(
        correct, 2 * n, 0.5, alternative='greater').pvalue)
  return result


def separating_features(real_features, other_features, top=8, names=None):
  """The features that differ most: Cohen's d and single-feature AUC.

  Args:
    real_features: [n, F] features of real clips (n >= 2).
    other_features: [m, F] features of the other set (m >= 2).
    top: How many to return.
    names: F feature names; default `feature_names()` (or 'feature_i' when
      F differs).

  Returns:
    Up to `top` dicts sorted by |cohens_d| descending: {'feature',
    'cohens_d' (other minus real, over the pooled std), 'auc' (max(auc,
    1 - auc), in [0.5, 1]), 'real_mean', 'other_mean'}.
  """
  real = _as_features(real_features, 'The real features')
  other = _as_features(other_features, 'The other features', real.shape[1])
  if len(real) < 2 or len(other) < 2:
    raise RealismError('Separating features need at least 2 clips per set; '
                       f'got {len(real)} real and {len(other)} other.')
  if names is None:
    names = feature_names()
    if len(names) != real.shape[1]:
      names = [f'feature_{i}' for i in range(real.shape[1])]
  n, m = len(real), len(other)
  pooled = np.sqrt(((n - 1) * real.var(0, ddof=1) +
                    (m - 1) * other.var(0, ddof=1)) / (n + m - 2))
  difference = other.mean(0) - real.mean(0)
  scale = np.maximum(pooled, 1e-12 * (1.0 + np.abs(real.mean(0))))
  d = np.where(difference == 0, 0.0, difference / scale)
  labels = np.repeat([0, 1], [n, m])
  rows = []
  for i in np.argsort(-np.abs(d), kind='stable')[:top]:
    auc = sk_metrics.roc_auc_score(labels,
                                   np.concatenate([real[:, i], other[:, i]]))
    rows.append({'feature': names[i], 'cohens_d': float(d[i]),
                 'auc': float(max(auc, 1.0 - auc)),
                 'real_mean': float(real[:, i].mean()),
                 'other_mean': float(other[:, i].mean())})
  return rows


def frechet(real_features, other_features):
  """Fréchet distance of the feature Gaussians, standardized by the real set.

  Args:
    real_features: [n, F] real clip features (n >= 2).
    other_features: [m, F] other clip features (m >= 2).

  Returns:
    float >= 0.
  """
  real = _as_features(real_features, 'The real features')
  other = _as_features(other_features, 'The other features', real.shape[1])
  scaled = metrics.standardize({'real': real, 'other': other}, real)
  return metrics.frechet_distance(scaled['real'], scaled['other'])


def _against_real(real, other, ctx):
  """Every measure of one set's clips against half B (a row of compare)."""
  other_features = clip_features(other['clips'], ctx['sample_rate'])
  result = {
      'n_clips': int(len(other['clips'])),
      'paired': other['paired'],
      'c2st': c2st(real['features'], other_features, ctx['seed'],
                   ctx['folds']),
      'frechet': frechet(real['features'], other_features),
      'rms_dbfs': float(np.mean(features_lib.rms_dbfs(other['clips']))),
      'real_rms_dbfs': real['rms_dbfs'],
      'separating': separating_features(real['features'], other_features,
                                        ctx['top']),
  }
  freqs, level = ltas(other['clips'], ctx['sample_rate'], ctx['n_fft'])
  result['bands'] = band_differences(real['ltas'], level, freqs)
  return result, level


def _check_sets(n_real, sets, paired_sets, folds):
  """Refuses too few real clips, reserved or unknown names, bad pairing."""
  if n_real // 2 < 2 * folds:
    raise RealismError(
        f'The realism comparison needs at least {4 * folds} real clips (two '
        f'halves of {2 * folds} for {folds}-fold tests); got {n_real}: use '
        'more held-out audio or fewer folds.')
  for name in sets:
    if name in RESERVED_NAMES:
      raise RealismError(f'Set name {name!r} is reserved '
                         f'({", ".join(RESERVED_NAMES)}): rename the set.')
  for name in paired_sets:
    if name not in sets:
      raise RealismError(f'Paired set {name!r} is not among the sets '
                         f'({", ".join(sets) or "none"}).')
    if len(sets[name]) != n_real:
      raise RealismError(
          f'Paired set {name!r} has {len(sets[name])} clips for {n_real} '
          'real clips: clip i of a paired set must be made from real clip '
          'i (cut both alike, e.g. with cut_clips(..., return_index=True)).')
  for name, clips in sets.items():
    usable = min(len(clips), n_real) // 2 if name in paired_sets else len(clips)
    if usable < 2 * folds:
      raise RealismError(
          f'Set {name!r} has {usable} usable clips; the {folds}-fold tests '
          f'need at least {2 * folds}: generate more (or longer) audio.')


def real_halves(n, split='random', seed=0):
  """Indices of the real halves A and B.

  Args:
    n: Number of real clips.
    split: 'random' (a permutation seeded by `seed`) or 'ordered' (clips
      [0, n // 2) and [n // 2, n)).
    seed: Seed of the random split.

  Returns:
    (a, b): int arrays of n // 2 and n - n // 2 sorted indices.
  """
  if split == 'ordered':
    order = np.arange(n)
  elif split == 'random':
    order = np.random.default_rng([seed, n]).permutation(n)
  else:
    raise RealismError(f"split must be 'random' or 'ordered', not {split!r}.")
  half = n // 2
  return np.sort(order[:half]), np.sort(order[half:])


def compare(real_clips, sets, sample_rate, seed=0, folds=5, top=8,
            paired_sets=(), progress=False, split='random'):
  """Every set against real half B, with the real-vs-real floor.

  See the module docstring for the protocol.

  Args:
    real_clips: [n, clip_samples] real held-out clips (file order).
    sets: {name: [m, clip_samples] clips}.
    sample_rate: Sample rate of every clip in Hz.
    seed: Seed of the subsamples, folds and forests.
    folds: Cross-validation folds.
    top: Separating features per set.
    paired_sets: Names of the sets whose clip i was made from real clip i:
      only their clips made from half A are used.
    progress: Show a progress bar over the sets.
    split: How the real clips are halved (`real_halves`).

  Returns:
    JSON-safe dict: 'feature_set_version', 'feature_names', 'n_features',
    'clip_secs', 'sample_rate', 'seed', 'folds', 'classifiers',
    'real_halves' ({'split', 'a', 'b': index lists}), 'floor' (A vs B: the
    keys of a set but the ratios), 'sets' ({name: {'c2st',
    'c2st_above_floor', 'frechet', 'frechet_floor_ratio', 'rms_dbfs',
    'real_rms_dbfs', 'separating', 'bands', 'n_clips', 'paired'}}) and
    'ltas' ({'freqs_hz', 'real' (half B), 'real_vs_real' (half A), name:
    dB lists}).
  """
  real_clips = np.asarray(real_clips, np.float32)
  if real_clips.ndim != 2:
    raise RealismError('Real clips must be [n_clips, clip_samples]; got '
                       f'shape {real_clips.shape}.')
  n = len(real_clips)
  _check_sets(n, sets, paired_sets, folds)
  index_a, index_b = real_halves(n, split, seed)
  half = len(index_a)
  ctx = {'sample_rate': sample_rate, 'seed': seed, 'folds': folds,
         'top': top, 'n_fft': features_lib.analysis_settings(sample_rate)[0]}
  clips_b = real_clips[index_b]
  freqs, real_level = ltas(clips_b, sample_rate, ctx['n_fft'])
  real = {'features': clip_features(clips_b, sample_rate),
          'rms_dbfs': float(np.mean(features_lib.rms_dbfs(clips_b))),
          'ltas': real_level}
  floor, floor_level = _against_real(
      real, {'clips': real_clips[index_a], 'paired': False}, ctx)
  levels = {'freqs_hz': freqs, 'real': real_level, FLOOR: floor_level}
  results = {}
  for name in tqdm(sets, desc='realism', unit='set', disable=not progress):
    clips = np.asarray(sets[name], np.float32)
    paired = name in paired_sets
    # Seeded by the name too: a set's subsample is the same whatever other
    # sets come with it.
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    clips = _subsample(clips[index_a] if paired else clips, half, rng)
    result, levels[name] = _against_real(
        real, {'clips': clips, 'paired': paired}, ctx)
    result['c2st_above_floor'] = {
        clf: result['c2st'][clf] - floor['c2st'][clf] for clf in CLASSIFIERS}
    result['frechet_floor_ratio'] = (
        result['frechet'] / floor['frechet'] if floor['frechet'] > 0
        else None)
    results[name] = result
  return {
      'feature_set_version': FEATURE_SET_VERSION,
      'feature_names': feature_names(),
      'n_features': len(feature_names()),
      'clip_secs': CLIP_SECS,
      'sample_rate': sample_rate,
      'seed': seed,
      'folds': folds,
      'classifiers': describe_classifiers(seed, folds),
      'real_halves': {'split': split, 'a': index_a.tolist(),
                      'b': index_b.tolist()},
      'floor': floor,
      'sets': results,
      'ltas': {key: [round(float(v), 3) for v in value]
               for key, value in levels.items()},
  }


def markdown_table(section, caption=True):
  """A `compare` result as Markdown (`realism_report.markdown_table`)."""
  from ddsp_generative.evaluation import realism_report  # pylint: disable=g-import-not-at-top
  return realism_report.markdown_table(section, caption)


def save_ltas_figure(path, section, title=''):
  """Saves its spectra as a PNG (`realism_report.save_ltas_figure`)."""
  from ddsp_generative.evaluation import realism_report  # pylint: disable=g-import-not-at-top
  realism_report.save_ltas_figure(path, section, title)
