# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The phrase model: melodies from notes, Markov tables, keys, composing,
saving, the Phrase control, the training command and the sampler."""

import ast
import json
import os
import re

import numpy as np
import pretty_midi
import pytest

from ddsp_generative import controls
from ddsp_generative.controls import midi as midi_controls
from ddsp_generative.core import artifacts
from ddsp_generative.evaluation import phrase_stats
from ddsp_generative.expression import keys
from ddsp_generative.expression import markov
from ddsp_generative.expression import note_dataset
from ddsp_generative.expression import phrases
from ddsp_generative.expression import saving
from ddsp_generative.expression import segmentation
from ddsp_generative.expression import sequences
from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import requests

from conftest import run_cli

FRAME_RATE = 250
# Two tunes in C major and G major: (pitch, beats), a beat of 0.4 s.
TUNES = (
    [(60, 1), (62, 1), (64, 1), (65, 1), (67, 2), (67, 2), (69, 1), (67, 1),
     (65, 1), (64, 1), (62, 2), (60, 2), (64, 1), (65, 1), (67, 1), (72, 2)],
    [(67, 1), (71, 1), (74, 2), (72, 1), (71, 1), (69, 2), (67, 0.5),
     (69, 0.5), (71, 1), (72, 1), (74, 1), (71, 2), (67, 2), (66, 1),
     (67, 3)],
)
BEAT = 0.4
CUT_SECS = 3.0  # Inside the second tune's sixth note (2.6-3.4 s).


def _notes(tune, start=0.3, rest_after=None, beat=BEAT):
  """[n, 5] segmentation notes of a tune; a 0.8 s rest after note rest_after."""
  rows, t = [], start
  for i, (pitch, beats) in enumerate(tune):
    length = beats * beat
    rows.append([t, t + length, pitch + 0.03, -6.0 - (i % 3), t + length])
    t += length
    if i == rest_after:
      t += 0.8
  return np.array(rows)


def _record(path, index, split, start_secs, secs, notes, cut_start=False,
            cut_end=False):
  n = int(round(secs * FRAME_RATE))
  return {'path': path, 'chunk_index': index, 'split': split,
          'start_secs': start_secs, 'n_frames': n, 'cut_start': cut_start,
          'cut_end': cut_end, 'notes': np.round(notes, 4).tolist(),
          'f0_hz': [440.0] * n, 'f0_confidence': [0.9] * n,
          'loudness_db': [-10.0] * n}


def _write_dataset(path, n_copies=6):
  """A note dataset: copies of the two tunes (the last copy eval), each
  file's second tune split over two chunks inside a note."""
  records = []
  for k in range(n_copies):
    split = 'eval' if k == n_copies - 1 else 'train'
    a = _notes(TUNES[0], rest_after=5)
    records.append(_record(f'/a/tune{k}.wav', 0, split, 0.0, 10.0, a))
    b = _notes(TUNES[1], start=0.2)
    # The chunk boundary cuts a note: it sounds on both sides.
    first = b[b[:, 0] < CUT_SECS].copy()
    first[:, [1, 4]] = np.minimum(first[:, [1, 4]], CUT_SECS)
    second = b[b[:, 1] > CUT_SECS].copy()
    second[:, [0, 1, 4]] -= CUT_SECS
    second[:, 0] = np.maximum(second[:, 0], 0.0)
    records.append(_record(f'/b/tune{k}.wav', 0, split, 0.0, CUT_SECS,
                           first, cut_end=True))
    records.append(_record(f'/b/tune{k}.wav', 1, split, CUT_SECS, 10.0,
                           second, cut_start=True))
  note_dataset.write(path, records, FRAME_RATE, segmentation.Segmenter(),
                     'tune.tfrecord')
  return path


@pytest.fixture(scope='module')
def dataset_path(tmp_path_factory):
  return _write_dataset(str(tmp_path_factory.mktemp('notes') /
                            'notes_tune.json'))


