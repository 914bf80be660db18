# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The expression model: context, training, saving, playing, the sampler."""

import json
import os
import re

import gin
import numpy as np
import pretty_midi
import pytest

from ddsp_generative.controls import midi as midi_controls
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import units
from ddsp_generative.expression import context
from ddsp_generative.expression import model as model_lib
from ddsp_generative.expression import note_dataset
from ddsp_generative.expression import playing
from ddsp_generative.expression import saving
from ddsp_generative.expression import segmentation
from ddsp_generative.expression import training

from conftest import run_cli

FRAME_RATE = 250


def _phrase_controls(notes, secs, seed):
  """Controls of (onset, note-off, pitch) notes played with a 6 Hz vibrato
  that grows in after 0.2 s, a 40 ms attack and a 0.15 s release."""
  rng = np.random.default_rng(seed)
  n = int(secs * FRAME_RATE)
  t = np.arange(n) / FRAME_RATE
  midi = np.full(n, notes[0][2], np.float64)
  loud = np.full(n, -100.0)
  for onset, off, pitch in notes:
    on = (t >= onset) & (t < off + 0.15)
    since = t[on] - onset
    depth = 0.3 * np.clip((since - 0.2) / 0.2, 0, 1)
    midi[on] = pitch + depth * np.sin(2 * np.pi * 6.0 * since)
    attack = np.clip(since / 0.04, 0, 1)
    decay = np.clip(1 - (t[on] - off) / 0.15, 0, 1)
    loud[on] = -20.0 + 20 * np.log10(np.maximum(
        attack * np.where(t[on] < off, 1.0, decay), 1e-5)) + rng.normal(
            0, 0.2, on.sum())
  return {'f0_hz': units.midi_to_hz(midi),
          'loudness_db': np.maximum(loud, -100.0),
          'f0_confidence': np.where(loud > -60, 0.95, 0.1)}


@pytest.fixture(scope='module')
def dataset_path(tmp_path_factory):
  """A note dataset of six 2 s phrases (five train, one eval)."""
  segmenter = segmentation.Segmenter()
  phrases = []
  for i in range(6):
    notes = [(0.1, 0.6, 62 + i), (0.6, 1.1, 64 + i), (1.3, 1.7, 67 + i)]
    controls = _phrase_controls(notes, 2.0, i)
    phrases.append(note_dataset.phrase(
        f'/audio/take{i}.wav', 0, 'eval' if i == 5 else 'train', 0,
        FRAME_RATE, controls, segmenter, last_chunk=True))
  path = str(tmp_path_factory.mktemp('notes') / 'notes_take.json')
  note_dataset.write(path, phrases, FRAME_RATE, segmenter, 'take.tfrecord')
  return path


@pytest.fixture(scope='module')
def trained_dir(dataset_path, tmp_path_factory):
  save_dir = str(tmp_path_factory.mktemp('expression') / 'expression')
  with gin.unlock_config():
    gin.parse_config(['ExpressionVae.units = 16',
                      'ExpressionVae.max_notes = 8'])
  try:
    _, summary = training.train_expression_vae(
        dataset_path, save_dir=save_dir, steps=40, batch_size=4, seed=0,
        learning_rate=3e-3, window_secs=1.0, window_hop_secs=0.5,
        progress=False)
  finally:
    gin.clear_config()
  assert summary['final_losses']['total'] < summary['initial_losses']['total']
  assert summary['evaluation']['eval'] is not None
  # Each train phrase's legato transition (0.6 s) is measured, its dip fitted.
  assert summary['data']['measured_dips'] >= 5
  assert summary['final_losses']['dip'] < summary['initial_losses']['dip']
  return save_dir


