"""Tests for ddsp_generative.core.f0: offline pitch on ddsp's frame grid."""

from ddsp import spectral_ops
import numpy as np
import pytest

from ddsp_generative import environment
from ddsp_generative.core import f0

SAMPLE_RATE = 16000


def harmonic_tone(f0_hz, secs=1.0, sample_rate=SAMPLE_RATE, amplitude=0.3):
  """Sum of harmonics below Nyquist with 1/k amplitudes, [n_samples]."""
  t = np.arange(int(secs * sample_rate)) / sample_rate
  harmonics = [k for k in range(1, 6) if k * f0_hz < sample_rate / 2]
  audio = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in harmonics)
  return (amplitude * audio / np.max(np.abs(audio))).astype(np.float32)


def cents(a, b):
  return 1200.0 * np.abs(np.log2(np.asarray(a) / np.asarray(b)))


@pytest.mark.parametrize('estimator', ['pyin', 'yin'])
@pytest.mark.parametrize('f0_hz', [65.4, 220.0, 440.0, 1318.5])
def test_known_f0_within_50_cents(estimator, f0_hz):
  audio = harmonic_tone(f0_hz)
  n_frames = f0.num_frames(len(audio), SAMPLE_RATE // 250, center=False)
  f0_hz_est, confidence = f0.estimate_f0(audio, SAMPLE_RATE, 250, n_frames,
                                         estimator)
  assert f0_hz_est.shape == confidence.shape == (n_frames,)
  assert f0_hz_est.dtype == confidence.dtype == np.float32
  assert np.mean(cents(f0_hz_est, f0_hz) < 50) > 0.9
  assert np.all((confidence >= 0) & (confidence <= 1))
  assert np.median(confidence) > 0.15


@pytest.mark.parametrize('center', [False, True])
@pytest.mark.parametrize('frame_rate', [250, 50])
def test_frames_match_ddsp_loudness(center, frame_rate):
  audio = harmonic_tone(220.0, secs=0.5)
  hop = SAMPLE_RATE // frame_rate
  padding = 'center' if center else 'same'
  with np.errstate(divide='ignore'):  # librosa.A_weighting(0 Hz).
    loudness = spectral_ops.compute_loudness(
        audio, SAMPLE_RATE, frame_rate, n_fft=512, use_tf=False,
        padding=padding)
  n_frames = f0.num_frames(len(audio), hop, center)
  assert n_frames == len(loudness)
  assert n_frames == spectral_ops.get_framed_lengths(
      len(audio), 1024, hop, padding)[0]
  f0_hz, confidence = f0.estimate_f0(audio, SAMPLE_RATE, frame_rate, n_frames,
                                     'yin')
  assert len(f0_hz) == len(confidence) == n_frames


@pytest.mark.parametrize('estimator', ['pyin', 'yin'])
def test_frame_i_is_centred_on_sample_i_times_hop(estimator):
  frame_rate, onset = 50, 8000
  audio = harmonic_tone(220.0)
  audio[:onset] = 0.0
  hop = SAMPLE_RATE // frame_rate
  _, confidence = f0.estimate_f0(audio, SAMPLE_RATE, frame_rate,
                                 len(audio) // hop + 1, estimator)
  onset_frame = onset // hop
  # Frames wholly before the onset are unvoiced, frames after it voiced.
  assert confidence[:onset_frame - 2].max() < 0.5
  assert confidence[onset_frame + 2:].min() > 0.5
  assert abs(int(np.argmax(confidence > 0.5)) - onset_frame) <= 1


def test_pyin_fills_unvoiced_frames_with_nearest_voiced_f0():
  audio = np.concatenate([
      np.zeros(4000, np.float32), harmonic_tone(220.0, 0.25),
      np.zeros(4000, np.float32), harmonic_tone(440.0, 0.25)])
  hop = SAMPLE_RATE // 50
  f0_hz, confidence = f0.estimate_f0(audio, SAMPLE_RATE, 50,
                                     len(audio) // hop, 'pyin')
  assert np.all(np.isfinite(f0_hz)) and np.all(f0_hz > 0)
  # Leading silence and the first half of the gap take the first tone's f0,
  # the second half of the gap the second tone's.
  assert np.all(cents(f0_hz[:10], 220.0) < 50)
  assert np.all(cents(f0_hz[25:30], 220.0) < 50)
  assert np.all(cents(f0_hz[33:38], 440.0) < 50)
  assert confidence[:8].max() < 0.5 and confidence[27:36].max() < 0.5


def test_fill_unvoiced():
  f0_hz = np.array([np.nan, 100.0, np.nan, np.nan, 200.0, np.nan])
  voiced = np.isfinite(f0_hz)
  np.testing.assert_array_equal(f0.fill_unvoiced(f0_hz, voiced),
                                [100, 100, 100, 200, 200, 200])


@pytest.mark.parametrize('estimator', ['pyin', 'yin'])
def test_silence_gives_finite_f0_and_zero_confidence(estimator):
  f0_hz, confidence = f0.estimate_f0(np.zeros(8000, np.float32), SAMPLE_RATE,
                                     250, 125, estimator)
  assert np.all(np.isfinite(f0_hz)) and np.all(f0_hz > 0)
  assert confidence.max() < 0.05


def test_yin_confidence_low_for_noise():
  noise = 0.1 * np.random.RandomState(0).randn(SAMPLE_RATE).astype(np.float32)
  _, confidence = f0.estimate_f0(noise, SAMPLE_RATE, 250, 250, 'yin')
  assert np.median(confidence) < 0.3


def test_crepe_without_crepe_raises_with_install_hint():
  if environment.crepe_available():
    pytest.skip('crepe is installed')
  with pytest.raises(environment.CrepeNotInstalledError,
                     match=r'pip install "ddsp_generative\[crepe\]"'):
    f0.estimate_f0(harmonic_tone(220.0, 0.1), SAMPLE_RATE, 250, 25, 'crepe')


@pytest.mark.parametrize('kwargs, match', [
    (dict(estimator='swipe'), 'Unknown f0 estimator'),
    (dict(frame_rate=300), 'multiple of frame_rate'),
    (dict(fmax=9000.0), 'fmax'),
    (dict(fmin=500.0, fmax=400.0), 'fmin'),
    (dict(audio=np.zeros((2, 1600), np.float32)), 'mono'),
    (dict(audio=np.zeros(0, np.float32)), 'empty'),
])
def test_bad_arguments_raise_value_error(kwargs, match):
  args = dict(audio=np.zeros(1600, np.float32), sample_rate=SAMPLE_RATE,
              frame_rate=250, n_frames=25)
  args.update(kwargs)
  with pytest.raises(ValueError, match=match):
    f0.estimate_f0(**args)


def test_frame_length_holds_two_periods_of_fmin():
  assert f0.frame_length_for(16000, f0.FMIN_HZ) == 1024
  for sample_rate in (16000, 22050, 44100, 48000):
    frame_length = f0.frame_length_for(sample_rate, f0.FMIN_HZ)
    assert sample_rate / f0.FMIN_HZ < frame_length // 2
