"""Tests for the note-level check: basic-pitch (ONNX) notes against MIDI.

The transcriber tests need basic-pitch and onnxruntime (`make install`
installs them) and are skipped with the reason without them; the rendered
violin test also needs FluidSynth and the FluidR3 soundfont.
"""

import os
import re
import sys

import numpy as np
import pytest

from ddsp_generative.evaluation import transcription
from ddsp_generative.recipes import render_midi
from ddsp_generative.recipes import synthetic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_RATE = 16000
LEAD_SECS, GAP_SECS = 0.2, 0.05
PITCHES = (60, 62, 64, 65, 67, 65, 64, 62, 72)
DURATIONS = (0.4, 0.3, 0.5, 0.4, 0.3, 0.45, 0.35, 0.4, 0.5)


def _melody_notes(pitches=PITCHES, durations=DURATIONS):
  """The notes `_melody_audio` plays: [{'start', 'end', 'pitch', ...}]."""
  starts = LEAD_SECS + np.concatenate(
      [[0.0], np.cumsum(np.add(durations, GAP_SECS))[:-1]])
  return [{'start': float(s), 'end': float(s + d), 'pitch': int(p),
           'velocity': 100} for s, d, p in zip(starts, durations, pitches)]


def _melody_audio(transpose=0):
  """Harmonic tones with an ADSR envelope, 4.2 s at 16 kHz."""
  audio, _ = synthetic.render_melody(
      np.add(PITCHES, transpose), DURATIONS, SAMPLE_RATE, gap_secs=GAP_SECS,
      vibrato_cents=10.0)
  return np.concatenate(
      [np.zeros(int(LEAD_SECS * SAMPLE_RATE), np.float32), audio])


def _as_array(notes):
  return np.array([[n['start'], n['end'], n['pitch']] for n in notes])


@pytest.fixture(scope='module')
def transcriber():
  ok, reason = transcription.available()
  if not ok:
    pytest.skip(reason)


@pytest.fixture(scope='module')
def melody_midi(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('midi') / 'melody.mid')
  render_midi.write_midi(_melody_notes(), program=73, path=path)
  return path


# ---------------------------------------------- without the transcriber ----
def test_constraints_pin_the_tested_basic_pitch():
  with open(os.path.join(ROOT, 'constraints.txt')) as f:
    pins = re.findall(r'^basic-pitch==(\S+)$', f.read(), re.MULTILINE)
  assert pins == [transcription.TESTED_BASIC_PITCH]
  assert f'basic-pitch=={pins[0]}' in transcription.INSTALL_HINT


def test_note_scores_of_identical_shifted_and_missing_notes():
  notes = _as_array(_melody_notes())
  same = transcription.note_scores(notes, notes)
  assert same == {'precision': 1.0, 'recall': 1.0, 'f1': 1.0,
                  'f1_with_offsets': 1.0, 'n_reference': 9, 'n_estimated': 9}
  late = notes + [0.04, 0.04, 0.0]  # Within the 50 ms onset tolerance.
  assert transcription.note_scores(notes, late)['f1'] == 1.0
  assert transcription.note_scores(notes, notes + [0.06, 0.06, 0])['f1'] == 0
  # 40 cents sharp is the same note; a semitone is not.
  assert transcription.note_scores(notes, notes + [0, 0, 0.4])['f1'] == 1.0
  assert transcription.note_scores(notes, notes + [0, 0, 1.0])['f1'] == 0.0
  # Half the notes found, with their offsets 0.2 s early: recall 0.5, and
  # offsets off by more than 20 % of a 0.3-0.5 s note.
  half = notes[::2] - [0.0, 0.2, 0.0]
  scores = transcription.note_scores(notes, half)
  assert scores['precision'] == 1.0 and scores['recall'] == pytest.approx(5 / 9)
  assert scores['f1_with_offsets'] == 0.0
  assert transcription.note_scores(notes, np.zeros((0, 3))) == {
      'precision': 0.0, 'recall': 0.0, 'f1': 0.0, 'f1_with_offsets': 0.0,
      'n_reference': 9, 'n_estimated': 0}


def test_note_scores_refuses_bad_note_arrays():
  notes = _as_array(_melody_notes())
  with pytest.raises(transcription.NotesError, match=r'\[n_notes, 3\]'):
    transcription.note_scores(notes[:, :2], notes)
  with pytest.raises(transcription.NotesError, match='do not end after'):
    transcription.note_scores(notes, notes[:, [1, 0, 2]])