def test_context_of_notes_legato_and_rests():
  notes = np.array([[0.1, 0.5, 60, -10, 0.5], [0.5, 1.0, 62, -12, 0.9],
                    [1.4, 1.8, 59, -20, 1.6]])
  times = np.array([0.0, 0.2, 0.7, 0.95, 1.5, 1.7])
  ctx, ids = context.features(notes, times)
  assert ids.tolist() == [0, 0, 1, 1, 2, 2]
  np.testing.assert_array_equal(ctx[:, 11], [1, 0, 0, 0, 0, 0])  # Before.
  np.testing.assert_array_equal(ctx[:, 0], [0, 1, 1, 0, 1, 0])  # Held.
  assert ctx[1, 1] == pytest.approx(0.1 / context.CLIP_SECS)
  assert ctx[3, 3] == pytest.approx(0.05 / context.CLIP_SECS)  # Released.
  assert ctx[2, 9] == 1 and ctx[2, 7] == pytest.approx(2 / 12)  # Slur in.
  assert ctx[1, 10] == 1 and ctx[3, 10] == 0  # Slur out, then a rest.
  assert ctx[5, 4] == 1.0  # No next note.
  assert ctx[4, 5] == pytest.approx((-20 - context.LEVEL_CENTER_DB) /
                                    context.LEVEL_SCALE_DB)
  targets, mask = context.frame_targets(
      notes, times, units.midi_to_hz([60, 60.5, 61.8, 62, 59, 59]),
      [-100, -10, -12, -30, -20, -80])
  np.testing.assert_allclose(targets[:, 0], [0, 0.5, -0.2, 0, 0, 0],
                             atol=1e-4)
  np.testing.assert_array_equal(mask, [0, 1, 1, 1, 1, 0])


def test_vibrato_targets_measure_depth_and_rate():
  from ddsp_generative.expression import vibrato  # pylint: disable=g-import-not-at-top
  rate = 125.0
  times = np.arange(int(2.0 * rate)) / rate
  # A note (0.1-1.5 s) gliding up 0.2 semitones, with a 5.5 Hz vibrato of
  # 0.12 semitones; a short note after it (too short to measure).
  notes = np.array([[0.1, 1.5, 64, -10, 1.5], [1.5, 1.7, 66, -10, 1.7]])
  deviation = 0.2 * times / 2.0 + 0.12 * np.sin(2 * np.pi * 5.5 * times)
  mask = np.ones_like(times)
  out = vibrato.targets(deviation, mask, notes, times, rate)
  held = (times >= 0.4) & (times < 1.2)
  np.testing.assert_allclose(out[held, 1], 0.12, atol=0.015)
  np.testing.assert_allclose(out[held, 2], 5.5, atol=0.2)
  np.testing.assert_allclose(out[held, 0], 0.2 * times[held] / 2.0,
                             atol=0.02)
  assert out[(times >= 0.2) & (times < 1.5), 3].min() == 1.0
  assert out[times >= 1.5, 3].max() == 0.0 and out[times < 0.2, 3].max() == 0
  # Without a confident f0 throughout, no target.
  mask[100] = 0.0
  assert vibrato.targets(deviation, mask, notes, times, rate)[:, 3].max() == 0


def test_transition_targets_measure_the_dip_and_window_them():
  from ddsp_generative.expression import transitions  # pylint: disable=g-import-not-at-top
  # Three notes at 250 Hz controls: a legato transition at 0.6 s with a
  # 9 dB dip, then a rest (no transition) before the third note.
  loud = np.full(500, -20.0)
  t = np.arange(500) / 250.0
  loud -= 9.0 * np.exp(-0.5 * ((t - 153 / 250.0) / 0.01) ** 2)
  notes = np.array([[0.1, 0.6, 60, -20, 0.6], [0.6, 1.1, 62, -20, 1.1],
                    [1.5, 1.9, 64, -20, 1.9]])
  times = np.arange(0, 500, 2) / 250.0  # The model's 125 Hz frames.
  out = transitions.targets(loud, 250.0, notes, times)
  before, around = out[:, 0] == 1, out[:, 1] == 1
  assert before.sum() in (12, 13)
  assert np.all((times[before] >= 0.5) & (times[before] < 0.6))
  assert np.all(np.abs(times[around] - 0.6) <= 0.05)
  np.testing.assert_allclose(out[around, 2] * context.LOUDNESS_SCALE_DB, 9.0,
                             atol=0.05)
  assert out[:, 0].max() == 1 and out[:, 1].max() == 1  # Not the rest.
  # A window that cuts the transition's frames drops it; one that holds
  # them whole renumbers it 1.
  whole = transitions.window(out, 40, 60, max_transitions=8)
  assert whole[:, 0].max() == 1 and whole[:, 1].max() == 1
  cut = transitions.window(out, 70, 60, max_transitions=8)
  assert cut[:, :2].max() == 0 and cut[:, 2].max() == 0


