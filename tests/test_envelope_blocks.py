"""EnvelopeControl block by block: the same clip as whole, bounded memory."""

import gc
import os
import tracemalloc

import numpy as np
import pytest

from ddsp_generative import controls
from ddsp_generative.controls import envelope as envelope_control
from ddsp_generative.core import artifacts
from ddsp_generative.envelopes import normalize
from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import sampler

FRAME_RATE = 250  # The embedded envelope model's: 1 s windows of 250 frames.
WINDOW = 250
CROSSFADE = 25  # EnvelopeControl's default 0.1 s.
HOP = WINDOW - CROSSFADE


def naive_chain(windows, n_frames, crossfade):
  """The whole-clip crossfade, window after window (the former code)."""
  out = np.asarray(windows[0], np.float64)
  ramp = (np.arange(crossfade) + 1.0) / (crossfade + 1.0)
  for window in windows[1:]:
    window = np.asarray(window, np.float64)
    if crossfade:
      mixed = out[-crossfade:] * (1.0 - ramp) + window[:crossfade] * ramp
      out = np.concatenate([out[:-crossfade], mixed])
    out = np.concatenate([out, window[crossfade:]])
  return out[:n_frames]


@pytest.fixture(scope='module')
def source():
  """40 s of envelopes: 45 windows, decoded in groups of 16, 16 and 13."""
  return envelope_control.EnvelopeControl(
      default_model.envelopes_dir(), pitch=64, seed=3, duration=40.0)


@pytest.fixture(scope='module')
def whole(source):
  return source.generate(FRAME_RATE)


@pytest.mark.parametrize('window,crossfade,n_frames', [
    (10, 4, 16), (10, 5, 37), (10, 0, 30), (7, 3, 3), (7, 3, 7),
    (WINDOW, CROSSFADE, 4000)])
