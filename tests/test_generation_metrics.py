"""Generation metrics on known signals and sets (NumPy, SciPy, librosa)."""

import numpy as np
import pytest
from scipy import linalg

from ddsp_generative.evaluation import metrics as gm

SR = 16000
FRAME_RATE = 250


def _tone(hz=220.0, secs=1.0, amplitude=0.3):
  t = np.arange(int(SR * secs)) / SR
  return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _noise(secs=1.0, seed=0):
  rng = np.random.default_rng(seed)
  return (0.1 * rng.standard_normal(int(SR * secs))).astype(np.float32)


def _random_covariance(rng, dims):
  a = rng.normal(size=[dims, dims])
  return a @ a.T / dims + 0.1 * np.eye(dims)


def test_audio_goes_to_the_embedding_rate_from_any_rate():
  # Named for its fixed target: `audio_io.resample` takes both rates.
  assert not hasattr(gm, 'resample')
  for rate in (16000, 22050, 44100):
    x = gm.to_embedding_rate(np.zeros(rate, np.float32), rate)
    assert x.dtype == np.float64 and x.shape == (gm.EMBEDDING_SAMPLE_RATE,)
  assert gm.num_embedding_frames(44100, 44100) == SR // gm.HOP + 1


def test_frechet_distance_of_identical_sets_is_zero():
  x = np.random.default_rng(0).normal(size=[500, 8])
  assert gm.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_grows_with_a_mean_shift():
  x = np.random.default_rng(1).normal(size=[500, 8])
  distances = [gm.frechet_distance(x, x + shift) for shift in (0.5, 1.0, 2.0)]
  # Same covariance: exactly |shift|^2 * dims.
  np.testing.assert_allclose(distances, [8 * 0.25, 8 * 1.0, 8 * 4.0],
                             rtol=1e-6)


def test_frechet_distance_matches_the_closed_form():
  rng = np.random.default_rng(2)
  dims = 6
  mu1, mu2 = rng.normal(size=dims), rng.normal(size=dims)
  s1, s2 = _random_covariance(rng, dims), _random_covariance(rng, dims)
  reference = (np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) -
               2 * np.trace(linalg.sqrtm(s1 @ s2).real))
  assert gm.gaussian_frechet_distance(mu1, s1, mu2, s2, eps=0.0) == (
      pytest.approx(reference, rel=1e-8))
  # Diagonal covariances: |mu1 - mu2|^2 + sum (sigma1 - sigma2)^2.
  v1, v2 = rng.uniform(0.5, 2, dims), rng.uniform(0.5, 2, dims)
  expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) -
                                                np.sqrt(v2)) ** 2)
  assert gm.gaussian_frechet_distance(
      mu1, np.diag(v1), mu2, np.diag(v2), eps=0.0) == pytest.approx(expected)
  # From samples, close to the distance of the generating Gaussians.
  x = rng.multivariate_normal(mu1, s1, size=20000)
  y = rng.multivariate_normal(mu2, s2, size=20000)
  assert gm.frechet_distance(x, y) == pytest.approx(reference, rel=0.05)


def test_frechet_distance_is_finite_for_singular_covariances():
  rng = np.random.default_rng(3)
  x = np.zeros([200, 5])
  x[:, :2] = rng.normal(size=[200, 2])  # Rank 2 of 5.
  value = gm.frechet_distance(x, x + 1.0)
  assert np.isfinite(value) and value == pytest.approx(5.0, rel=1e-3)
  with pytest.raises(ValueError, match='equal dims'):
    gm.frechet_distance(x, x[:, :3])


def test_precision_recall_of_identical_and_disjoint_sets():
  x = np.random.default_rng(4).normal(size=[300, 5])
  assert gm.precision_recall(x, x, k=3) == (1.0, 1.0)
  assert gm.precision_recall(x, x + 100.0, k=3) == (0.0, 0.0)
  # A generated set collapsed near the real mode: realistic, not diverse
  # (high precision, low recall).
  collapsed = 0.1 * np.random.default_rng(5).normal(size=[300, 5])
  precision, recall = gm.precision_recall(x, collapsed, k=3)
  assert precision > 0.9 and recall < 0.2
  # Each set is subsampled on its own, by the seed.
  sub = gm.precision_recall(x, x, max_points=100, seed=1)
  assert sub == gm.precision_recall(x, x, max_points=100, seed=1)
  assert min(sub) > 0.7


def test_knn_radii():
  x = np.array([[0.0], [1.0], [3.0], [6.0]])
  np.testing.assert_allclose(gm.knn_radii(x, k=1), [1.0, 1.0, 4.0, 9.0])
  np.testing.assert_allclose(gm.knn_radii(x, k=2), [9.0, 4.0, 9.0, 25.0])


def test_embedding_shape_and_audible_frames():
  embedding = gm.frame_embedding(_tone(), SR)
  assert embedding.shape == (SR // gm.HOP + 1, 2 * gm.N_MFCC)
  assert np.all(np.isfinite(embedding))
  # The same clip at 48 kHz has the same frames.
  t = np.arange(48000) / 48000
  at_48k = gm.frame_embedding(0.3 * np.sin(2 * np.pi * 220 * t), 48000)
  assert at_48k.shape == embedding.shape
  assert gm.num_embedding_frames(48000, 48000) == len(embedding)
  loudness = np.full(FRAME_RATE + 1, -80.0)
  loudness[:FRAME_RATE // 2] = -20.0  # Audible for the first half second.
  mask = gm.audible_mask(loudness, FRAME_RATE, len(embedding))
  assert mask[:31].all() and not mask[33:].any()


def test_flatness_of_noise_exceeds_that_of_a_sine():
  noise = np.mean(gm.frame_flatness(_noise(), SR))
  tone = np.mean(gm.frame_flatness(_tone(), SR))
  assert noise > 0.4 and tone < 0.01


def test_flux_of_a_steady_tone_is_below_that_of_noise():
  n = gm.num_embedding_frames(SR, SR)
  inner = np.zeros(n, bool)
  inner[4:-4] = True  # Away from the zero-padded edges.
  tone = gm.frame_flux(_tone(), SR, inner)
  noise = gm.frame_flux(_noise(), SR, inner)
  assert len(tone) == n - 9
  assert np.mean(tone) < 1e-6 < 0.01 < np.mean(noise)
  # Level changes are not timbre changes.
  ramp = _tone() * np.linspace(0.1, 1.0, SR, dtype=np.float32)
  assert np.mean(gm.frame_flux(ramp, SR, inner)) < 1e-3


@pytest.mark.parametrize('estimator', ['yin', 'pyin'])
def test_f0_consistency_of_a_sine_at_the_requested_pitch(estimator):
  n_frames = FRAME_RATE + 1
  loudness = np.full(n_frames, -20.0)
  loudness[-20:] = -90.0  # Not scored.
  cents = gm.f0_consistency(_tone(220.0), SR, FRAME_RATE,
                            np.full(n_frames, 220.0), loudness,
                            estimator=estimator)
  assert np.isnan(cents[-20:]).all()
  accuracy, median, frames = gm.f0_agreement(cents)
  assert frames == n_frames - 20
  assert accuracy > 0.97 and median < 5.0
  # A semitone off: nothing within 50 cents.
  off = gm.f0_consistency(_tone(220.0), SR, FRAME_RATE,
                          np.full(n_frames, 233.08), loudness,
                          estimator=estimator)
  accuracy, median, _ = gm.f0_agreement(off)
  assert accuracy < 0.03 and median == pytest.approx(100.0, abs=5.0)