def test_dip_term_is_zero_at_the_measured_dip_and_grows_away_from_it():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression.model import ExpressionVae  # pylint: disable=g-import-not-at-top
  model = ExpressionVae(units=8, max_notes=4)
  dips = np.zeros((1, 10, 3), np.float32)
  dips[0, 0:3, 0] = 1  # "before" frames of transition 1 at level 0.5,
  dips[0, 4:7, 1] = 1  # its "around" frames dipping to 0.2: dip 0.3.
  dips[0, 4:7, 2] = 0.3
  loudness = np.full((1, 10), 0.5, np.float32)
  loudness[0, 5] = 0.2
  error = model._dip_error(tf.constant(loudness), tf.constant(dips))  # pylint: disable=protected-access
  assert float(error) == pytest.approx(0.0, abs=1e-6)
  loudness[0, 5] = 0.4  # A 0.1 dip where 0.3 was measured.
  error = model._dip_error(tf.constant(loudness), tf.constant(dips))  # pylint: disable=protected-access
  assert float(error) == pytest.approx(0.04, rel=1e-4)
  dips[..., :2] = 0  # No transition: nothing to fit.
  error = model._dip_error(tf.constant(loudness), tf.constant(dips))  # pylint: disable=protected-access
  assert float(error) == 0.0


def test_velocity_levels_map_ranks_onto_training_levels():
  levels = {'5': -30.0, '50': -10.0, '95': -2.0}
  out = playing.velocity_levels([20, 127, 64, 64], levels)
  assert out[1] > out[2] == out[3] > out[0]
  assert -30 <= out.min() and out.max() <= -2
  np.testing.assert_allclose(playing.velocity_levels([90, 90], levels), -10)


def test_trained_model_plays_notes_seeded_blockwise(trained_dir):
  model, record = saving.load_model(trained_dir)
  assert record['kind'] == 'expression_model'
  assert record['training']['notes']['n_notes'] == 15
  onsets, offs = [0.1, 0.6, 1.4], [0.6, 1.1, 1.8]
  line = lambda seed: playing.ExpressionLine(
      model, onsets, offs, [64, 66, 69], [-20.0, -18.0, -22.0], seed=seed)
  a = line(1)
  assert a.n_frames == round((1.8 + playing.RELEASE_TAIL_SECS) * FRAME_RATE)
  f0, loud = a.frames(0, a.n_frames)
  assert f0.shape == loud.shape == (a.n_frames,)
  assert np.all(np.isfinite(f0)) and np.all(np.isfinite(loud))
  # The pitch follows the notes (within the deviation it learned).
  midi = units.hz_to_midi(f0)
  for onset, off, pitch in zip(onsets, offs, [64, 66, 69]):
    held = slice(int((onset + 0.1) * FRAME_RATE), int(off * FRAME_RATE))
    assert abs(np.median(midi[held]) - pitch) < 0.5
  blocks = [a.frames(i, min(i + 97, a.n_frames))
            for i in range(0, a.n_frames, 97)]
  np.testing.assert_allclose(np.concatenate([b[0] for b in blocks]), f0,
                             rtol=1e-5)
  again = line(1).frames(0, a.n_frames)
  np.testing.assert_array_equal(again[1], loud)
  other = line(2).frames(0, a.n_frames)
  assert np.abs(other[1] - loud).max() > 1e-3
  # A jump backwards starts again and gives the same frames.
  np.testing.assert_allclose(a.frames(10, 60)[1], loud[10:60], rtol=1e-5)


def test_midi_file_plays_through_the_model(trained_dir, tmp_path):
  path = str(tmp_path / 'tune.mid')
  midi = pretty_midi.PrettyMIDI()
  violin = pretty_midi.Instrument(program=40)
  for pitch, start, end, velocity in [(64, 0.1, 0.5, 60), (67, 0.5, 0.9, 100)]:
    violin.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch,
                                         start=start, end=end))
  midi.instruments.append(violin)
  midi.write(path)
  rules = midi_controls.MidiFile(path)
  played = midi_controls.MidiFile(path, expression=trained_dir,
                                  expression_seed=3)
  assert played.config['expression'] == trained_dir
  f0, loud = played.generate(FRAME_RATE)
  rules_f0, _ = rules.generate(FRAME_RATE)
  # The release rings past the last note-off; the rules stop at it.
  assert len(f0) == round((0.9 + playing.RELEASE_TAIL_SECS) * FRAME_RATE)
  assert len(rules_f0) == round(0.9 * FRAME_RATE)
  blocks = list(played.iter_blocks(FRAME_RATE, 64))
  np.testing.assert_allclose(np.concatenate([b[1] for b in blocks]), loud,
                             rtol=1e-5)
  with pytest.raises(ValueError, match='frames/s'):
    played.generate(200)