def test_chained_frames_are_the_windows_crossfaded(window, crossfade,
                                                   n_frames):
  rng = np.random.default_rng(window + crossfade + n_frames)
  n_windows = envelope_control.n_windows_for(n_frames, window, crossfade)
  windows = list(rng.normal(size=[n_windows, window]))
  expected = naive_chain(windows, n_frames, crossfade)
  assert len(expected) == n_frames  # n_windows_for covers the clip.
  np.testing.assert_array_equal(
      envelope_control.chain_windows(windows, n_frames, crossfade), expected)
  asked = []

  def window_at(k):
    asked.append(k)
    return windows[k]

  for start, stop in [(0, 1), (n_frames - 1, n_frames), (1, n_frames),
                      (n_frames // 3, n_frames // 2 + 1)]:
    asked.clear()
    np.testing.assert_array_equal(
        envelope_control.chained_frames(window_at, start, stop, window,
                                        crossfade, n_windows),
        expected[start:stop])
    # Only the windows of the range and the one crossfading into it.
    assert set(asked) <= set(range(max(0, start // (window - crossfade) - 1),
                                   (stop - 1) // (window - crossfade) + 1))
  with pytest.raises(ValueError, match='cover'):
    envelope_control.chain_windows(windows, n_frames + window, crossfade)
  with pytest.raises(ValueError, match='half a window'):
    envelope_control.chain_windows(windows, n_frames, window // 2 + 1)


@pytest.mark.parametrize('block_frames', [
    1, 7, HOP, HOP + 5, 1000, sampler.BLOCK_FRAMES, 20000])
def test_blocks_are_the_whole_clip_bitwise(source, whole, block_frames):
  blocks = controls.as_blocks(source, FRAME_RATE, block_frames)
  assert blocks.n_frames == len(whole[0]) == 10000
  for _ in range(2):  # The sampler reads the blocks once per sample.
    starts, f0_hz, loudness_db = zip(*blocks)
    np.testing.assert_array_equal(np.concatenate(f0_hz), whole[0])
    np.testing.assert_array_equal(np.concatenate(loudness_db), whole[1])
  if block_frames == HOP + 5:
    # These blocks cut crossfades (frame k * HOP + offset, offset < CROSSFADE,
    # mixes windows k - 1 and k) and groups of decoded windows.
    cuts = np.array(starts[1:])
    assert np.any((cuts >= HOP) & (cuts % HOP < CROSSFADE) & (cuts % HOP > 0))
    assert np.any(cuts // HOP % envelope_control.WINDOWS_PER_DECODE == 0)


def test_any_range_in_any_order_is_the_same_slice(whole):
  fresh = envelope_control.EnvelopeControl(
      default_model.envelopes_dir(), pitch=64, seed=3, duration=40.0)
  rng = np.random.default_rng(0)
  cuts = np.sort(rng.choice(np.arange(1, 10000), 12, replace=False))
  ranges = list(zip(np.concatenate([[0], cuts]), np.concatenate([cuts,
                                                                 [10000]])))
  for start, stop in reversed(ranges):  # Backwards: every group re-decoded.
    f0_hz, loudness_db = fresh.frames(FRAME_RATE, start, stop)
    assert f0_hz.dtype == loudness_db.dtype == np.float32
    np.testing.assert_array_equal(f0_hz, whole[0][start:stop])
    np.testing.assert_array_equal(loudness_db, whole[1][start:stop])
  assert [len(a) for a in fresh.frames(FRAME_RATE, 5, 5)] == [0, 0]


def test_windows_follow_the_seed_and_pitch(source, whole):
  f0_hz, loudness_db = whole
  assert np.all(np.isfinite(f0_hz)) and np.all(f0_hz > 0)
  # Every window sits at the requested pitch, the later groups' too.
  for k in (0, 20, 44):
    a = k * HOP + CROSSFADE
    cents = 100 * (normalize.median_voiced_midi(
        f0_hz[a:a + HOP - CROSSFADE], loudness_db[a:a + HOP - CROSSFADE]) - 64)
    assert abs(cents) < 100, (k, cents)
  # Each group of windows draws its own z: window 16 is not window 0.
  group = envelope_control.WINDOWS_PER_DECODE
  assert not np.allclose(loudness_db[group * HOP + CROSSFADE:][:100],
                         loudness_db[CROSSFADE:CROSSFADE + 100])


def test_short_clips_draw_what_the_model_samples(source):
  """Up to WINDOWS_PER_DECODE windows: the z of `EnvelopeVae.sample`."""
  short = envelope_control.EnvelopeControl(
      default_model.envelopes_dir(), pitch=64, seed=3, duration=2.5)
  n_windows = envelope_control.n_windows_for(625, WINDOW, CROSSFADE)
  midi, loudness_db = normalize.denormalize(
      short.model.sample(n_windows, 64.0, seed=3).numpy(), 64.0)
  f0_hz, loud = short.generate(FRAME_RATE)
  # The graph-mode decoder agrees with the eager one to float32 rounding.
  np.testing.assert_allclose(
      f0_hz, controls.midi_to_hz(naive_chain(list(midi), 625, CROSSFADE)),
      rtol=1e-5)
  np.testing.assert_allclose(loud, naive_chain(list(loudness_db), 625,
                                               CROSSFADE), atol=1e-3)
  # The first 2.5 s of the 40 s clip are the same windows.
  np.testing.assert_array_equal(f0_hz[:400],
                                source.frames(FRAME_RATE, 0, 400)[0])


def test_bad_ranges_and_rates_are_refused(source):
  with pytest.raises(ValueError, match='not inside the 10000 frames'):
    source.frames(FRAME_RATE, 9999, 10001)
  with pytest.raises(ValueError, match='250 frames per second, not 100'):
    controls.as_blocks(source, 100, 1000)
  with pytest.raises(ValueError, match='seed must be an integer >= 0'):
    envelope_control.EnvelopeControl(default_model.envelopes_dir(), seed=-1)
  with pytest.raises(ValueError, match='crossfade must be finite'):
    envelope_control.EnvelopeControl(default_model.envelopes_dir(),
                                     crossfade=float('inf'))


def test_non_finite_windows_are_refused_with_their_block():
  broken = envelope_control.EnvelopeControl(default_model.envelopes_dir(),
                                            duration=5.0)
  # Weights that overflow float32 (loading refuses non-finite ones).
  kernel = broken.model.decoder_out.kernel
  kernel.assign(np.full(kernel.shape, 3e38, np.float32))
  with pytest.raises(artifacts.ArtifactError, match='non-finite envelopes'):
    next(iter(controls.as_blocks(broken, FRAME_RATE, 100)))


def _rss_bytes():
  """Resident memory of this process (Linux), or None."""
  try:
    with open('/proc/self/statm') as f:
      return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
  except (OSError, ValueError):
    return None


def _iterate(seconds):
  """(frames, tracemalloc peak, RSS growth or None) of a clip's blocks."""
  clip = envelope_control.EnvelopeControl(
      default_model.envelopes_dir(), pitch=64, seed=1, duration=seconds)
  clip.frames(FRAME_RATE, 0, 1)  # Traces the decoder.
  gc.collect()
  before = _rss_bytes()
  peak_rss = before
  n = 0
  tracemalloc.start()
  try:
    for _, f0_hz, _ in controls.as_blocks(clip, FRAME_RATE,
                                          sampler.BLOCK_FRAMES):
      n += len(f0_hz)
      if before is not None:
        peak_rss = max(peak_rss, _rss_bytes())
    peak = tracemalloc.get_traced_memory()[1]
  finally:
    tracemalloc.stop()
  return n, peak, None if before is None else peak_rss - before


def test_ten_minutes_take_the_memory_of_one():
  """Bounded memory; an hour by hand: +2 MB RSS, as 10 s (whole: +840 MB)."""
  short_frames, short_peak, short_rss = _iterate(60.0)
  long_frames, long_peak, long_rss = _iterate(600.0)
  assert (short_frames, long_frames) == (15_000, 150_000)
  # About a block's arrays (8192 frames, a few float64 copies) and two
  # groups of decoded windows, whatever the duration (the whole clip's 667
  # windows alone were 2.7 MB).
  assert long_peak < 1.5 * short_peak + 256 * 1024, (short_peak, long_peak)
  assert long_peak < 2 * 2**20, long_peak
  if long_rss is not None:
    # Decoding the 667 windows at once took 160 MB more.
    assert long_rss < 32 * 2**20, (short_rss, long_rss)
