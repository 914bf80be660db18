"""Generated controls: notes, glissandi, melodies with rests and legato."""

import json
import logging

import gin
import numpy as np
import pytest

from ddsp_generative import controls
from ddsp_generative.sampling import sampler

FRAME_RATE = 250


def to_midi(f0_hz):
  return 69.0 + 12.0 * np.log2(np.asarray(f0_hz, np.float64) / 440.0)


def centre(start, end):
  """The frame at the middle of [start, end) seconds."""
  return int((start + end) / 2 * FRAME_RATE)


def test_default_melody_is_the_old_concatenation_of_notes():
  f0, loudness = controls.Melody().generate(FRAME_RATE)
  notes = [controls.Note(p, 0.5).generate(FRAME_RATE)
           for p in (60, 62, 64, 65, 67)]
  np.testing.assert_array_equal(f0, np.concatenate([n[0] for n in notes]))
  np.testing.assert_allclose(loudness, np.concatenate([n[1] for n in notes]),
                             atol=1e-4)
  assert f0.dtype == loudness.dtype == np.float32


def test_melody_pitches_at_note_centres_within_a_cent():
  durations = (0.3, 0.5, 0.2, 0.7)
  pitches = (55, 62.5, 71, 48)
  f0, loudness = controls.Melody(pitches, durations).generate(FRAME_RATE)
  assert len(f0) == len(loudness) == round(sum(durations) * FRAME_RATE)
  onsets = np.concatenate([[0], np.cumsum(durations)])
  for pitch, a, b in zip(pitches, onsets[:-1], onsets[1:]):
    assert abs(to_midi(f0[centre(a, b)]) - pitch) * 100 < 1


def test_rests_are_silent_and_hold_the_previous_pitch():
  melody = controls.Melody(pitches=(None, 64, 0, 67, None),
                           durations=(0.2, 0.4, 0.4, 0.4, 0.2))
  f0, loudness = melody.generate(FRAME_RATE)
  midi = to_midi(f0)
  leading, rest, trailing = slice(0, 50), slice(150, 250), slice(350, 400)
  np.testing.assert_array_equal(loudness[leading], controls.SILENCE_DB)
  np.testing.assert_array_equal(loudness[rest], controls.SILENCE_DB)
  np.testing.assert_array_equal(loudness[trailing], controls.SILENCE_DB)
  np.testing.assert_allclose(midi[leading], 64, atol=0.01)  # the next pitch
  np.testing.assert_allclose(midi[rest], 64, atol=0.01)
  np.testing.assert_allclose(midi[trailing], 67, atol=0.01)
  assert loudness[centre(0.2, 0.6)] > -35 and loudness[centre(1.0, 1.4)] > -35


def test_legato_has_no_dip_between_notes_and_glides():
  kwargs = dict(pitches=(60, 67, 64), durations=0.5, peak_db=-20.0)
  legato_f0, legato = controls.Melody(legato=True, portamento=0.08,
                                      **kwargs).generate(FRAME_RATE)
  _, detached = controls.Melody(**kwargs).generate(FRAME_RATE)
  for boundary in (0.5, 1.0):
    around = slice(centre(boundary - 0.5, boundary),
                   centre(boundary, boundary + 0.5))
    assert legato[around].min() >= -20.0 - 4.0 - 0.01  # sustain level
    assert detached[around].min() < -50.0
  # One attack only: legato loudness reaches its peak once, at the start.
  assert np.argmax(legato) < 0.1 * FRAME_RATE
  # The glide: 20 frames from 60 to 67, monotonic, then 67 held.
  glide = to_midi(legato_f0[125:125 + 20])
  assert np.all(np.diff(glide) > 0) and 60 < glide[0] < glide[-1] < 67
  for pitch, a in zip(kwargs['pitches'], (0.0, 0.5, 1.0)):
    assert abs(to_midi(legato_f0[centre(a, a + 0.5)]) - pitch) * 100 < 1


def test_rest_ends_a_legato_phrase():
  _, loudness = controls.Melody(pitches=(60, None, 62), durations=0.4,
                                legato=True).generate(FRAME_RATE)
  assert np.all(loudness[100:200] == controls.SILENCE_DB)
  assert loudness[200] < -60 < loudness[centre(0.8, 1.2)]  # re-attacked


def test_loudness_follows_velocity_and_peak_db():
  velocities = (30, 127, 80, 100)
  _, loudness = controls.Melody(pitches=(60, 62, 64, 65), durations=0.5,
                                velocities=velocities,
                                peak_db=-20.0).generate(FRAME_RATE)
  levels = [loudness[centre(a, a + 0.5)] for a in (0, 0.5, 1.0, 1.5)]
  assert np.argsort(levels).tolist() == np.argsort(velocities).tolist()
  assert loudness[125:250].max() == pytest.approx(-20.0, abs=0.1)  # vel 127
  np.testing.assert_allclose(controls.velocity_to_db([127, 64, 1], -20.0, 30.0),
                             [-20.0, -20.0 - 30 * 63 / 126, -50.0])
  _, per_note = controls.Melody(pitches=(60, 62), durations=0.5,
                                peak_db=(-40.0, -10.0)).generate(FRAME_RATE)
  assert per_note[:125].max() == pytest.approx(-40.0, abs=0.1)
  assert per_note[125:].max() == pytest.approx(-10.0, abs=0.1)


