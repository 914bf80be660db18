"""MIDI files to f0/loudness controls, on real files written by pretty_midi."""

import json
import logging
import os

import gin
import numpy as np
import pretty_midi
import pytest

from ddsp_generative import controls
from ddsp_generative.controls import midi as midi_controls
from ddsp_generative.sampling import sampler

FRAME_RATE = 250


def write_midi(path, *parts):
  """Writes a MIDI file; returns its path.

  Args:
    path: Where.
    *parts: One instrument each: a list of (pitch, start, end[, velocity])
      notes, or (notes, Instrument kwargs such as is_drum or name).
  """
  midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
  for part in parts:
    notes, kwargs = part if isinstance(part, tuple) else (part, {})
    instrument = pretty_midi.Instrument(**{'program': 40, **kwargs})
    for note in notes:
      pitch, start, end, velocity = (tuple(note) + (100,))[:4]
      instrument.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch,
                                               start=start, end=end))
    midi.instruments.append(instrument)
  midi.write(str(path))
  return str(path)


def to_midi(f0_hz):
  return 69.0 + 12.0 * np.log2(np.asarray(f0_hz, np.float64) / 440.0)


def frame(seconds):
  return int(round(seconds * FRAME_RATE))


MELODY = [(60, 0.0, 0.5, 100), (64, 0.5, 1.0, 40), (67, 1.5, 2.0, 127),
          (72, 2.0, 2.5, 70)]


def test_notes_rests_and_velocities(tmp_path):
  path = write_midi(tmp_path / 'melody.mid', MELODY)
  source = midi_controls.MidiFile(path, peak_db=-20.0)
  f0, loudness = source.generate(FRAME_RATE)
  assert f0.dtype == loudness.dtype == np.float32
  assert len(f0) == len(loudness) == frame(2.5)
  midi = to_midi(f0)
  for pitch, start, end, _ in MELODY:
    assert abs(midi[frame((start + end) / 2)] - pitch) * 100 < 1
  # The rest (1.0-1.5 s): silent, f0 held at the last pitch.
  rest = slice(frame(1.0), frame(1.5))
  np.testing.assert_array_equal(loudness[rest], controls.SILENCE_DB)
  np.testing.assert_allclose(midi[rest], 64, atol=0.01)
  # Louder with velocity; velocity 127 peaks at peak_db.
  levels = [loudness[frame((s + e) / 2)] for _, s, e, _ in MELODY]
  velocities = [v for *_, v in MELODY]
  assert np.argsort(levels).tolist() == np.argsort(velocities).tolist()
  assert loudness[frame(1.5):frame(2.0)].max() == pytest.approx(-20.0, abs=0.1)
  assert json.loads(json.dumps(source.config)) == source.config


def test_touching_notes_are_legato_unless_told_otherwise(tmp_path):
  # 60 -> 67 touching (legato); 67 then 64 after a 0.25 s gap (re-attacked).
  path = write_midi(tmp_path / 'legato.mid',
                    [(60, 0.0, 0.5), (67, 0.5, 1.0), (64, 1.25, 1.75)])
  legato_f0, legato = midi_controls.MidiFile(path).generate(FRAME_RATE)
  _, detached = midi_controls.MidiFile(path, legato=False).generate(
      FRAME_RATE)
  touching = slice(frame(0.25), frame(0.75))
  sustain = -25.0 - 4.0 + controls.velocity_to_db(100, 0.0)
  assert legato[touching].min() >= sustain - 0.01
  assert detached[touching].min() < -50.0
  assert legato[frame(1.0):frame(1.25)].max() == controls.SILENCE_DB
  glide = to_midi(legato_f0[frame(0.5):frame(0.5) + frame(0.05)])
  assert np.all(np.diff(glide) > 0) and 60 < glide[0] < glide[-1] < 67


def test_small_overlaps_are_legato_not_polyphony(tmp_path, caplog):
  path = write_midi(tmp_path / 'overlap.mid',
                    [(60, 0.0, 0.53), (62, 0.5, 1.0)])
  with caplog.at_level(logging.WARNING):
    f0, loudness = midi_controls.MidiFile(path, top_voice=False).generate(
        FRAME_RATE)
  assert 'polyphonic' not in caplog.text
  sustain = -25.0 - 4.0 + controls.velocity_to_db(100, 0.0)
  assert loudness[frame(0.25):frame(0.75)].min() >= sustain - 0.01
  assert abs(to_midi(f0[frame(0.75)]) - 62) * 100 < 1


CHORDS = [(60, 0.0, 1.0), (64, 0.0, 1.0), (67, 0.0, 0.5), (55, 1.0, 2.0),
          (59, 1.25, 1.75)]


def test_polyphony_takes_the_top_voice_with_a_warning(tmp_path, caplog):
  path = write_midi(tmp_path / 'chords.mid', CHORDS)
  with caplog.at_level(logging.WARNING):
    f0, loudness = midi_controls.MidiFile(path).generate(FRAME_RATE)
  assert 'is polyphonic' in caplog.text and 'top voice' in caplog.text
  midi = to_midi(f0)
  # 67 until 0.5 s, then 64 (revealed), 55, 59 over it, 55 again.
  for seconds, pitch in ((0.25, 67), (0.75, 64), (1.1, 55), (1.5, 59),
                         (1.9, 55)):
    assert abs(midi[frame(seconds)] - pitch) * 100 < 1
  # The revealed 64 was already sounding: no new attack from silence.
  assert loudness[frame(0.4):frame(0.6)].min() > -40.0


