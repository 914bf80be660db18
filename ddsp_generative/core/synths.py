# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""A faster drop-in for ddsp's harmonic synthesizer.

`ddsp.synths.Harmonic` builds every envelope at the audio rate for every
harmonic before summing: it resamples the [batch, n_frames, n_harmonics]
harmonic frequencies to [batch, n_samples, n_harmonics] (`core.resample`),
upsamples the harmonic amplitudes with overlapping Hann windows
(`core.upsample_with_windows`, which materialises a
[batch, n_harmonics, n_frames, 2 * hop] tensor before its overlap-add),
accumulates one phase per harmonic with a float32 `tf.cumsum` and only then
multiplies by the sines. On 2 CPU cores that costs ~0.5 s forward and ~1.1 s
forward + backward for a batch of 8 four-second examples with 60 harmonics;
FastHarmonic takes ~0.1 s for both (`benchmarks/synth_speed.py`).

`FastHarmonic` computes the same signal with the frame structure made explicit.
With hop = n_samples / n_frames, sample n = m * hop + j lies between frames m
and m + 1 (the last frame is held, as ddsp's `add_endpoint`), and

  audio[n] = w_a[j] * sum_k a[m, k] * s[n, k] + w_b[j] * sum_k a[m+1, k] * s[n, k]

where a = amplitudes * harmonic_distribution at the frame rate, (w_a, w_b)
are the two overlapping Hann windows of `upsample_with_windows` (or the linear
interpolation weights of `amp_resample_method='linear'`), and
s[n, k] = sin(k * phi[n]) for harmonics below Nyquist at sample n, else 0,
with phi the phase of the (linearly interpolated) fundamental. The two sums
over harmonics are one batched matrix product, so no audio-rate envelope is
ever built; only the fundamental's phase is accumulated, in float64 and
wrapped to [0, 2 pi) before it is multiplied by the harmonic numbers.

Numerics: the result equals ddsp's algorithm evaluated with exact (float64)
phase to better than 1e-4 of the peak. ddsp's own float32 output drifts
further from that reference (its per-harmonic float32 `cumsum` accumulates
phase error: ~5% of the peak after 1 s, ~24% after 4 s; 0.3-0.9% with
`use_angular_cumsum`), so the two implementations agree to within ddsp's own
rounding error: see `tests/test_synths.py` and `benchmarks/RESULTS.md`.

Controls ddsp's fast path cannot express (n_samples not a multiple of the
number of frames, frame counts that differ between inputs, or another
`amp_resample_method`) fall back to `ddsp.core.harmonic_synthesis`.
"""

import ddsp
import gin
import numpy as np
import tensorflow as tf

_FAST_AMP_METHODS = ('window', 'linear')


def frame_weights(hop, amp_resample_method='window'):
  """Weights of frames m and m + 1 for the hop samples starting at frame m.

  Args:
    hop: Samples per frame.
    amp_resample_method: 'window' (ddsp's `upsample_with_windows`: two
      half-overlapping periodic Hann windows of 2 * hop samples) or 'linear'.

  Returns:
    (w_a, w_b): float32 [hop] tensors, w_a + w_b = 1.
  """
  if amp_resample_method == 'window':
    window = tf.signal.hann_window(2 * hop)
    return window[hop:], window[:hop]
  if amp_resample_method == 'linear':
    t = tf.range(hop, dtype=tf.float32) / float(hop)
    return 1.0 - t, t
  raise ValueError(f'amp_resample_method must be one of {_FAST_AMP_METHODS} '
                   f'for the fast path, got {amp_resample_method!r}.')


def _hold_last(x):
  """x[:, 1:] with the last frame repeated: [batch, n_frames, ...]."""
  return tf.concat([x[:, 1:], x[:, -1:]], axis=1)


def fast_harmonic_synthesis(frequencies,
                            amplitudes,
                            harmonic_distribution,
                            n_samples=64000,
                            sample_rate=16000,
                            amp_resample_method='window',
                            initial_phase=None,
                            return_phase=False):
  """Harmonic synthesis equal to `ddsp.core.harmonic_synthesis`, faster.

  Args:
    frequencies: Frame-wise fundamental frequency in Hz, [batch, n_frames, 1].
    amplitudes: Frame-wise amplitude, [batch, n_frames, 1].
    harmonic_distribution: Frame-wise harmonic amplitudes (normalised by the
      caller, as `Harmonic.get_controls` does), [batch, n_frames,
      n_harmonics].
    n_samples: Output length; a multiple of n_frames.
    sample_rate: Sample rate in Hz.
    amp_resample_method: 'window' or 'linear' (see `frame_weights`).
    initial_phase: Optional [batch] float64 phase (radians) of the
      fundamental just before the first sample, to continue a previous call
      (chunked synthesis, `streaming.py`); default 0, as ddsp.
    return_phase: Also return the fundamental's phase at every sample.

  Returns:
    audio: [batch, n_samples] float32; with return_phase, also phase:
      [batch, n_samples] float64, wrapped to [0, 2 pi).
  """
  f0 = ddsp.core.tf_float32(frequencies)[..., 0]  # [batch, n_frames]
  amplitudes = ddsp.core.tf_float32(amplitudes)
  harmonic_distribution = ddsp.core.tf_float32(harmonic_distribution)
  n_frames = int(f0.shape[1])
  n_harmonics = int(harmonic_distribution.shape[-1])
  hop = n_samples // n_frames
  batch = tf.shape(f0)[0]

  # Audio-rate f0 of the fundamental only, linearly interpolated (as
  # `core.resample`), in float64 so that the phase does not drift.
  t = tf.range(hop, dtype=tf.float64) / float(hop)  # [hop]
  f0_64 = tf.cast(f0, tf.float64)
  f0_audio = (f0_64[:, :, tf.newaxis] +
              (_hold_last(f0_64) - f0_64)[:, :, tf.newaxis] * t)
  f0_audio = tf.reshape(f0_audio, [batch, n_samples])
  omega = f0_audio * (2.0 * np.pi / sample_rate)  # rad / sample
  phase = tf.cumsum(omega, axis=1)
  if initial_phase is not None:
    phase += tf.cast(initial_phase, tf.float64)[:, tf.newaxis]
  phase = tf.math.floormod(phase, 2.0 * np.pi)
  phase_64 = phase

  # Harmonic k sounds at sample n while k * f0[n] < Nyquist (ddsp's
  # `remove_above_nyquist`), i.e. k <= k_max[n].
  nyquist = sample_rate / 2.0
  safe_f0 = tf.where(f0_audio > 0.0, f0_audio, tf.ones_like(f0_audio))
  k_max = tf.where(f0_audio > 0.0, tf.math.ceil(nyquist / safe_f0) - 1.0,
                   tf.fill(tf.shape(f0_audio), tf.constant(n_harmonics, tf.float64)))
  k_max = tf.cast(k_max, tf.float32)

  # Sines of all harmonics, frame by frame: [batch * n_frames, hop, harmonics].
  shape = [batch * n_frames, hop, 1]
  phase = tf.reshape(tf.cast(phase, tf.float32), shape)
  k = tf.range(1, n_harmonics + 1, dtype=tf.float32)
  sines = tf.sin(phase * k)
  sines = tf.where(k <= tf.reshape(k_max, shape), sines, tf.zeros_like(sines))

  # Both frames' harmonic amplitudes: [batch * n_frames, harmonics, 2].
  frame_amps = amplitudes * harmonic_distribution
  frame_amps = tf.stack([frame_amps, _hold_last(frame_amps)], axis=-1)
  frame_amps = tf.reshape(frame_amps, [batch * n_frames, n_harmonics, 2])
  sums = tf.matmul(sines, frame_amps)  # [batch * n_frames, hop, 2]

  w_a, w_b = frame_weights(hop, amp_resample_method)
  audio = sums[..., 0] * w_a + sums[..., 1] * w_b
  audio = tf.reshape(audio, [batch, n_samples])
  return (audio, phase_64) if return_phase else audio


def can_use_fast_path(n_frames, n_samples, amp_resample_method,
                      other_frames=()):
  """Whether `fast_harmonic_synthesis` applies (else ddsp's function is used).

  Args:
    n_frames: Frames of f0.
    n_samples: Output samples.
    amp_resample_method: The synth's amplitude resampling method.
    other_frames: Frame counts of the other controls.

  Returns:
    bool.
  """
  return (amp_resample_method in _FAST_AMP_METHODS and
          0 < n_frames < n_samples and n_samples % n_frames == 0 and
          all(f == n_frames for f in other_frames))


@gin.register(module='ddsp_generative.synths')
class FastHarmonic(ddsp.synths.Harmonic):
  """`ddsp.synths.Harmonic` with a faster, drift-free `get_signal`.

  Same constructor arguments, controls and output as ddsp's Harmonic (see the
  module docstring for the equivalence and its limits). `use_angular_cumsum`
  is accepted for compatibility; the fast path's phase is accumulated in
  float64 either way, which is more accurate than both of ddsp's options.
  """

  def get_signal(self, amplitudes, harmonic_distribution, f0_hz):
    """Synthesizes audio from controls.

    Args:
      amplitudes: [batch, n_frames, 1], positive.
      harmonic_distribution: [batch, n_frames, n_harmonics], positive and
        normalised over harmonics.
      f0_hz: [batch, n_frames, 1] fundamental frequency in Hz.

    Returns:
      signal: [batch, n_samples] float32.
    """
    n_frames = int(f0_hz.shape[1])
    if not can_use_fast_path(
        n_frames, self.n_samples, self.amp_resample_method,
        (int(amplitudes.shape[1]), int(harmonic_distribution.shape[1]))):
      return super().get_signal(amplitudes, harmonic_distribution, f0_hz)
    return fast_harmonic_synthesis(
        frequencies=f0_hz,
        amplitudes=amplitudes,
        harmonic_distribution=harmonic_distribution,
        n_samples=self.n_samples,
        sample_rate=self.sample_rate,
        amp_resample_method=self.amp_resample_method)