@pytest.fixture(scope='module')
def model_and_melodies(dataset_path):
  return phrases.fit_note_dataset(note_dataset.read(dataset_path))


def test_melodies_join_chunks_split_at_rests_and_keep_rhythm(dataset_path):
  data = note_dataset.read(dataset_path)
  melodies = sequences.training_sequences(
      [p for p in data['phrases'] if p['path'] == '/b/tune0.wav'],
      FRAME_RATE)
  # One melody: the chunks are contiguous and the cut note is made whole.
  assert len(melodies) == 1
  np.testing.assert_array_equal(melodies[0].pitches, [p for p, _ in TUNES[1]])
  np.testing.assert_allclose(melodies[0].lengths,
                             [b * BEAT for _, b in TUNES[1]], atol=1e-3)
  assert sequences.rhythm_symbols(melodies[0]) == [
      int(sequences.ratio_index(b)) for _, b in TUNES[1]]
  # The first tune's 0.8 s rest is a rest event, not the end of a melody.
  (a,) = sequences.training_sequences(
      [p for p in data['phrases'] if p['path'] == '/a/tune0.wav'],
      FRAME_RATE)
  assert a.rests[5] == pytest.approx(0.8, abs=1e-3)
  assert sequences.rhythm_symbols(a)[6] >= sequences.N_RATIOS
  # A longer silence than max_rest_secs splits it.
  assert len(sequences.training_sequences(
      [p for p in data['phrases'] if p['path'] == '/a/tune0.wav'],
      FRAME_RATE, max_rest_secs=0.5)) == 2
  assert sequences.interval_symbols(a)[:2] == [
      2 + sequences.MAX_INTERVAL, 2 + sequences.MAX_INTERVAL]


def test_markov_table_backs_off_and_round_trips():
  table = markov.MarkovTable(4, 2).fit([[0, 1, 2, 0, 1, 2, 0, 1]])
  p = table.probabilities([0, 1])
  assert p.sum() == pytest.approx(1.0)
  assert p.argmax() == 2 and p[3] > 0  # Unseen symbols stay possible.
  # An unseen context backs off to shorter ones (here: order 0).
  unigram = markov.MarkovTable(4, 0).fit([[0, 1, 2, 0, 1, 2, 0, 1]])
  np.testing.assert_allclose(table.probabilities([3, 3]),
                             unigram.probabilities([]))
  again = markov.MarkovTable.from_json(
      json.loads(json.dumps(table.to_json())), 'here')
  np.testing.assert_allclose(again.probabilities([2, 0]),
                             table.probabilities([2, 0]))
  bad = table.to_json()
  bad['counts'][0][1][0][0] = 9
  with pytest.raises(ValueError, match='here: malformed'):
    markov.MarkovTable.from_json(bad, 'here')


@pytest.mark.parametrize('name,expected', [
    ('C major', {0, 2, 4, 5, 7, 9, 11}), ('d', {2, 4, 6, 7, 9, 11, 1}),
    ('F# minor', {6, 8, 9, 11, 1, 2, 4, 5}), ('Bb major', {10, 0, 2, 3, 5, 7,
                                                           9}),
    ('none', None), (None, None)])
def test_keys_parse(name, expected):
  got = keys.parse_key(name)
  assert (got if got is None else set(got)) == expected


def test_keys_are_found_and_bad_names_refused():
  assert keys.find_key([p for p, _ in TUNES[0]]) == 'C major'
  assert keys.find_key([p for p, _ in TUNES[1]]) == 'G major'
  with pytest.raises(keys.KeyNameError, match='not a key'):
    keys.parse_key('H dorian')