def test_polyphony_is_an_error_when_one_voice_is_asked_for(tmp_path):
  path = write_midi(tmp_path / 'chords.mid', CHORDS)
  with pytest.raises(midi_controls.PolyphonicMidiError) as error:
    midi_controls.MidiFile(path, top_voice=False)
  message = str(error.value)
  assert isinstance(error.value, ValueError)
  assert path in message and 'top_voice=True' in message
  assert 'the first at 0.000 s' in message and 'G4' in message


def test_unreadable_files_give_a_clear_error(tmp_path):
  corrupt = tmp_path / 'corrupt.mid'
  corrupt.write_bytes(np.random.default_rng(0).bytes(2000))
  missing = str(tmp_path / 'missing.mid')
  cases = [(str(corrupt), 'not a valid Standard MIDI File'),
           (missing, 'does not exist'),
           (write_midi(tmp_path / 'empty.mid'), 'has no notes'),
           (write_midi(tmp_path / 'drums.mid',
                       ([(36, 0.0, 0.5)], {'is_drum': True})),
            'only drum notes')]
  for path, reason in cases:
    with pytest.raises(midi_controls.MidiFileError, match=reason) as error:
      midi_controls.MidiFile(path)
    assert isinstance(error.value, ValueError) and path in str(error.value)


def test_instrument_choice(tmp_path):
  path = write_midi(tmp_path / 'parts.mid',
                    ([(72, 0.0, 1.0)], {'name': 'Melody'}),
                    ([(48, 0.0, 1.0)], {'name': 'Bass', 'program': 32}),
                    ([(36, 0.0, 1.0)], {'is_drum': True, 'name': 'Kit'}))
  for instrument, pitch in ((None, 72), (1, 48), ('bass', 48),
                            ('Acoustic Bass', 48), ('Melody', 72)):
    f0, _ = midi_controls.MidiFile(path, instrument=instrument).generate(
        FRAME_RATE)
    assert abs(to_midi(f0[frame(0.5)]) - pitch) * 100 < 1
  with pytest.raises(midi_controls.MidiFileError, match="no instrument 'Oboe'"
                     r".*1: 'Bass' \(Acoustic Bass, 1 notes\)"):
    midi_controls.MidiFile(path, instrument='Oboe')
  with pytest.raises(midi_controls.MidiFileError, match='no pitched notes'):
    midi_controls.MidiFile(path, instrument=2)


def test_out_of_range_pitches_are_clipped_with_a_warning(tmp_path, caplog):
  path = write_midi(tmp_path / 'high.mid', [(120, 0.0, 0.5), (60, 0.5, 1.0)])
  with caplog.at_level(logging.WARNING):
    f0, _ = midi_controls.MidiFile(path).generate(FRAME_RATE)
  assert f'MIDI file {path}: pitch [120.0] is outside MIDI' in caplog.text
  assert to_midi(f0[frame(0.25)]) == pytest.approx(controls.MAX_MIDI, abs=1e-3)
  f0, _ = midi_controls.MidiFile(path, transpose=-12).generate(FRAME_RATE)
  assert to_midi(f0[frame(0.25)]) == pytest.approx(108, abs=1e-3)
  assert to_midi(f0[frame(0.75)]) == pytest.approx(48, abs=1e-3)


def test_window_and_durations(tmp_path):
  path = write_midi(tmp_path / 'melody.mid', MELODY)
  f0, loudness = midi_controls.MidiFile(path, start=1.5,
                                        duration=0.75).generate(FRAME_RATE)
  assert len(f0) == len(loudness) == frame(0.75)
  assert abs(to_midi(f0[frame(0.25)]) - 67) * 100 < 1
  assert abs(to_midi(f0[frame(0.6)]) - 72) * 100 < 1
  for duration in (0, -1.0):
    with pytest.raises(ValueError, match='positive number of seconds'):
      midi_controls.MidiFile(path, duration=duration)
  with pytest.raises(midi_controls.MidiFileError, match='no notes between'):
    midi_controls.MidiFile(path, start=10.0)


def test_midi_file_is_gin_configurable(tmp_path):
  path = write_midi(tmp_path / 'melody.mid', MELODY)
  gin.clear_config()
  try:
    gin.parse_config(['control_source.source = @MidiFile()',
                      f'MidiFile.path = {path!r}',
                      'MidiFile.instrument = 0', 'MidiFile.peak_db = -30.0'])
    source = sampler.control_source()
  finally:
    gin.clear_config()
  assert isinstance(source, midi_controls.MidiFile)
  assert source.config['path'] == path and source.config['peak_db'] == -30.0
  f0, _ = source.generate(FRAME_RATE)
  assert len(f0) == frame(2.5)
  described = sampler.describe_controls(source)
  assert json.loads(json.dumps(described)) == described
  assert os.path.isfile(described['settings']['path'])