def test_midi_notes_round_trip(melody_midi, tmp_path):
  expected = _as_array(_melody_notes())
  notes = transcription.midi_notes(melody_midi)
  assert notes.shape == (9, 3) and notes.dtype == np.float64
  # pretty_midi writes 220 ticks per beat at 120 bpm: 2.3 ms a tick.
  np.testing.assert_allclose(notes[:, :2], expected[:, :2], atol=2.5e-3)
  np.testing.assert_array_equal(notes[:, 2], expected[:, 2])
  with pytest.raises(transcription.midi_lib.MidiFileError,
                     match="no instrument 'violin'"):
    transcription.midi_notes(melody_midi, instrument='violin')
  assert transcription.midi_notes(melody_midi, instrument='flute').shape == (
      9, 3)
  with pytest.raises(transcription.midi_lib.MidiFileError,
                     match='does not exist'):
    transcription.midi_notes(str(tmp_path / 'missing.mid'))


def test_unavailable_transcriber_says_what_to_install(monkeypatch):
  monkeypatch.setitem(sys.modules, 'basic_pitch', None)  # Not importable.
  transcription._backend.cache_clear()  # pylint: disable=protected-access
  try:
    ok, reason = transcription.available()
    assert not ok
    assert reason.startswith('install basic-pitch')
    assert '--no-deps basic-pitch==' in reason and 'basic_pitch' in reason
    with pytest.raises(transcription.TranscriberUnavailableError,
                       match='make install'):
      transcription.transcribe(np.zeros(1600), SAMPLE_RATE)
  finally:
    monkeypatch.undo()
    transcription._backend.cache_clear()  # pylint: disable=protected-access


# --------------------------------------------------- with the transcriber --
@pytest.mark.usefixtures('transcriber')
def test_transcribed_melody_matches_its_midi(melody_midi):
  notes = transcription.transcribe(_melody_audio(), SAMPLE_RATE)
  assert notes.ndim == 2 and notes.shape[1] == 3
  assert np.all(np.diff(notes[:, 0]) >= 0)
  scores = transcription.note_scores(transcription.midi_notes(melody_midi),
                                     notes)
  assert scores['f1'] >= 0.8, (scores, notes)
  assert set(notes[:, 2]) <= set(PITCHES)


@pytest.mark.usefixtures('transcriber')
def test_melody_a_semitone_up_scores_low(melody_midi):
  notes = transcription.transcribe(_melody_audio(transpose=1), SAMPLE_RATE)
  assert len(notes) >= 5  # It hears notes, at other pitches.
  scores = transcription.note_scores(transcription.midi_notes(melody_midi),
                                     notes)
  assert scores['f1'] < 0.3, scores


@pytest.mark.usefixtures('transcriber')
def test_silence_gives_no_notes_and_bad_audio_is_refused():
  assert transcription.transcribe(np.zeros(SAMPLE_RATE), SAMPLE_RATE).shape == (
      0, 3)
  assert transcription.transcribe(np.zeros(10), SAMPLE_RATE).shape == (0, 3)
  with pytest.raises(transcription.NotesError, match='mono'):
    transcription.transcribe(np.zeros((2, SAMPLE_RATE)), SAMPLE_RATE)
  with pytest.raises(transcription.NotesError, match='onset_threshold'):
    transcription.transcribe(np.zeros(SAMPLE_RATE), SAMPLE_RATE,
                             onset_threshold=1.5)
  info = transcription.info()
  assert info['transcriber'] == 'basic-pitch' and info['sample_rate'] == 22050


@pytest.mark.skipif(not render_midi.renderer_available(),
                    reason='fluidsynth or the FluidR3 GM soundfont is not '
                    'installed: run `make dataset-deps`.')
@pytest.mark.usefixtures('transcriber')
def test_rendered_violin_line_matches_its_midi(tmp_path):
  notes = [dict(n, pitch=n['pitch'] + 7) for n in _melody_notes()]
  midi_path = str(tmp_path / 'violin.mid')
  audio = render_midi.render_notes(
      notes, render_midi.INSTRUMENTS['violin'].program,
      render_midi.find_soundfont(), SAMPLE_RATE, str(tmp_path),
      midi_path=midi_path)
  reference = transcription.midi_notes(midi_path)
  # basic-pitch's default onset threshold (0.5) splits bowed notes (F1
  # about 0.6 here, all notes found); 0.7 keeps them whole.
  default = transcription.note_scores(
      reference, transcription.transcribe(audio, SAMPLE_RATE))
  assert default['recall'] >= 0.8, default
  scores = transcription.note_scores(reference, transcription.transcribe(
      audio, SAMPLE_RATE, onset_threshold=0.7))
  assert scores['f1'] >= 0.75, scores
