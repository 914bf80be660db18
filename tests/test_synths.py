"""FastHarmonic against ddsp's Harmonic: same signal, same gradients."""

import ddsp
from ddsp import core
import gin
import numpy as np
import pytest
import tensorflow as tf

from ddsp_generative.core import synths


def _controls(seed, batch=2, n_frames=16, n_harmonics=12, f0_range=(60, 600)):
  """Random network outputs and f0, as the decoder would give them."""
  rng = np.random.default_rng(seed)
  amps = rng.normal(size=[batch, n_frames, 1]).astype(np.float32)
  harmonics = rng.normal(size=[batch, n_frames, n_harmonics]).astype(
      np.float32)
  f0 = rng.uniform(*f0_range, size=[batch, n_frames, 1]).astype(np.float32)
  return tf.constant(amps), tf.constant(harmonics), tf.constant(f0)


def ddsp_float64_phase(controls, n_samples, sample_rate, amp_resample_method):
  """ddsp's `core.harmonic_synthesis`, phase accumulated in float64.

  Every envelope is computed by ddsp's own functions; only the phase
  accumulation (a float32 `tf.cumsum` of every harmonic in ddsp, which drifts
  by up to radians over seconds) runs in float64. This is the signal ddsp's
  algorithm defines.
  """
  f0, amps, dist = (controls['f0_hz'], controls['amplitudes'],
                    controls['harmonic_distribution'])
  n_harmonics = int(dist.shape[-1])
  freqs = core.resample(core.get_harmonic_frequencies(f0, n_harmonics),
                        n_samples).numpy().astype(np.float64)
  env = core.resample(amps * dist, n_samples,
                      method=amp_resample_method).numpy().astype(np.float64)
  env = np.where(freqs >= sample_rate / 2.0, 0.0, env)
  phase = np.cumsum(2.0 * np.pi * freqs / sample_rate, axis=1)
  return np.sum(env * np.sin(phase), axis=-1)


def _pair(**kwargs):
  return ddsp.synths.Harmonic(**kwargs), synths.FastHarmonic(**kwargs)


@pytest.mark.parametrize('normalize_below_nyquist', [True, False])
@pytest.mark.parametrize('amp_resample_method', ['window', 'linear'])
def test_equals_ddsp_algorithm_within_float32_tolerance(
    normalize_below_nyquist, amp_resample_method):
  # 1 s at 16 kHz, 60 harmonics, f0 up to 1.2 kHz: many harmonics cross
  # Nyquist inside frames.
  n_samples, sample_rate = 16000, 16000
  ddsp_synth, fast_synth = _pair(
      n_samples=n_samples, sample_rate=sample_rate,
      normalize_below_nyquist=normalize_below_nyquist,
      amp_resample_method=amp_resample_method)
  amps, harmonics, f0 = _controls(0, n_frames=250, n_harmonics=60,
                                  f0_range=(50, 1200))
  controls = fast_synth.get_controls(amps, harmonics, f0)
  reference = ddsp_float64_phase(controls, n_samples, sample_rate,
                                 amp_resample_method)
  fast = fast_synth(amps, harmonics, f0).numpy()
  ours = ddsp_synth(amps, harmonics, f0).numpy()
  peak = np.abs(reference).max()
  fast_error = np.abs(fast - reference).max() / peak
  ddsp_error = np.abs(ours - reference).max() / peak
  assert fast.shape == ours.shape == (2, n_samples)
  assert fast_error < 1e-4
  # ddsp's float32 per-harmonic cumsum drifts much further: any two
  # implementations differ by that much, whichever is faster.
  assert ddsp_error > 10 * fast_error


@pytest.mark.parametrize('seed', [1, 2])
def test_matches_ddsp_harmonic_where_its_phase_does_not_drift(seed):
  # Short and low (256 samples, harmonics below 2 kHz): ddsp's own float32
  # phase rounding stays below 1e-4 of the peak, so both implementations can
  # be compared directly. (The Nyquist path is compared with the float64
  # evaluation above, as it needs longer phases.)
  ddsp_synth, fast_synth = _pair(n_samples=256, sample_rate=16000)
  amps, harmonics, f0 = _controls(seed, n_frames=4, n_harmonics=8,
                                  f0_range=(60, 250))
  ours = ddsp_synth(amps, harmonics, f0).numpy()
  fast = fast_synth(amps, harmonics, f0).numpy()
  assert np.abs(fast - ours).max() < 1e-4 * np.abs(ours).max()


def test_gradients_match_ddsp():
  ddsp_synth, fast_synth = _pair(n_samples=256, sample_rate=16000)
  amps, harmonics, f0 = _controls(3, n_frames=4, n_harmonics=8,
                                  f0_range=(60, 250))
  weights = tf.constant(np.random.default_rng(3).normal(size=[2, 256]),
                        tf.float32)

  def grads(synth):
    with tf.GradientTape() as tape:
      tape.watch([amps, harmonics])
      loss = tf.reduce_sum(synth(amps, harmonics, f0) * weights)
    return tape.gradient(loss, [amps, harmonics])

  for ours, fast in zip(grads(ddsp_synth), grads(fast_synth)):
    ours, fast = ours.numpy(), fast.numpy()
    assert np.all(np.isfinite(fast))
    assert np.abs(fast - ours).max() < 1e-3 * np.abs(ours).max()


def test_gradient_reaches_f0():
  _, fast_synth = _pair(n_samples=256, sample_rate=16000)
  amps, harmonics, f0 = _controls(4, n_frames=4, n_harmonics=4)
  with tf.GradientTape() as tape:
    tape.watch(f0)
    loss = tf.reduce_sum(fast_synth(amps, harmonics, f0) ** 2)
  grad = tape.gradient(loss, f0).numpy()
  assert np.all(np.isfinite(grad)) and np.any(grad != 0)


def test_length_follows_n_samples_and_falls_back_when_not_a_multiple():
  ddsp_synth, fast_synth = _pair(n_samples=640, sample_rate=16000,
                                 amp_resample_method='linear')
  amps, harmonics, f0 = _controls(5, n_frames=10, n_harmonics=8,
                                  f0_range=(60, 200))
  fast_synth.n_samples = ddsp_synth.n_samples = 705  # Not 10 * hop: ddsp's.
  assert not synths.can_use_fast_path(10, 705, 'linear')
  np.testing.assert_array_equal(fast_synth(amps, harmonics, f0).numpy(),
                                ddsp_synth(amps, harmonics, f0).numpy())
  fast_synth.n_samples = 1280
  assert fast_synth(amps, harmonics, f0).shape == (2, 1280)


def test_frame_weights_are_ddsp_window_upsampling():
  frames = tf.constant(np.random.default_rng(6).normal(size=[1, 5, 1]),
                       tf.float32)
  upsampled = core.upsample_with_windows(frames, 5 * 16).numpy()[0, :, 0]
  w_a, w_b = synths.frame_weights(16, 'window')
  x = frames.numpy()[0, :, 0]
  x_next = np.append(x[1:], x[-1])
  ours = (x[:, None] * w_a.numpy() + x_next[:, None] * w_b.numpy()).ravel()
  np.testing.assert_allclose(ours, upsampled, atol=1e-6)


def test_registered_with_gin():
  import ddsp_generative.training  # pylint: disable=g-import-not-at-top,unused-import
  gin.clear_config()
  gin.parse_config(['FastHarmonic.n_samples = 320'])
  synth = gin.get_configurable('synths.FastHarmonic')()
  assert isinstance(synth, ddsp.synths.Harmonic) and synth.n_samples == 320
  gin.clear_config()
