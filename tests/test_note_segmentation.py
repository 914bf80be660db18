# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for notes segmented from f0 and loudness (expression.segmentation)."""

import gin
import numpy as np
import pytest

from ddsp_generative.core import errors
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import features
from ddsp_generative.core import units
from ddsp_generative.evaluation import transcription
from ddsp_generative.expression import segmentation
from ddsp_generative.recipes import synthetic

FRAME_RATE = 250


def _controls(notes, secs, vibrato_cents=0.0, dip_db=12.0,
              transition_secs=0.03):
  """Frame controls of (onset, offset, pitch) notes, as an f0 estimator and
  ddsp's loudness would give them: the level falls by `dip_db` (and the
  confidence to 0) over `transition_secs` after each onset that follows a
  sounding note, and to silence where no note sounds."""
  n = int(secs * FRAME_RATE)
  t = np.arange(n) / FRAME_RATE
  midi = np.full(n, 60.0)
  loud = np.full(n, -100.0)
  conf = np.zeros(n)
  for onset, offset, pitch in notes:
    on = (t >= onset) & (t < offset)
    midi[on] = pitch + vibrato_cents / 100 * np.sin(2 * np.pi * 6.0 * t[on])
    loud[on] = -10.0
    conf[on] = 0.95
    joined = np.any(np.isclose([o for _, o, _ in notes], onset))
    if joined:
      dip = (t >= onset) & (t < onset + transition_secs)
      loud[dip] = -10.0 - dip_db
      conf[dip] = 0.05
  return units.midi_to_hz(midi), loud, conf


PHRASE = [(0.10, 0.50, 67.0), (0.50, 0.80, 69.0),  # Legato, new pitch.
          (0.80, 1.20, 69.0),  # Repeated pitch: a re-attack.
          (1.40, 1.90, 72.0)]  # After a rest.


def test_a_phrase_gives_its_notes_onsets_and_pitches():
  f0_hz, loud, conf = _controls(PHRASE, 2.2)
  notes = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  assert notes.shape == (4, 5)
  np.testing.assert_allclose(notes[:, segmentation.ONSET],
                             [p[0] for p in PHRASE], atol=0.012)
  np.testing.assert_allclose(notes[:, segmentation.PITCH],
                             [p[2] for p in PHRASE], atol=0.01)
  # Offsets: the next onset (legato) or the end of the sound (rest).
  np.testing.assert_allclose(notes[:, segmentation.OFFSET],
                             [0.50, 0.80, 1.20, 1.90], atol=0.012)
  np.testing.assert_allclose(notes[:, segmentation.LEVEL], -10.0, atol=0.01)
  # The sound stops at once: the note-off estimates are the offsets.
  np.testing.assert_allclose(notes[:, segmentation.RELEASE],
                             notes[:, segmentation.OFFSET])
  scores = transcription.note_scores(np.array(PHRASE), notes[:, :3])
  assert scores['f1'] == 1.0 and scores['f1_with_offsets'] == 1.0


def test_vibrato_stays_one_note_and_a_lost_pitch_starts_a_new_one():
  notes = [(0.1, 1.5, 64.0)]
  f0_hz, loud, conf = _controls(notes, 1.8, vibrato_cents=40.0)
  found = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  assert len(found) == 1
  assert abs(found[0, segmentation.PITCH] - 64.0) < 0.2
  # 40 ms without a confident pitch in the middle (the loudness steady):
  # the estimator lost the pitch between two notes of the same pitch.
  gap = slice(int(0.8 * FRAME_RATE), int(0.84 * FRAME_RATE))
  conf[gap] = 0.02
  found = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  np.testing.assert_allclose(found[:, segmentation.ONSET], [0.1, 0.8],
                             atol=0.005)


def test_small_dips_and_short_blips_are_not_notes():
  f0_hz, loud, conf = _controls([(0.1, 1.2, 70.0)], 1.5)
  loud[int(0.6 * FRAME_RATE):int(0.64 * FRAME_RATE)] -= 3.0  # < dip_db.
  f0_hz[int(0.9 * FRAME_RATE):int(0.93 * FRAME_RATE)] *= 2 ** (3 / 12)
  found = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  assert len(found) == 1