def test_compose_is_seeded_in_range_and_steerable(model_and_melodies):
  model, melodies = model_and_melodies
  assert model.pitch_range == (60, 74)
  assert model.training['in_key_fraction'] == 1.0
  first = model.compose(seed=3)
  np.testing.assert_array_equal(first['notes'], model.compose(seed=3)['notes'])
  phrases_ = [model.compose(seed=s) for s in range(20)]
  assert len({tuple(c['notes'][:, 2]) for c in phrases_}) > 15
  for c in phrases_:
    pitches = c['notes'][:, 2]
    assert pitches.min() >= 60 and pitches.max() <= 74
    assert c['key'] in ('C major', 'G major')
    assert set(pitches.astype(int) % 12) <= set(keys.parse_key(c['key']))
    assert len(c['notes']) == model.default_notes
    assert np.all(np.diff(c['notes'][:, 0]) > 0)
    assert np.all(c['notes'][:, 1] > c['notes'][:, 0])
  # Steering: length, duration, register, key, tempo.
  c = model.compose(seed=1, n_notes=5, low=64, high=69, key='F major',
                    tempo=2.0, unit_secs=0.4)
  assert len(c['notes']) == 5 and c['unit_secs'] == pytest.approx(0.2)
  assert set(c['notes'][:, 2].astype(int)) <= {64, 65, 67, 69}
  c = model.compose(seed=1, duration=3.0)
  assert c['notes'][-1, 1] <= 3.0 + 1e-9 and len(c['notes']) >= 2
  assert 1 <= c['notes'][:, 3].min() and c['notes'][:, 3].max() <= 127
  for bad, match in ((dict(low=80), 'outside the training'),
                     (dict(key='F# major', low=60, high=60), 'no pitch'),
                     (dict(tempo=0), 'tempo'), (dict(n_notes=0), 'n_notes'),
                     (dict(key='X'), 'not a key')):
    with pytest.raises(ValueError, match=match):
      model.compose(**bad)


def test_context_lowers_held_out_cross_entropy(dataset_path,
                                               model_and_melodies):
  model, melodies = model_and_melodies
  data = note_dataset.read(dataset_path, split='eval')
  held = sequences.training_sequences(data['phrases'], FRAME_RATE)
  order_0 = phrases.PhraseModel.fit(melodies, order=0)
  ours, base = model.cross_entropy(held), order_0.cross_entropy(held)
  assert ours['intervals'] < 0.5 * base['intervals']
  assert ours['rhythm'] < base['rhythm']


def test_saved_model_composes_the_same_and_tampering_is_refused(
    model_and_melodies, tmp_path):
  model, _ = model_and_melodies
  path = phrases.save(model, str(tmp_path))
  assert path == str(tmp_path / phrases.FILE_NAME)
  loaded = phrases.load(str(tmp_path))
  np.testing.assert_array_equal(loaded.compose(seed=5)['notes'],
                                model.compose(seed=5)['notes'])
  with pytest.raises(FileExistsError, match='--overwrite'):
    phrases.save(model, path)
  record = json.loads(open(path).read())
  for change, match in (
      (lambda r: r.pop('tables'), 'tables'),
      (lambda r: r.update(pitch_range=[90, 20]), 'out of range'),
      (lambda r: r['tables']['rhythm']['counts'][0][1][0].__setitem__(0, 99),
       'malformed count table'),
      (lambda r: r.update(kind='prior'), 'phrase_model'),
      (lambda r: r['training'].update(keys=['Q major']), 'not a key')):
    bad = json.loads(json.dumps(record))
    change(bad)
    bad_path = tmp_path / 'bad.json'
    bad_path.write_text(json.dumps(bad))
    with pytest.raises(phrases.PhraseModelError, match=match):
      phrases.load(str(bad_path))
  with pytest.raises(phrases.PhraseModelError, match='No phrase model'):
    phrases.load(str(tmp_path / 'none.json'))


