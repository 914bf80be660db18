# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The note dataset prepare_tfrecord writes beside the TFRecords."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import tfrecords
from ddsp_generative.data_preparation import prepare_tfrecord_lib as lib
from ddsp_generative.evaluation import transcription
from ddsp_generative.expression import note_dataset
from ddsp_generative.recipes import synthetic

SAMPLE_RATE = 16000
FRAME_RATE = 250
BEAM_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')
PITCHES, DURATIONS, GAP = (64, 67, 67), (0.3, 0.3, 0.25), 0.03
LEAD = 0.05


def _melody(path):
  audio, _ = synthetic.render_melody(PITCHES, DURATIONS, SAMPLE_RATE,
                                     gap_secs=GAP, vibrato_cents=10.0)
  lead = np.zeros(int(LEAD * SAMPLE_RATE), np.float32)
  sf.write(path, np.concatenate([lead, audio, lead]), SAMPLE_RATE)
  onsets = LEAD + np.concatenate([[0.0], np.cumsum(np.add(DURATIONS,
                                                          GAP))[:-1]])
  return np.stack([onsets, onsets + DURATIONS, PITCHES], axis=1)


@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
  directory = tmp_path_factory.mktemp('notes')
  reference = _melody(str(directory / 'melody.wav'))
  output = str(directory / 'data' / 'melody.tfrecord')
  os.makedirs(os.path.dirname(output))
  metadata = lib.prepare_tfrecord(
      [str(directory / 'melody.wav')], output, sample_rate=SAMPLE_RATE,
      frame_rate=FRAME_RATE, example_secs=1, hop_secs=1, chunk_secs=0,
      pipeline_options=BEAM_OPTIONS)
  return output, metadata, reference


def test_prepare_writes_the_notes_it_hears(prepared):
  output, metadata, reference = prepared
  path = artifacts.tfrecord_notes_path(output)
  assert os.path.basename(path) == metadata['notes_file'] == (
      'notes_melody.json')
  data = note_dataset.read(path)
  assert data['kind'] == 'note_dataset' and data['frame_rate'] == FRAME_RATE
  assert data['segmenter']['dip_db'] == 5.0
  assert metadata['n_notes'] == data['n_notes'] == 3
  (phrase,) = data['phrases']
  assert phrase['split'] == 'all' and phrase['start_secs'] == 0.0
  assert not phrase['cut_start'] and not phrase['cut_end']
  scores = transcription.note_scores(reference, phrase['notes'][:, :3])
  assert scores['f1'] == 1.0, phrase['notes']
  # The phrase's controls are the TFRecords' (the first 1 s example).
  example = next(tfrecords.read_examples(output + '*', ('f0_hz',
                                                        'loudness_db')))
  n = len(example['f0_hz'])
  np.testing.assert_allclose(phrase['f0_hz'][:n], example['f0_hz'],
                             atol=1e-3)
  np.testing.assert_allclose(phrase['loudness_db'][:n],
                             example['loudness_db'], atol=0.01)
  # Outside the TFRecords' own file pattern.
  assert path not in tfrecords.match_files(output + '*')


def test_without_notes_no_file_and_a_stale_one_goes(tmp_path):
  wav = str(tmp_path / 'melody.wav')
  _melody(wav)
  output = str(tmp_path / 'melody.tfrecord')
  stale = artifacts.tfrecord_notes_path(output)
  with open(stale, 'w') as f:
    f.write('{}')
  with pytest.raises(FileExistsError):  # It counts as an existing output.
    lib.prepare_tfrecord([wav], output, frame_rate=FRAME_RATE,
                         example_secs=1, pipeline_options=BEAM_OPTIONS)
  metadata = lib.prepare_tfrecord(
      [wav], output, frame_rate=FRAME_RATE, example_secs=1, hop_secs=1,
      write_notes=False, overwrite=True, pipeline_options=BEAM_OPTIONS)
  assert metadata['notes_file'] is None and metadata['n_notes'] is None
  assert not os.path.exists(stale)


def test_the_command_takes_segmenter_settings_by_gin(tmp_path):
  from conftest import run_cli  # pylint: disable=g-import-not-at-top
  wav = str(tmp_path / 'melody.wav')
  _melody(wav)
  output = str(tmp_path / 'data' / 'melody.tfrecord')
  args = ('ddsp_generative.prepare_tfrecord', f'--input_audio_filepatterns={wav}',
          f'--output_tfrecord_path={output}', '--example_secs=1',
          '--hop_secs=1', '--chunk_secs=0', '--f0_estimator=yin',
          '--pipeline_options=' + ','.join(BEAM_OPTIONS))
  run_cli(*args, '--gin_param=Segmenter.min_note_secs = 0.5')
  data = note_dataset.read(artifacts.tfrecord_notes_path(output))
  assert data['segmenter']['min_note_secs'] == 0.5
  # The three notes of 0.25-0.3 s are too short to count now.
  assert data['n_notes'] < 3
  bad = run_cli(*args, '--overwrite', '--gin_param=Segmenter.min_nose_secs = 1',
                expect_ok=False)
  lines = [l for l in bad.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and 'min_nose' in lines[0], bad.stderr
  assert bad.returncode == 2


def _tampered(prepared, tmp_path, change):
  output, _, _ = prepared
  with open(artifacts.tfrecord_notes_path(output)) as f:
    record = json.load(f)
  change(record)
  path = str(tmp_path / 'notes_x.json')
  with open(path, 'w') as f:
    json.dump(record, f)
  return path


@pytest.mark.parametrize('change,match', [
    (lambda r: r.update(kind='gmm_prior'), 'not a note_dataset'),
    (lambda r: r.update(format_version=99), 'format version 99'),
    (lambda r: r['phrases'][0].update(n_frames=5), 'n_frames says 5'),
    (lambda r: r['phrases'][0]['notes'].append([0.5, 0.4, 60, 0, 0.45]),
     'not ending after'),
    (lambda r: r['phrases'][0]['notes'].append([0.5, 99.0, 60, 0, 0.6]),
     'outside the phrase'),
    (lambda r: r['phrases'][0].update(notes=[[1, 2]]), 'malformed'),
    (lambda r: r['phrases'][0].pop('f0_hz'), 'lacks f0_hz'),
    (lambda r: r.update(frame_rate=-1), 'frame_rate'),
])
def test_a_tampered_note_dataset_is_refused_in_one_line(prepared, tmp_path,
                                                        change, match):
  path = _tampered(prepared, tmp_path, change)
  with pytest.raises(note_dataset.NoteDatasetError, match=match) as raised:
    note_dataset.read(path)
  assert isinstance(raised.value, errors.UserError)
  assert '\n' not in str(raised.value)


def test_missing_file_and_missing_split(prepared, tmp_path):
  output, _, _ = prepared
  with pytest.raises(note_dataset.NoteDatasetError, match='prepare_tfrecord'):
    note_dataset.read(str(tmp_path / 'nothing.json'))
  with pytest.raises(note_dataset.NoteDatasetError, match="split 'train'"):
    note_dataset.read(artifacts.tfrecord_notes_path(output), split='train')