def test_release_is_where_the_decay_before_a_rest_begins():
  f0_hz, loud, conf = _controls([(0.1, 0.9, 65.0)], 1.4)
  t = np.arange(len(loud)) / FRAME_RATE
  tail = (t >= 0.9) & (t < 1.2)  # A 300 ms decay at 60 dB/s after 0.9 s.
  loud[tail] = -10.0 - 60.0 * (t[tail] - 0.9)
  conf[tail] = 0.95
  f0_hz[tail] = units.midi_to_hz(65.0)
  (note,) = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  assert note[segmentation.OFFSET] == pytest.approx(1.2, abs=0.03)
  # 6 dB below the level: 0.1 s into the decay.
  assert note[segmentation.RELEASE] == pytest.approx(1.0, abs=0.015)


def test_silence_and_empty_input_give_no_notes():
  assert segmentation.segment([], [], FRAME_RATE).shape == (0, 5)
  silent = segmentation.segment(np.full(500, 440.0), np.full(500, -120.0),
                                FRAME_RATE)
  assert silent.shape == (0, 5)


def test_without_confidence_loudness_and_pitch_suffice():
  f0_hz, loud, _ = _controls(PHRASE, 2.2)
  notes = segmentation.segment(f0_hz, loud, FRAME_RATE)
  assert transcription.note_scores(np.array(PHRASE), notes[:, :3])['f1'] == 1


def test_segmenter_is_gin_configurable():
  f0_hz, loud, _ = _controls(PHRASE, 2.2, dip_db=6.0)
  assert len(segmentation.segment(f0_hz, loud, FRAME_RATE)) == 4
  with gin.unlock_config():
    gin.parse_config('ddsp_generative.expression.Segmenter.dip_db = 20.0')
  try:
    coarse = segmentation.Segmenter()
  finally:
    gin.clear_config()
  assert coarse.dip_db == 20.0
  # Without a confidence only the loudness dip tells the repeated note
  # (the others change pitch or follow a rest): with dips of 6 dB ignored
  # it merges into its neighbour.
  assert len(coarse.segment(f0_hz, loud, FRAME_RATE)) == 3


@pytest.mark.parametrize('kwargs', [
    dict(f0_hz=np.ones(5), loudness_db=np.ones(4)),
    dict(f0_hz=np.ones((2, 5)), loudness_db=np.ones((2, 5))),
    dict(f0_hz=[1.0, np.nan], loudness_db=[0.0, 0.0]),
    dict(f0_hz=np.ones(5), loudness_db=np.ones(5), f0_confidence=np.ones(3)),
    dict(f0_hz=np.ones(5), loudness_db=np.ones(5), frame_rate=0.0),
])
def test_bad_controls_name_the_problem(kwargs):
  kwargs.setdefault('frame_rate', FRAME_RATE)
  with pytest.raises(segmentation.SegmentationError) as raised:
    segmentation.segment(**kwargs)
  assert isinstance(raised.value, errors.UserError)


@pytest.mark.parametrize('field,value', [
    ('dip_db', 0.0), ('hysteresis', -1.0), ('min_note_secs', float('nan')),
    ('min_confidence', 1.5), ('onset_search_secs', -0.1)])
def test_bad_parameters_are_refused(field, value):
  with pytest.raises(segmentation.SegmentationError, match=field):
    segmentation.Segmenter(**{field: value})


def test_real_audio_through_pyin_and_loudness():
  """Three synthetic harmonic notes (1 s) -> the controls prepare_tfrecord
  computes -> the notes played."""
  pitches, durations, gap = (62, 66, 66), (0.3, 0.3, 0.3), 0.03
  sample_rate = 16000
  audio, _ = synthetic.render_melody(pitches, durations, sample_rate,
                                     gap_secs=gap, vibrato_cents=10.0)
  lead = np.zeros(int(0.05 * sample_rate), np.float32)
  audio = np.concatenate([lead, audio, lead])
  hop = sample_rate // FRAME_RATE
  n_frames = f0_lib.num_frames(len(audio), hop, center=True)
  f0_hz, conf = f0_lib.estimate_f0(audio, sample_rate, FRAME_RATE, n_frames,
                                   'pyin')
  loud = features.loudness_db(audio, sample_rate, FRAME_RATE, n_frames)
  notes = segmentation.segment(f0_hz, loud, FRAME_RATE, conf)
  onsets = 0.05 + np.concatenate([[0.0], np.cumsum(np.add(durations,
                                                          gap))[:-1]])
  reference = np.stack([onsets, onsets + durations, pitches], axis=1)
  scores = transcription.note_scores(reference, notes[:, :3])
  assert scores['f1'] == 1.0, (notes, reference)