def test_phrase_stats_report_copies_and_histograms(model_and_melodies):
  model, melodies = model_and_melodies
  composed = [model.compose(seed=s) for s in range(30)]
  # One copy of each tune (melodies are in file order: the A tunes first).
  held_out = [melodies[0], melodies[-1]]
  stats = phrase_stats.compare(composed, melodies, held_out=held_out)
  assert stats['in_range_fraction'] == 1.0
  assert stats['distinct_phrases'] > 25
  assert 0 <= stats['interval_tv'] <= 1 and 0 <= stats['duration_tv'] <= 1
  # Held-out melodies that are training melodies copy them whole.
  assert stats['floor_longest_copy_notes'] == max(len(m.pitches)
                                                  for m in held_out)
  assert stats['floor_interval_tv'] == 0.0
  copied = phrase_stats.longest_copies([[1, 2, 3, 9, 1, 2]],
                                       [[0, 1, 2, 3, 4], [9, 1]])
  assert copied.tolist() == [3]


def test_phrase_control_plays_new_phrases_and_writes_midi(dataset_path,
                                                          tmp_path):
  model_dir = str(tmp_path / 'phrases')
  _, summary = phrases.train_phrase_model(dataset_path, save_dir=model_dir)
  assert summary['held_out']['melodies'] == 2
  source = controls.Phrase(model_path=model_dir, seed=0, n_notes=6)
  f0_hz, loudness_db = source.generate(FRAME_RATE)
  assert len(f0_hz) == int(round(source.ends[-1] * FRAME_RATE))
  assert np.all(np.isfinite(f0_hz)) and loudness_db.max() > -60
  other = source.for_seed(1)
  assert other.config['seed'] == 1 and source.config['seed'] == 0
  assert other.config['notes'] != source.config['notes']
  path = str(tmp_path / 'phrase.mid')
  other.write_midi(path)
  notes = midi_controls.select_notes(midi_controls.read_midi(path), path)
  np.testing.assert_allclose(notes[:, 0], other.starts, atol=2e-3)
  np.testing.assert_array_equal(notes[:, 2], other.pitches)
  np.testing.assert_array_equal(notes[:, 3], other.velocities)
  with pytest.raises(phrases.PhraseModelError, match='No phrase model'):
    controls.Phrase(model_path=str(tmp_path / 'nothing'))


def _command_constant(command, name):
  """A constant of a command module, read without importing it (two
  commands' absl flags cannot live in one process)."""
  path = os.path.join(os.path.dirname(default_model.PACKAGE_DIR), '..',
                      f'{command}.py')
  for node in ast.parse(open(path).read()).body:
    if isinstance(node, ast.Assign) and any(
        getattr(t, 'id', None) == name for t in node.targets):
      return ast.literal_eval(node.value)
  raise AssertionError(f'{name} not in {path}')


def test_names_the_commands_check_before_tensorflow_match_their_homes():
  assert _command_constant('train_expression', 'SAVED_FILES') == {
      'expression': saving.MODEL_JSON, 'phrases': phrases.FILE_NAME}
  assert requests.PHRASE_MODEL_FILE == phrases.FILE_NAME
  assert os.path.isfile(os.path.join(default_model.PACKAGE_DIR, 'expression',
                                     phrases.FILE_NAME))


