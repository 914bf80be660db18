# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Metrics of generated audio against real audio (NumPy, SciPy, librosa).

The embedding (fixed, offline, no learned weights):

* audio resampled to 16 kHz (`scipy.signal.resample_poly`,
  `to_embedding_rate`);
* power STFT: Hann window, 1024-sample FFT, hop 256 (16 ms), frames centred
  on `j * 256` with zero padding (librosa's `center=True`);
* 64-band Slaney mel filterbank (0-8 kHz), log power in dB (ref 1.0,
  floor 1e-10, i.e. -100 dB);
* per frame the first 20 MFCCs (DCT-II, orthonormal, of the log-mel) and
  their deltas (9-frame Savitzky-Golay window, `librosa.feature.delta`):
  a 40-d vector every 16 ms.

Frame-level vectors, not one vector per clip: an evaluation has tens of
clips but thousands of audible frames, enough to estimate a 40 x 40
covariance for the Fréchet distance and k-NN manifolds; the deltas (about
±70 ms of context) make frame-to-frame timbre jitter visible to them. Only
frames where the requested loudness is audible are embedded (`audible_mask`):
silence says nothing about timbre. Before the Fréchet distance and the k-NN
metrics the evaluation divides every dimension by its standard deviation over
the real frames (`standardize`), so that MFCC 0 (level) does not outweigh the
others.

Metrics: `frechet_distance` (of Gaussians fitted to two sets of vectors),
`precision_recall` (k-NN manifolds, Kynkäänniemi et al. 2019),
`frame_flux` (timbre stability: cosine distance of consecutive mel magnitude
spectra), `frame_flatness` (noisiness: spectral flatness), `f0_consistency`
(pitch re-estimated by `ddsp_generative.core.f0` vs the requested f0) and
`loudness_l1` (ddsp's `compute_loudness` vs the requested loudness).
"""

import librosa
import numpy as np
from scipy import linalg

from ddsp_generative.core import audio_io
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import features
from ddsp_generative.core import units

EMBEDDING_SAMPLE_RATE = 16000
CENTS_TOLERANCE = 50.0  # f0 within this of the reference counts as right.
N_FFT = 1024
HOP = 256
N_MELS = 64
N_MFCC = 20
DELTA_WIDTH = 9
LOG_FLOOR = 1e-10
EMBEDDING = {
    'name': 'mfcc20_delta_frames',
    'sample_rate': EMBEDDING_SAMPLE_RATE, 'n_fft': N_FFT, 'hop': HOP,
    'window': 'hann', 'n_mels': N_MELS, 'fmin_hz': 0.0,
    'fmax_hz': EMBEDDING_SAMPLE_RATE / 2, 'log': 'power dB, floor -100 dB',
    'n_mfcc': N_MFCC, 'delta_width': DELTA_WIDTH, 'dims': 2 * N_MFCC,
    'level': 'frame (audible frames only)',
}


def to_embedding_rate(audio, sample_rate):
  """The embedding's resampling: [n_samples] -> float64 [n] at 16 kHz.

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its (source) rate in Hz; the target is always
      EMBEDDING_SAMPLE_RATE (`audio_io.resample` takes both rates).

  Returns:
    float64 [n] at EMBEDDING_SAMPLE_RATE (polyphase).
  """
  return audio_io.resample(audio, from_rate=sample_rate,
                           to_rate=EMBEDDING_SAMPLE_RATE, method='polyphase')


def mel_power(audio, sample_rate):
  """Mel power spectrogram of the embedding's STFT.

  Args:
    audio: Mono audio, [n_samples], at `sample_rate`.
    sample_rate: Sample rate in Hz (resampled to 16 kHz first).

  Returns:
    float64 [n_frames, N_MELS], frame j centred on 16 kHz sample j * HOP.
  """
  x = to_embedding_rate(audio, sample_rate)
  power = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window='hann',
                              center=True, pad_mode='constant')) ** 2
  mel = librosa.feature.melspectrogram(
      S=power, sr=EMBEDDING_SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS,
      fmin=0.0, fmax=EMBEDDING_SAMPLE_RATE / 2)
  return mel.T


def frame_embedding(audio, sample_rate):
  """20 MFCCs + deltas per frame (see the module docstring).

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its sample rate in Hz.

  Returns:
    float64 [n_frames, 2 * N_MFCC].
  """
  log_mel = 10.0 * np.log10(np.maximum(mel_power(audio, sample_rate),
                                       LOG_FLOOR))
  mfcc = librosa.feature.mfcc(S=log_mel.T, n_mfcc=N_MFCC, dct_type=2,
                              norm='ortho')
  delta = librosa.feature.delta(mfcc, width=DELTA_WIDTH, mode='nearest')
  return np.concatenate([mfcc, delta]).T


def num_embedding_frames(n_samples, sample_rate):
  """Frames `frame_embedding` returns for a clip of n_samples."""
  n_resampled = len(to_embedding_rate(np.zeros(n_samples), sample_rate))
  return n_resampled // HOP + 1


def audible_mask(loudness_db, frame_rate, n_frames, audible_db=-60.0):
  """Embedding frames whose requested loudness is audible.

  Args:
    loudness_db: [n_control_frames] requested loudness, control frame i
      centred on time i / frame_rate.
    frame_rate: Control frames per second.
    n_frames: Embedding frames (frame j centred on j * HOP / 16 kHz).
    audible_db: Loudness (dB) at or above which a frame counts.

  Returns:
    bool [n_frames]: the loudness of the nearest control frame is audible.
  """
  loudness_db = np.asarray(loudness_db)
  times = np.arange(n_frames) * HOP / EMBEDDING_SAMPLE_RATE
  index = np.clip(np.round(times * frame_rate).astype(int), 0,
                  len(loudness_db) - 1)
  return loudness_db[index] >= audible_db


def standardize(sets, reference):
  """Divides every dimension by its std over `reference` (zero-std: 1).

  Args:
    sets: Dict of name -> [n_i, dims] arrays.
    reference: [n, dims] array (the real frames).

  Returns:
    Dict of the same names, each array scaled per dimension.
  """
  std = np.std(np.asarray(reference, np.float64), axis=0)
  std = np.where(std > 0, std, 1.0)
  return {name: np.asarray(x, np.float64) / std for name, x in sets.items()}


def _psd_sqrt(matrix):
  """Symmetric square root of a symmetric PSD matrix (eigenvalues >= 0)."""
  values, vectors = linalg.eigh((matrix + matrix.T) / 2)
  return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def gaussian_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
  """Squared Fréchet (2-Wasserstein) distance of two Gaussians.

  d = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2). The trace of the
  square root is computed as tr((A S2 A)^1/2), A = S1^1/2, from symmetric
  eigendecompositions: S1 S2 is not symmetric and `scipy.linalg.sqrtm` of it
  can return complex or inaccurate values for near-singular covariances. Both
  covariances get `eps` times their mean variance added to the diagonal.

  Args:
    mu1: [dims] mean.
    sigma1: [dims, dims] covariance.
    mu2: [dims] mean.
    sigma2: [dims, dims] covariance.
    eps: Relative diagonal regularisation.

  Returns:
    float >= 0.
  """
  mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2)
  sigma1 = np.atleast_2d(sigma1).astype(np.float64)
  sigma2 = np.atleast_2d(sigma2).astype(np.float64)
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
    raise ValueError(f'Shapes differ: {mu1.shape}, {sigma1.shape} vs '
                     f'{mu2.shape}, {sigma2.shape}.')
  dims = len(mu1)
  scale = max(np.trace(sigma1), np.trace(sigma2), 1e-12) / dims
  sigma1 = sigma1 + eps * scale * np.eye(dims)
  sigma2 = sigma2 + eps * scale * np.eye(dims)
  root1 = _psd_sqrt(sigma1)
  cross = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
  tr_covmean = np.sum(np.sqrt(np.clip(cross, 0.0, None)))
  diff = mu1 - mu2
  value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean
  return float(max(value, 0.0))


def frechet_distance(x, y, eps=1e-6):
  """Fréchet distance between Gaussians fitted to two sets of vectors.

  Args:
    x: [n, dims] vectors (n >= 2).
    y: [m, dims] vectors (m >= 2).
    eps: Relative covariance regularisation (`gaussian_frechet_distance`).

  Returns:
    float >= 0 (0 for identical sets).
  """
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
    raise ValueError(f'Need [n, dims] sets of equal dims; got {x.shape} and '
                     f'{y.shape}.')
  if len(x) < 2 or len(y) < 2:
    raise ValueError(f'Need at least 2 vectors per set; got {len(x)} and '
                     f'{len(y)}.')
  return gaussian_frechet_distance(
      x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False),
      eps)


def _squared_distances(a, b):
  """[len(a), len(b)] squared Euclidean distances (float64, >= 0)."""
  d = (np.sum(a * a, 1)[:, None] + np.sum(b * b, 1)[None, :] -
       2.0 * a @ b.T)
  return np.maximum(d, 0.0)


def knn_radii(x, k=3, chunk=1024):
  """Squared distance of every vector to its k-th nearest other vector.

  Args:
    x: [n, dims] vectors, n > k.
    k: Neighbour rank (1 = nearest other vector).
    chunk: Rows per block of the distance matrix (bounds memory).

  Returns:
    float64 [n].
  """
  if len(x) <= k:
    raise ValueError(f'Need more than k={k} vectors; got {len(x)}.')
  radii = np.empty(len(x))
  for start in range(0, len(x), chunk):
    d = _squared_distances(x[start:start + chunk], x)
    # Index 0 after partitioning is the vector itself (distance 0).
    radii[start:start + chunk] = np.partition(d, k, axis=1)[:, k]
  return radii


def _coverage(points, centres, radii, chunk=1024):
  """Share of `points` inside some ball (centre, radius)."""
  inside = np.zeros(len(points), bool)
  for start in range(0, len(points), chunk):
    d = _squared_distances(points[start:start + chunk], centres)
    inside[start:start + chunk] = np.any(d <= radii[None, :], axis=1)
  return float(np.mean(inside))


def precision_recall(real, generated, k=3, max_points=4000, seed=0):
  """Improved precision and recall (Kynkäänniemi et al., 2019).

  Each set's manifold is the union of balls around its vectors reaching
  their k-th nearest neighbour in the same set. Precision: share of
  generated vectors inside the real manifold (realism); recall: share of
  real vectors inside the generated manifold (coverage).

  Args:
    real: [n, dims] real vectors.
    generated: [m, dims] generated vectors.
    k: Neighbour rank of the ball radii.
    max_points: Each set is subsampled (without replacement, by `seed`) to
      at most this many vectors; None keeps all (memory O(n * m)).
    seed: Seed of the subsampling.

  Returns:
    (precision, recall), floats in [0, 1].
  """
  rng = np.random.default_rng(seed)

  def subsample(x):
    x = np.asarray(x, np.float64)
    if max_points and len(x) > max_points:
      x = x[np.sort(rng.choice(len(x), max_points, replace=False))]
    return x

  real, generated = subsample(real), subsample(generated)
  precision = _coverage(generated, real, knn_radii(real, k))
  recall = _coverage(real, generated, knn_radii(generated, k))
  return precision, recall


def frame_flux(audio, sample_rate, audible=None):
  """Frame-to-frame timbre change: cosine distance of mel magnitudes.

  1 - cos(m_j, m_{j+1}) of consecutive mel magnitude spectra m = sqrt(mel
  power): 0 for a steady spectrum, whatever its level (the cosine ignores
  scale, so loudness changes do not count).

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its sample rate in Hz.
    audible: Optional bool [n_frames] embedding-frame mask; a pair counts
      when both frames are audible.

  Returns:
    float64 [n_pairs] distances in [0, 1].
  """
  m = np.sqrt(mel_power(audio, sample_rate))
  num = np.sum(m[1:] * m[:-1], axis=1)
  den = np.linalg.norm(m[1:], axis=1) * np.linalg.norm(m[:-1], axis=1)
  distance = 1.0 - num / np.maximum(den, 1e-20)
  if audible is not None:
    audible = np.asarray(audible, bool)[:len(m)]
    distance = distance[audible[1:] & audible[:-1]]
  return np.clip(distance, 0.0, 1.0)


def frame_flatness(audio, sample_rate, audible=None):
  """Spectral flatness (geometric / arithmetic mean of the power spectrum).

  Near 0 for a harmonic tone, about 0.56 for white noise (power spectra
  are exponentially distributed).

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its sample rate in Hz.
    audible: Optional bool [n_frames] embedding-frame mask.

  Returns:
    float64 [n_audible_frames] flatness in [0, 1].
  """
  x = to_embedding_rate(audio, sample_rate)
  power = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window='hann',
                              center=True, pad_mode='constant')) ** 2
  flatness = librosa.feature.spectral_flatness(
      S=power, power=1.0, amin=LOG_FLOOR)[0]
  if audible is not None:
    flatness = flatness[np.asarray(audible, bool)[:len(flatness)]]
  return flatness


def f0_consistency(audio, sample_rate, frame_rate, f0_hz, loudness_db,
                   audible_db=-60.0, voiced=None, estimator='pyin'):
  """Pitch re-estimated on audio vs the requested f0.

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its sample rate in Hz (a multiple of frame_rate).
    frame_rate: Control frames per second.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness; frames below `audible_db`
      are not scored.
    audible_db: Loudness (dB) at or above which a frame is scored.
    voiced: Optional bool [n_frames]: score only these frames too (e.g. the
      real recording's f0 confidence >= 0.5).
    estimator: A `ddsp_generative.core.f0` estimator ('pyin', 'yin', 'crepe').

  Returns:
    float64 [n_frames] deviation in cents, NaN on frames not scored.
  """
  f0_hz = np.asarray(f0_hz, np.float64)
  mask = (np.asarray(loudness_db) >= audible_db) & (f0_hz > 0)
  if voiced is not None:
    mask &= np.asarray(voiced, bool)
  estimate, _ = f0_lib.estimate_f0(audio, sample_rate, frame_rate,
                                   len(f0_hz), estimator=estimator)
  return np.where(mask, units.cents(estimate, f0_hz), np.nan)


def f0_agreement(deviation_cents):
  """(share within 50 cents, median |cents|, frames) of the finite deviations.

  Args:
    deviation_cents: Array of deviations in cents; NaN frames are ignored.

  Returns:
    (accuracy, median, n_frames); accuracy and median are None when no frame
    is finite.
  """
  d = np.abs(np.asarray(deviation_cents, np.float64))
  d = d[np.isfinite(d)]
  if not d.size:
    return None, None, 0
  return (float(np.mean(d <= CENTS_TOLERANCE)), float(np.median(d)),
          int(d.size))


def loudness_l1(audio, sample_rate, frame_rate, loudness_db):
  """|loudness of audio - requested loudness| per frame, in dB.

  The loudness is ddsp's `compute_loudness` as the TFRecords' 'loudness_db'
  (n_fft 512, frames centred on i * hop), so real audio scores about 0.

  Args:
    audio: [batch, n_samples] or [n_samples] audio.
    sample_rate: Its sample rate in Hz.
    frame_rate: Control frames per second.
    loudness_db: [batch, n_frames] or [n_frames] requested loudness.

  Returns:
    float32 array of loudness_db's shape.
  """
  loudness_db = np.asarray(loudness_db, np.float32)
  measured = features.loudness_db(np.asarray(audio, np.float32),
                                  sample_rate, frame_rate,
                                  loudness_db.shape[-1])
  return np.abs(measured - loudness_db)
