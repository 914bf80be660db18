# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Watching a multi-instrument model's timbre space.

* `InstrumentClassifier`: logistic regression on the realism features
  (`clip_features`, the C2ST's fixed set) of real clips of each instrument;
  it scores generated audio: is a sample of the named instrument recognised?
* `interpolation_curve`: a blend of two instruments, weight w from 0 to 1,
  played on fixed controls; the classifier's probability of the second
  instrument (of the two) and the spectral centroid against w, and whether
  each is monotonic (`is_monotonic`: no step back larger than a tolerance).
* `latent_map`: PCA or t-SNE coordinates of timbre vectors, and
  `save_map_figure` colours them by instrument.
* `decode_clips`: a model's audio from controls and timbre vectors, batched.
"""

import librosa
import numpy as np
from sklearn import decomposition
from sklearn import linear_model
from sklearn import manifold
from sklearn import pipeline
from sklearn import preprocessing

from ddsp_generative.core import plotting
from ddsp_generative.evaluation import clip_features as features_lib

# A step of the curve may go back by this much and still count as monotonic
# (a probability; for the centroid, this fraction of the curve's range).
MONOTONIC_TOLERANCE = 0.02
# A curve that also counts as going from one instrument to the other: its
# P(b) / (P(a) + P(b)) rises by at least this much from w = 0 to w = 1 (a
# flat curve is monotonic but interpolates nothing).
MIN_SPAN = 0.5


class InstrumentClassifier:
  """Which instrument a clip sounds like, from its realism features."""

  def __init__(self, seed=0):
    self.names = ()
    self.model = pipeline.make_pipeline(
        preprocessing.StandardScaler(),
        linear_model.LogisticRegression(max_iter=4000, C=1.0,
                                        random_state=seed))

  def fit(self, features_by_instrument):
    """Fits on {name: [n, F] features of real clips}; returns self."""
    self.names = tuple(sorted(features_by_instrument))
    x = np.concatenate([features_by_instrument[n] for n in self.names])
    y = np.concatenate([[i] * len(features_by_instrument[n])
                        for i, n in enumerate(self.names)])
    self.model.fit(x, y)
    return self

  def probabilities(self, features):
    """[n, F] features -> [n, n_instruments] probabilities (names order)."""
    return self.model.predict_proba(np.asarray(features, np.float64))

  def recognised(self, features, name):
    """Fraction of clips whose most likely instrument is `name`."""
    predicted = np.argmax(self.probabilities(features), axis=1)
    return float(np.mean(predicted == self.names.index(name)))


def decode_clips(trained, f0_hz, loudness_db, z, seed=0, batch_size=16):
  """Audio of clips from their controls and z (timbre vectors per frame).

  Args:
    trained: `sampling.model_io.TrainedModel`.
    f0_hz: [n, n_frames] f0.
    loudness_db: [n, n_frames] loudness.
    z: [n, n_frames, z_dims] or None (a model without z).
    seed: Seeds the synthesizers' noise (batch b uses seed + b).
    batch_size: Clips decoded at a time.

  Returns:
    float32 [n, n_frames * hop_size].
  """
  out = []
  for b, start in enumerate(range(0, len(f0_hz), batch_size)):
    part = slice(start, start + batch_size)
    out.append(trained.decode(f0_hz[part], loudness_db[part],
                              None if z is None else z[part],
                              seed=seed + b))
  return np.concatenate(out)


def spectral_centroid(clips, sample_rate):
  """Mean spectral centroid (Hz) of each clip's frames, [n]."""
  n_fft, hop = features_lib.analysis_settings(sample_rate)
  return np.array([float(np.mean(librosa.feature.spectral_centroid(
      y=np.asarray(c, np.float32), sr=sample_rate, n_fft=n_fft,
      hop_length=hop))) for c in clips])


def is_monotonic(values, tolerance=MONOTONIC_TOLERANCE, relative=False):
  """Whether a curve only goes one way (up or down), within a tolerance.

  Args:
    values: [n] the curve.
    tolerance: Largest step against the curve's direction allowed.
    relative: The tolerance is a fraction of the curve's range.

  Returns:
    bool.
  """
  values = np.asarray(values, np.float64)
  steps = np.diff(values)
  if relative:
    tolerance *= max(float(np.ptp(values)), 1e-12)
  direction = np.sign(values[-1] - values[0]) or 1.0
  return bool(np.all(steps * direction >= -tolerance))


def interpolation_curve(trained, prior, classifier, pair, f0_hz, loudness_db,
                        weights=np.linspace(0.0, 1.0, 11), seed=0):
  """A blend of `pair` played on fixed controls, against the blend weight.

  Args:
    trained: A multi-instrument `model_io.TrainedModel`.
    prior: Its `priors.TimbrePrior`.
    classifier: A fitted `InstrumentClassifier` knowing both instruments.
    pair: (a, b) instrument names.
    f0_hz: [n, n_frames] controls of the clips played at every weight.
    loudness_db: [n, n_frames].
    weights: The weights w of b (1 - w of a).
    seed: Seeds the synthesizers' noise.

  Returns:
    {'pair', 'weights', 'p_second' (mean over clips of P(b) / (P(a) +
    P(b))), 'centroid_hz' (mean), 'monotonic_probability',
    'monotonic_centroid', 'spearman_probability', 'span' (p_second at the
    last weight minus at the first), 'interpolates' (monotonic and a span of
    at least MIN_SPAN)}.
  """
  a, b = pair
  ia, ib = classifier.names.index(a), classifier.names.index(b)
  n, n_frames = f0_hz.shape
  p_second, centroid = [], []
  for w in weights:
    z = prior.sample(n_frames, seed=seed, mode='blend', batch_size=n,
                     instruments=(a, b), weights=(1.0 - w, w))
    audio = decode_clips(trained, f0_hz, loudness_db, z, seed=seed)
    probs = classifier.probabilities(features_lib.clip_features(
        audio, trained.sample_rate))
    p_second.append(float(np.mean(probs[:, ib] / np.maximum(
        probs[:, ia] + probs[:, ib], 1e-12))))
    centroid.append(float(np.mean(spectral_centroid(audio,
                                                    trained.sample_rate))))
  rank = np.argsort(np.argsort(p_second))
  spearman = float(np.corrcoef(rank, np.arange(len(weights)))[0, 1])
  return {'pair': [a, b], 'weights': [float(w) for w in weights],
          'p_second': p_second, 'centroid_hz': centroid,
          'monotonic_probability': is_monotonic(p_second),
          'monotonic_centroid': is_monotonic(centroid, relative=True),
          'spearman_probability': spearman,
          'span': p_second[-1] - p_second[0],
          'interpolates': is_monotonic(p_second) and (
              p_second[-1] - p_second[0] >= MIN_SPAN)}


def latent_map(vectors, method='pca', seed=0):
  """2-D coordinates of [n, d] vectors: 'pca' or 'tsne'."""
  vectors = np.asarray(vectors, np.float64)
  if method == 'pca':
    return decomposition.PCA(n_components=2, random_state=seed).fit_transform(
        vectors)
  if method == 'tsne':
    perplexity = float(min(30.0, max(2.0, (len(vectors) - 1) / 3)))
    return manifold.TSNE(n_components=2, perplexity=perplexity,
                         init='pca', random_state=seed).fit_transform(
                             vectors)
  raise ValueError(f"method must be 'pca' or 'tsne', not {method!r}.")


def save_map_figure(path, maps, labels, title='', marked=None):
  """Scatter plots of latent maps coloured by instrument.

  Args:
    path: PNG path.
    maps: {panel title: [n, 2] coordinates}.
    labels: [n] instrument names (the colour).
    title: Figure title.
    marked: Optional [n] bool: points drawn as crosses (e.g. generated).
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  labels = np.asarray(labels)
  marked = np.zeros(len(labels), bool) if marked is None else np.asarray(
      marked, bool)
  fig, axes = plt.subplots(1, len(maps), figsize=(5.5 * len(maps), 4.8))
  axes = np.atleast_1d(axes)
  colours = plt.get_cmap('tab10')
  for ax, (name, coords) in zip(axes, maps.items()):
    for i, label in enumerate(sorted(set(labels))):
      for mask, marker in ((~marked, 'o'), (marked, 'x')):
        pick = (labels == label) & mask
        if np.any(pick):
          ax.scatter(coords[pick, 0], coords[pick, 1], s=14, marker=marker,
                     color=colours(i % 10), alpha=0.75,
                     label=label if marker == 'o' else None)
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
  axes[0].legend(fontsize=8, loc='best')
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  plotting.save_png(fig, path)