def test_train_command_fits_phrases_alone_and_refuses_to_overwrite(
    dataset_path, tmp_path):
  save_dir = str(tmp_path / 'expression')
  result = run_cli('ddsp_generative.train_expression',
                   f'--note_dataset={dataset_path}', f'--save_dir={save_dir}',
                   '--models=phrases',
                   '--gin_param=train_phrase_model.order = 1')
  assert re.search(r'Phrase model \(order 1\) fitted on 10 melodies',
                   result.stdout), result.stdout
  assert os.listdir(save_dir) == [phrases.FILE_NAME]
  record = artifacts.read_json(os.path.join(save_dir, phrases.FILE_NAME),
                               phrases.KIND, (phrases.FORMAT_VERSION,))
  assert '--models=phrases' in record['provenance']['command']
  for args, match in (([], 'phrase model is already saved'),
                      (['--models=tunes'], '--models=tunes'),
                      (['--note_dataset=/nothing.json'], 'file not found')):
    again = run_cli('ddsp_generative.train_expression',
                    f'--note_dataset={dataset_path}',
                    f'--save_dir={save_dir}', '--models=phrases', *args,
                    expect_ok=False)
    lines = [l for l in again.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and re.search(match, lines[0]), again.stderr


def _midi_notes(path):
  return midi_controls.select_notes(midi_controls.read_midi(path), path)


def test_sample_composes_a_phrase_per_seed_on_the_default_model(tmp_path):
  save_dir = str(tmp_path / 'samples')
  result = run_cli('ddsp_generative.sample', f'--save_dir={save_dir}',
                   '--n_samples=2', '--n_notes=4', '--key=G major',
                   '--register=67-79', '--tempo=2', timeout=600)
  assert os.path.join(save_dir, 'sample_001.wav') in result.stdout
  played = []
  for i in range(2):
    with open(os.path.join(save_dir, f'sample_00{i}.json')) as f:
      sidecar = json.load(f)
    settings = sidecar['controls']['settings']
    assert sidecar['controls']['type'] == 'Phrase'
    assert sidecar['midi'] == f'sample_00{i}.mid' and settings['seed'] == i
    assert settings['expression'].endswith('expression')
    notes = _midi_notes(os.path.join(save_dir, sidecar['midi']))
    assert len(notes) == 4
    assert set(notes[:, 2].astype(int) % 12) <= set(keys.parse_key('G'))
    assert notes[:, 2].min() >= 67 and notes[:, 2].max() <= 79
    np.testing.assert_allclose(notes[:, 2], np.array(settings['notes'])[:, 2])
    played.append(notes[:, 2].tolist())
  assert played[0] != played[1]
  # The MIDI file is an output like the others: refused without --overwrite.
  os.remove(os.path.join(save_dir, 'sample_000.wav'))
  again = run_cli('ddsp_generative.sample', f'--save_dir={save_dir}',
                  expect_ok=False)
  assert re.search(r'sample_000\.(json|png|mid) exists', again.stderr)
  # --phrase_model=none plays the fixed phrase, and writes no MIDI.
  plain = str(tmp_path / 'plain')
  run_cli('ddsp_generative.sample', f'--save_dir={plain}',
          '--phrase_model=none', '--gin_param=Melody.durations = 0.1',
          timeout=600)
  assert sorted(os.listdir(plain)) == ['sample_000.json', 'sample_000.png',
                                       'sample_000.wav']


@pytest.mark.parametrize('args,match', [
    (['--key=G major', '--midi_file={midi}'], '--key steer a composed'),
    (['--n_notes=3', '--model_dir={model}'], 'no phrase model'),
    (['--register=70-60'], '--register=70-60'),
    (['--register=20-30'], 'outside the training'),
    (['--tempo=0'], '--tempo must be'),
    (['--phrase_model={missing}'], 'file not found'),
])
def test_sample_refuses_bad_phrase_flags_before_loading(
    tmp_path, tiny_model_dir, args, match):
  midi = pretty_midi.PrettyMIDI()
  midi.instruments.append(pretty_midi.Instrument(0))
  midi.instruments[0].notes.append(pretty_midi.Note(80, 60, 0.0, 0.5))
  midi.write(str(tmp_path / 'a.mid'))
  names = dict(midi=tmp_path / 'a.mid', model=tiny_model_dir,
               missing=tmp_path / 'none.json')
  result = run_cli('ddsp_generative.sample', f'--save_dir={tmp_path / "s"}',
                   *[a.format(**names) for a in args], expect_ok=False)
  lines = [l for l in result.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and re.search(re.escape(match), lines[0]), (
      result.stderr)
  assert not (tmp_path / 's').exists()