@pytest.mark.parametrize('start,end', [(48, 60.5), (72, 55)])
def test_glissando_is_monotonic_with_exact_endpoints(start, end):
  f0, loudness = controls.Glissando(start, end, duration=1.0).generate(
      FRAME_RATE)
  midi = to_midi(f0)
  assert len(f0) == len(loudness) == FRAME_RATE
  assert abs(midi[0] - start) * 100 < 1 and abs(midi[-1] - end) * 100 < 1
  steps = np.diff(midi) * np.sign(end - start)
  assert np.all(steps > 0)
  np.testing.assert_allclose(steps, steps.mean(), atol=1e-4)  # linear


def test_glissando_holds_its_pitches_around_the_glide():
  f0, _ = controls.Glissando(60, 64, duration=2.0, glide_start=0.5,
                             glide_time=0.5).generate(FRAME_RATE)
  midi = to_midi(f0)
  np.testing.assert_allclose(midi[:126], 60, atol=0.01)
  np.testing.assert_allclose(midi[250:], 64, atol=0.01)
  assert np.all(np.diff(midi[125:251]) > 0)
  with pytest.raises(ValueError, match='exceeds its duration'):
    controls.Glissando(60, 64, duration=1.0, glide_start=0.5, glide_time=1.0)


@pytest.mark.parametrize('source', [
    controls.Note(pitch=69, duration=1.0, vibrato_hz=5.0, vibrato_cents=30.0),
    controls.Glissando(69, 69, duration=1.0, vibrato_hz=5.0,
                       vibrato_cents=30.0),
    controls.Melody(pitches=(69, 69), durations=0.5, vibrato_hz=5.0,
                    vibrato_cents=30.0),
])
def test_vibrato_depth_and_rate(source):
  cents = (to_midi(source.generate(FRAME_RATE)[0]) - 69) * 100
  assert cents.max() == pytest.approx(30.0, abs=0.5)
  assert cents.min() == pytest.approx(-30.0, abs=0.5)
  spectrum = np.abs(np.fft.rfft(cents))
  assert np.argmax(spectrum) * FRAME_RATE / len(cents) == 5.0


@pytest.mark.parametrize('make', [
    lambda d: controls.Note(duration=d),
    lambda d: controls.Glissando(duration=d),
    lambda d: controls.Melody(pitches=(60, 62), durations=(0.5, d)),
    lambda d: controls.Melody(pitches=(60, None), durations=(0.5, d)),
])
@pytest.mark.parametrize('duration', [0, -0.5, float('nan')])
def test_non_positive_durations_are_rejected(make, duration):
  with pytest.raises(ValueError, match='positive number of seconds'):
    make(duration)


def test_other_bad_melodies_are_rejected():
  with pytest.raises(ValueError, match='3 values for 2 notes'):
    controls.Melody(pitches=(60, 62), durations=(0.5, 0.5, 0.5))
  with pytest.raises(ValueError, match='all rests'):
    controls.Melody(pitches=(None, 0), durations=0.5)
  with pytest.raises(ValueError, match='attack'):
    controls.Melody(attack=-0.1)


def test_out_of_range_pitches_are_clipped_with_a_warning(caplog):
  with caplog.at_level(logging.WARNING):
    f0, _ = controls.Melody(pitches=(130, 60, 3), durations=0.2).generate(
        FRAME_RATE)
    gliss, _ = controls.Glissando(100, 120, duration=0.5).generate(FRAME_RATE)
  assert 'Melody pitch [3.0, 130.0] is outside MIDI' in caplog.text
  assert 'Glissando pitch [120.0] is outside MIDI' in caplog.text
  np.testing.assert_allclose(to_midi(f0[[25, 75, 125]]),
                             [controls.MAX_MIDI, 60, controls.MIN_MIDI],
                             atol=1e-3)
  assert to_midi(gliss).max() == pytest.approx(controls.MAX_MIDI, abs=1e-3)


@pytest.fixture
def clean_gin():
  gin.clear_config()
  yield
  gin.clear_config()


@pytest.mark.parametrize('bindings,kind', [
    (['Note.pitch = 62', 'Note.duration = 0.4'], 'Note'),
    (['control_source.source = @Glissando()', 'Glissando.start_pitch = 50',
      'Glissando.end_pitch = 62', 'Glissando.duration = 0.4'], 'Glissando'),
    (['control_source.source = @Melody()',
      'Melody.pitches = (60, None, 64)', 'Melody.durations = (0.1, 0.1, 0.2)',
      'Melody.velocities = (100, 1, 60)', 'Melody.legato = True'], 'Melody'),
])
@pytest.mark.usefixtures('clean_gin')
def test_every_source_is_gin_configurable(bindings, kind):
  gin.parse_config(bindings)
  source = sampler.control_source()
  assert type(source).__name__ == kind
  f0, loudness = source.generate(FRAME_RATE)
  assert len(f0) == len(loudness) == 0.4 * FRAME_RATE
  assert np.all(np.isfinite(f0)) and np.all(loudness >= controls.SILENCE_DB)
  described = sampler.describe_controls(source)
  assert json.loads(json.dumps(described)) == described


def test_blocks_of_a_source_with_only_generate_cover_the_whole_clip():
  """A source with only `generate` (no frames()) is cut into blocks of its
  whole clip: every block holds its frames, not the first block's."""

  class WholeOnly:

    def generate(self, frame_rate):
      del frame_rate
      return (np.arange(10, dtype=np.float32) + 100.0,
              -np.arange(10, dtype=np.float32))

  blocks = list(controls.as_blocks(WholeOnly(), 250, 3))
  assert [start for start, _, _ in blocks] == [0, 3, 6, 9]
  f0 = np.concatenate([b[1] for b in blocks])
  db = np.concatenate([b[2] for b in blocks])
  np.testing.assert_array_equal(f0, np.arange(10) + 100.0)
  np.testing.assert_array_equal(db, -np.arange(10))