def test_note_and_melody_play_through_the_model(trained_dir):
  from ddsp_generative import controls  # pylint: disable=g-import-not-at-top
  note = lambda seed: controls.Note(pitch=64, duration=1.0,
                                    expression=trained_dir,
                                    expression_seed=seed)
  f0, loud = note(0).generate(FRAME_RATE)
  # The same duration as the rules' note; released in time to ring.
  assert f0.shape == loud.shape == (FRAME_RATE,)
  assert np.all(np.isfinite(f0)) and np.all(np.isfinite(loud))
  assert abs(np.median(units.hz_to_midi(f0[25:100])) - 64) < 0.5
  np.testing.assert_array_equal(note(0).generate(FRAME_RATE)[1], loud)
  assert np.abs(note(1).generate(FRAME_RATE)[1] - loud).max() > 1e-3
  melody = controls.Melody(pitches=(62, 64, None, 67), durations=0.3,
                           legato=True, expression=trained_dir)
  assert melody.config['expression'] == trained_dir
  f0, loud = melody.generate(FRAME_RATE)
  # The last note rings past its end.
  assert abs(len(f0) - (1.2 + playing.RELEASE_TAIL_SECS) * FRAME_RATE) <= 1
  assert np.all(np.isfinite(f0)) and np.all(np.isfinite(loud))


def test_short_gaps_between_notes_are_closed():
  # A score's 10-60 ms gaps ring through in the recordings the model
  # learned from; a rest does not.
  np.testing.assert_allclose(
      playing.close_gaps([0.0, 0.5, 1.0, 2.0], [0.45, 1.0, 1.5, 2.5]),
      [0.5, 1.0, 1.5, 2.5])


def _tamper(trained_dir, tmp_path, change):
  directory = tmp_path / 'model'
  directory.mkdir()
  for name in (saving.MODEL_JSON, saving.WEIGHTS_FILE):
    (directory / name).write_bytes(
        open(os.path.join(trained_dir, name), 'rb').read())
  with open(directory / saving.MODEL_JSON) as f:
    record = json.load(f)
  change(record, directory)
  with open(directory / saving.MODEL_JSON, 'w') as f:
    json.dump(record, f)
  return str(directory)


@pytest.mark.parametrize('change,match', [
    (lambda r, d: r['config'].update(units=10**9), 'units'),
    (lambda r, d: r['config'].update(surprise=1), 'unknown keys'),
    (lambda r, d: r['config'].update(dip_weight=float('nan')), 'dip_weight'),
    (lambda r, d: r['weights'].update(sha256='0' * 64), 'SHA-256 differs'),
    (lambda r, d: r['weights'].update(file='../outside.h5'),
     'outside its directory'),
    (lambda r, d: r['context'].update(clip_secs=9.0), 'context constants'),
    (lambda r, d: r.update(kind='envelope_model'), 'not a expression_model'),
])
def test_a_tampered_model_is_refused_in_one_line(trained_dir, tmp_path,
                                                 change, match):
  path = _tamper(trained_dir, tmp_path, change)
  with pytest.raises(artifacts.ArtifactError, match=match) as raised:
    saving.load_model(path)
  assert isinstance(raised.value, errors.UserError)


def test_a_model_saved_before_the_dip_term_loads(trained_dir, tmp_path):
  path = _tamper(trained_dir, tmp_path,
                 lambda r, d: r['config'].pop('dip_weight'))
  assert saving.load_model(path)[0].dip_weight == pytest.approx(
      model_lib.DIP_WEIGHT)


def test_training_refuses_bad_data_and_settings(dataset_path, tmp_path):
  with pytest.raises(training.ExpressionTrainingError, match='positive'):
    training.train_expression_vae(dataset_path, steps=0)
  with pytest.raises(note_dataset.NoteDatasetError, match='No note dataset'):
    training.train_expression_vae(str(tmp_path / 'none.json'), steps=1)
  with pytest.raises(training.ExpressionTrainingError, match='vibrato'):
    training.train_expression_vae(dataset_path, steps=1, vibrato='phase')
  with gin.unlock_config():
    gin.parse_config('ExpressionVae.frame_rate = 100')
  try:
    with pytest.raises(training.ExpressionTrainingError, match='frame_rate'):
      training.train_expression_vae(dataset_path, steps=1)
  finally:
    gin.clear_config()


def test_commands_train_and_play(dataset_path, trained_dir, tmp_path,
                                 tiny_model_dir, tiny_prior_path):
  save_dir = str(tmp_path / 'cli_model')
  result = run_cli('ddsp_generative.train_expression',
                   f'--note_dataset={dataset_path}', f'--save_dir={save_dir}',
                   '--steps=3', '--batch_size=2', '--noprogress',
                   '--gin_param=ExpressionVae.units = 8',
                   '--gin_param=train_expression_vae.window_secs = 1.0')
  assert 'Expression VAE trained for 3 steps' in result.stdout
  assert os.path.exists(os.path.join(save_dir, saving.MODEL_JSON))
  again = run_cli('ddsp_generative.train_expression',
                  f'--note_dataset={dataset_path}', f'--save_dir={save_dir}',
                  '--steps=3', expect_ok=False)
  assert re.search('already saved .* --overwrite', again.stderr)
  assert 'Traceback' not in again.stderr

  midi_path = str(tmp_path / 'tune.mid')
  midi = pretty_midi.PrettyMIDI()
  violin = pretty_midi.Instrument(program=40)
  violin.notes.append(pretty_midi.Note(velocity=90, pitch=64, start=0.0,
                                       end=0.4))
  midi.instruments.append(violin)
  midi.write(midi_path)
  out = str(tmp_path / 'samples')
  run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
          f'--prior={tiny_prior_path}', f'--save_dir={out}',
          f'--midi_file={midi_path}', f'--expression={trained_dir}')
  with open(os.path.join(out, 'sample_000.json')) as f:
    sidecar = json.load(f)
  assert sidecar['controls']['settings']['expression'] == trained_dir
  assert abs(sidecar['duration_secs'] - (0.4 + playing.RELEASE_TAIL_SECS)) < (
      0.01)
  # --pitch plays a Note through the expression model, in --duration.
  run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
          f'--prior={tiny_prior_path}', f'--save_dir={out}_note',
          '--pitch=64', '--duration=0.6', f'--expression={trained_dir}')
  with open(os.path.join(f'{out}_note', 'sample_000.json')) as f:
    sidecar = json.load(f)
  assert sidecar['controls']['type'] == 'Note'
  assert sidecar['controls']['settings']['expression'] == trained_dir
  assert abs(sidecar['duration_secs'] - 0.6) < 0.01
  missing = run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
                    f'--save_dir={out}2', f'--midi_file={midi_path}',
                    f'--expression={tmp_path / "nothing"}', expect_ok=False)
  assert '--expression=' in missing.stderr and 'not found' in missing.stderr


def test_evaluate_generation_plays_the_midi_set_through_the_model(
    trained_dir, tiny_model_dir, tiny_prior_path, tiny_tfrecords, tmp_path):
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  held = tmp_path / 'heldout'
  held.mkdir()
  midi = pretty_midi.PrettyMIDI()
  violin = pretty_midi.Instrument(program=40)
  for i, pitch in enumerate((64, 66, 68, 69)):
    violin.notes.append(pretty_midi.Note(velocity=90, pitch=pitch,
                                         start=0.5 * i, end=0.5 * i + 0.45))
  midi.instruments.append(violin)
  midi.write(str(held / 'tune.mid'))
  t = np.arange(32000) / 16000
  audio_io.write_wav(str(held / 'tune.wav'),
                     0.3 * np.sin(2 * np.pi * 330 * t), 16000)
  save_dir = str(tmp_path / 'generation')
  run_cli('ddsp_generative.evaluate_generation',
          f'--model_dir={tiny_model_dir}', f'--prior={tiny_prior_path}',
          f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--save_dir={save_dir}',
          '--n_examples=4', '--f0_estimator=yin', '--n_figure_examples=0',
          '--norealism', f'--midi_pattern={held / "*.mid"}',
          f'--expression={trained_dir}')
  with open(os.path.join(save_dir, 'generation.json')) as f:
    report = json.load(f)
  (tune,) = report['midi']['files']
  assert tune['controls']['settings']['expression'] == trained_dir
  assert tune['secs'] == pytest.approx(1.95 + playing.RELEASE_TAIL_SECS,
                                       abs=0.05)
  bad = run_cli('ddsp_generative.evaluate_generation',
                f'--model_dir={tiny_model_dir}',
                f'--eval_tfrecord_pattern={tiny_tfrecords}',
                f'--expression={tmp_path / "none"}', expect_ok=False)
  assert '--expression=' in bad.stderr and 'Traceback' not in bad.stderr

