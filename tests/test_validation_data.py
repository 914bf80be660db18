# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Data validated at every boundary; one publish protocol for data sets.

One test per failure class of the data side of the reliability issue, on
real files each test writes (hand-made WAV headers where soundfile refuses),
through the commands' real `main` where an exit code is asserted: corrupt
audio, absurd header rates, non-files among the inputs, non-finite numbers,
truncated and corrupt shards, counts that disagree with the metadata,
TFRecords of other rates than the model's, concurrent runs and a kill while
publishing.
"""

import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import time

import conftest
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp_generative.core import artifacts
from ddsp_generative.expression import note_dataset
from ddsp_generative.core import audio_io
from ddsp_generative.core import publish
from ddsp_generative.core import tfrecords
from ddsp_generative.core import z_dataset
from ddsp_generative.data_preparation import extract_z_lib
from ddsp_generative.data_preparation import prepare_tfrecord_lib as lib
from ddsp_generative.data_preparation import prepare_tfrecord_stages as stages

SR = 16000
BEAM = conftest.BEAM_OPTIONS
BEAM_FLAG = '--pipeline_options=' + ','.join(BEAM)
PREPARE = 'ddsp_generative.prepare_tfrecord'
EXTRACT = 'ddsp_generative.extract_z'
FIT = 'ddsp_generative.fit_prior'
Z_METADATA = {'frame_rate': 250, 'model_dir': '/models/ae', 'model_step': 1,
              'model_fingerprint': 'f00dcafe',
              'source_tfrecord_pattern': '/data/train.tfrecord*'}


# ------------------------------------------------------------- Helpers ----
def tone(secs=1.0, sample_rate=SR, f0_hz=220.0, amplitude=0.3):
  t = np.arange(int(round(secs * sample_rate))) / sample_rate
  return (amplitude * np.sin(2 * np.pi * f0_hz * t)).astype(np.float32)


def write_pcm16_wav(path, header_rate, n_samples=32000):
  """A 16-bit WAV with any header sample rate (soundfile refuses 0 Hz)."""
  data = (np.random.RandomState(0).randn(n_samples) * 3000).astype(
      '<i2').tobytes()
  header = (b'RIFF' + struct.pack('<I', 36 + len(data)) + b'WAVE' + b'fmt ' +
            struct.pack('<IHHIIHH', 16, 1, 1, header_rate, header_rate * 2, 2,
                        16) + b'data' + struct.pack('<I', len(data)))
  with open(path, 'wb') as f:
    f.write(header + data)


def run(module, *args, env=None, timeout=300):
  """Runs `python -m module args`; returns the CompletedProcess."""
  environ = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **(env or {}))
  return subprocess.run([sys.executable, '-m', module] + list(args),
                        capture_output=True, text=True, env=environ,
                        timeout=timeout)


def error_line(result, command):
  """The one `<command>: error: ...` line of a failed run (no traceback)."""
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  lines = [l for l in result.stderr.splitlines() if ': error: ' in l]
  assert len(lines) == 1, result.stderr[-3000:]
  assert lines[0].startswith(f'ddsp_generative_{command}: error: '), lines
  return lines[0]


def visible(directory):
  """The names in a folder that are not the publish protocol's dot files."""
  return sorted(n for n in os.listdir(directory) if not n.startswith('.'))


def prepare(paths, output, **kwargs):
  kwargs = dict(dict(sample_rate=SR, frame_rate=250, example_secs=1,
                     hop_secs=1, chunk_secs=0, f0_estimator='yin',
                     num_shards=1, pipeline_options=BEAM), **kwargs)
  return lib.prepare_tfrecord(paths, output, **kwargs)


def tone_files(directory, n=2, secs=1.0, sample_rate=SR):
  os.makedirs(directory, exist_ok=True)
  paths = []
  for i in range(n):
    paths.append(os.path.join(directory, f'tone{i}.wav'))
    sf.write(paths[-1], tone(secs, sample_rate, 220.0 * (1 + 0.25 * i)),
             sample_rate)
  return paths


def truncate_half(path, extra=0):
  with open(path, 'rb') as f:
    data = f.read()
  with open(path, 'wb') as f:
    f.write(data[:len(data) // 2 + extra])


def edit_json(path, edit):
  with open(path) as f:
    record = json.load(f)
  edit(record)
  with open(path, 'w') as f:
    json.dump(record, f)


# --------------------------------------------------------- Audio input ----
@pytest.fixture(scope='module')
def bad_inputs(tmp_path_factory):
  """One prepare run (the real command) over every kind of bad input."""
  root = tmp_path_factory.mktemp('bad_inputs')
  audio = root / 'audio'
  audio.mkdir()
  paths = {name: str(audio / f'{name}.wav') for name in (
      'good', 'huge', 'hot', 'nan', 'rate1', 'rate0', 'folder', 'loop',
      'broken')}
  sf.write(paths['good'], tone(), SR, subtype='PCM_16')
  sf.write(paths['huge'], tone(amplitude=3e29), SR, subtype='FLOAT')
  sf.write(paths['hot'], tone(amplitude=2.0), SR, subtype='FLOAT')
  with_nan = tone()
  with_nan[100] = np.nan
  sf.write(paths['nan'], with_nan, SR, subtype='FLOAT')
  # 64 KB of samples: 8.9 hours at 1 Hz, a ZeroDivisionError at 0 Hz.
  write_pcm16_wav(paths['rate1'], 1)
  write_pcm16_wav(paths['rate0'], 0)
  os.mkdir(paths['folder'])
  os.symlink('loop.wav', paths['loop'])
  os.symlink('missing.wav', paths['broken'])
  output = str(root / 'data' / 'train.tfrecord')
  start = time.monotonic()
  result = run(PREPARE, f'--input_audio_filepatterns={audio}/*.wav',
               f'--output_tfrecord_path={output}', '--example_secs=1',
               '--f0_estimator=yin', BEAM_FLAG)
  elapsed = time.monotonic() - start
  assert result.returncode == 0, result.stderr[-3000:]
  metadata = artifacts.read_json(artifacts.tfrecord_metadata_path(output),
                                 lib.METADATA_KIND,
                                 [lib.METADATA_FORMAT_VERSION])
  return {'result': result, 'metadata': metadata, 'paths': paths,
          'output': output, 'elapsed': elapsed,
          'skipped': {s['path']: s['reason']
                      for s in metadata['skipped_files']}}


def test_absurd_amplitude_is_skipped_and_every_feature_is_finite(bad_inputs):
  reason = bad_inputs['skipped'][bad_inputs['paths']['huge']]
  assert 'peak amplitude 3e+29' in reason and 'corrupt float data' in reason
  assert f"Skipping '{bad_inputs['paths']['huge']}'" in bad_inputs[
      'result'].stderr
  examples = list(tfrecords.read_examples(bad_inputs['output'] + '*'))
  assert len(examples) == bad_inputs['metadata']['n_examples'] == 2
  for ex in examples:
    for key in tfrecords.FEATURE_KEYS:
      assert np.all(np.isfinite(ex[key])), key
  assert np.max(np.abs(np.concatenate([e['loudness_db'] for e in examples]))
               ) < 100


def test_non_finite_samples_are_skipped(bad_inputs):
  assert 'NaN or Inf' in bad_inputs['skipped'][bad_inputs['paths']['nan']]


def test_header_sample_rates_out_of_range_are_skipped_undecoded(bad_inputs):
  for name, rate in (('rate1', 1), ('rate0', 0)):
    reason = bad_inputs['skipped'][bad_inputs['paths'][name]]
    assert f'header sample rate {rate} Hz is outside 1000..768000 Hz' in (
        reason), reason
    assert 'ZeroDivision' not in reason
  # Refused from the header: nothing was decoded whole or resampled (8.9
  # hours of audio at 1 Hz would have been 512 M samples at 16 kHz).
  counters = bad_inputs['metadata']['counters']
  assert counters.get('decoded-whole-file', 0) == 0
  assert counters.get('resampled-file', 0) == 0
  assert bad_inputs['elapsed'] < 120
  for name in ('rate1', 'rate0'):
    with pytest.raises(audio_io.BadAudioError, match='header sample rate'):
      audio_io.load_audio(bad_inputs['paths'][name])


def test_float_above_full_scale_is_kept_with_a_warning(bad_inputs):
  metadata, hot = bad_inputs['metadata'], bad_inputs['paths']['hot']
  files = {f['path']: f for f in metadata['files']}
  assert files[hot]['peak'] == pytest.approx(2.0, rel=1e-3)
  assert 'above full scale' in files[hot]['warning']
  assert [w['path'] for w in metadata['file_warnings']] == [hot]
  assert metadata['n_files_with_warnings'] == 1
  assert f"Keeping '{hot}'" in bad_inputs['result'].stderr
  assert 'Kept 1 file(s) with a warning' in bad_inputs['result'].stdout


def test_non_files_among_the_inputs_are_skipped_and_counted(bad_inputs):
  paths, skipped = bad_inputs['paths'], bad_inputs['skipped']
  assert skipped[paths['folder']] == 'a directory, not an audio file'
  assert skipped[paths['loop']] == 'symbolic link loop'
  assert skipped[paths['broken']].startswith('broken symbolic link')
  metadata = bad_inputs['metadata']
  assert metadata['n_paths_not_files'] == 3
  assert metadata['n_files'] == 9 and metadata['n_files_used'] == 2
  assert metadata['n_files_skipped'] == 7
  for name in ('folder', 'loop', 'broken'):
    assert f"Skipping input '{paths[name]}'" in bad_inputs['result'].stderr


def test_files_longer_than_the_maximum_are_skipped(tmp_path, monkeypatch):
  paths = tone_files(str(tmp_path / 'audio'), n=1, secs=1.0)
  short = str(tmp_path / 'audio' / 'short.wav')
  sf.write(short, tone(0.4), SR)
  monkeypatch.setattr(audio_io, 'MAX_DURATION_SECS', 0.5)
  with pytest.raises(audio_io.BadAudioError, match='above the maximum'):
    audio_io.load_audio(paths[0])
  metadata = prepare(paths + [short], str(tmp_path / 'data' /
                                          'train.tfrecord'))
  (skipped,) = metadata['skipped_files']
  assert skipped['path'] == paths[0]
  assert 'above the maximum of 0.5 s' in skipped['reason']
  assert metadata['n_files_used'] == 1 and metadata['n_examples'] == 1


def test_examples_with_non_finite_features_are_dropped_and_counted(
    tmp_path, monkeypatch):
  real_add_loudness = stages.add_loudness

  def loudness_with_inf(ex, frame_rate, center):
    for out in real_add_loudness(ex, frame_rate, center):
      if isinstance(out, dict) and out['path'].endswith('tone0.wav'):
        out['loudness_db'][3] = np.inf
      yield out

  monkeypatch.setattr(stages, 'add_loudness', loudness_with_inf)
  output = str(tmp_path / 'data' / 'train.tfrecord')
  metadata = prepare(tone_files(str(tmp_path / 'audio')), output)
  assert metadata['counters']['dropped-non-finite-example'] == 1
  assert metadata['n_examples_dropped'] == 1 and metadata['n_examples'] == 1
  (example,) = tfrecords.read_examples(output + '*')
  assert all(np.all(np.isfinite(example[k])) for k in tfrecords.FEATURE_KEYS)
  # The note dataset keeps the chunk, the bad frame silent, and counts it.
  assert metadata['counters']['notes-non-finite-frame'] == 1
  notes = note_dataset.read(artifacts.tfrecord_notes_path(output))
  assert len(notes['phrases']) == 2


# ------------------------------------------------------------- Flags ----
@pytest.mark.parametrize('flag, name', [
    ('--hop_secs=inf', 'hop_secs'), ('--example_secs=nan', 'example_secs')])
def test_non_finite_or_non_positive_flags_are_usage_errors(tmp_path, flag,
                                                           name):
  paths = tone_files(str(tmp_path / 'audio'), n=1)
  output = tmp_path / 'data' / 'train.tfrecord'
  result = run(PREPARE, f'--input_audio_filepatterns={paths[0]}',
               f'--output_tfrecord_path={output}', flag, BEAM_FLAG)
  assert result.returncode == 2
  assert f'{name} (' in error_line(result, 'prepare_tfrecord')
  assert not output.parent.exists()


@pytest.mark.parametrize('kwargs, match', [
    (dict(eval_split_fraction=float('nan')), 'eval_split_fraction'),
    (dict(example_secs=float('inf')), 'example_secs'),
    (dict(sample_rate=0), 'sample_rate'),
    (dict(chunk_secs=-1), 'chunk_secs'),
    (dict(hop_secs=-0.5), 'hop_secs'),
    (dict(num_shards=1.5), 'num_shards')])
def test_library_parameters_raise_usage_errors(tmp_path, kwargs, match):
  with pytest.raises(lib.ParameterError, match=match) as raised:
    prepare(tone_files(str(tmp_path / 'audio'), n=1),
            str(tmp_path / 'data' / 'train.tfrecord'), **kwargs)
  assert raised.value.exit_code == 2 and '\n' not in str(raised.value)
  assert not (tmp_path / 'data').exists()


# ------------------------------------------------------ TFRecord readers ----
@pytest.fixture(scope='module')
def small_tfrecords(tmp_path_factory):
  """A 2-example, 1-shard TFRecord data set; tests copy it before editing."""
  root = tmp_path_factory.mktemp('small_tfrecords')
  prepare(tone_files(str(root / 'audio')), str(root / 'data' /
                                                'train.tfrecord'))
  return str(root / 'data')


def copy_dataset(source, destination):
  shutil.copytree(source, destination)
  output = os.path.join(destination, 'train.tfrecord')
  return (output, output + '-00000-of-00001',
          artifacts.tfrecord_metadata_path(output))


def test_truncated_tfrecord_shard_is_refused(small_tfrecords, tmp_path):
  output, shard, metadata = copy_dataset(small_tfrecords, tmp_path / 'd')
  assert len(list(tfrecords.read_examples(output + '*'))) == 2
  truncate_half(shard, extra=7)
  for read in (tfrecords.match_files,
               lambda p: list(tfrecords.read_examples(p))):
    with pytest.raises(tfrecords.CorruptDatasetError,
                       match='truncated or modified') as raised:
      read(output + '*')
    message = str(raised.value)
    assert shard in message and '\n' not in message
    assert 'ddsp_generative_prepare_tfrecord with --overwrite' in message
  # Older metadata without sizes: the read itself finds the cut record.
  edit_json(metadata, lambda r: r['splits']['all'].pop('shard_counts'))
  with pytest.raises(tfrecords.CorruptDatasetError, match='truncated: its '
                     'last record is cut short'):
    list(tfrecords.read_examples(output + '*'))


def test_corrupt_tfrecord_shard_is_refused(small_tfrecords, tmp_path):
  output, shard, metadata = copy_dataset(small_tfrecords, tmp_path / 'd')
  with open(shard, 'r+b') as f:
    f.seek(5000)
    byte = f.read(1)
    f.seek(5000)
    f.write(bytes([byte[0] ^ 0xFF]))
  with pytest.raises(tfrecords.CorruptDatasetError,
                     match=r'is corrupt \(record 0: corrupted record'):
    list(tfrecords.read_examples(output + '*'))
  del metadata


def test_shards_must_be_exactly_those_the_metadata_lists(small_tfrecords,
                                                         tmp_path):
  output, shard, metadata = copy_dataset(small_tfrecords, tmp_path / 'd')
  shutil.copy(shard, output + '-00001-of-00003')
  with pytest.raises(tfrecords.CorruptDatasetError,
                     match='-00001-of-00003 is not one of the 1 shard'):
    tfrecords.match_files(output + '*')
  os.remove(output + '-00001-of-00003')
  names = [f'train.tfrecord-0000{i}-of-00003' for i in range(3)]
  os.rename(shard, os.path.join(tmp_path, 'd', names[0]))

  def three_shards(record):
    record['splits']['all']['shards'] = names
    record['splits']['all'].pop('shard_counts')

  edit_json(metadata, three_shards)
  with pytest.raises(tfrecords.IncompleteDatasetError,
                     match='lists 3 shard.s. of which 1 exist'):
    tfrecords.match_files(output + '*')


def test_example_counts_must_match_the_metadata(small_tfrecords, tmp_path):
  output, shard, metadata = copy_dataset(small_tfrecords, tmp_path / 'd')

  def three_examples(record):
    counts = record['splits']['all']['shard_counts'][os.path.basename(shard)]
    counts['n_examples'] = 3
  edit_json(metadata, three_examples)
  with pytest.raises(tfrecords.CorruptDatasetError,
                     match='holds 2 example.s. but its metadata says 3'):
    list(tfrecords.read_examples(output + '*'))


# ------------------------------------------------------- z dataset readers ----
def z_examples(n_examples=12, n_frames=250, z_dims=4, seed=0):
  rng = np.random.default_rng(seed)
  return [{'z': rng.normal(size=(n_frames, z_dims)).astype(np.float32),
           'f0_hz': np.full(n_frames, 220.0, np.float32),
           'loudness_db': rng.uniform(-40, -10, n_frames).astype(np.float32)}
          for _ in range(n_examples)]


def test_truncated_z_shard_fails_fit_prior_and_readers(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  metadata = z_dataset.write_z_dataset(path, z_examples(), Z_METADATA)
  assert metadata['n_frames'] == 3000 and metadata['shards'] == [
      'z.tfrecord']
  truncate_half(path)  # At an example boundary: 6 whole examples remain.
  prior = str(tmp_path / 'prior.json')
  result = run(FIT, f'--z_dataset={path}*', f'--output={prior}',
               '--prior=gmm')
  assert result.returncode == 1
  line = error_line(result, 'fit_prior')
  assert f'{path} is' in line and 'truncated or modified' in line
  assert 'ddsp_generative_extract_z with --overwrite' in line
  assert not os.path.exists(prior)
  # Without per-shard sizes (older metadata), the frame count disagrees.
  edit_json(z_dataset.z_metadata_path(path),
            lambda r: r.pop('shard_counts'))
  with pytest.raises(z_dataset.CorruptDatasetError,
                     match='holds 6 examples but .* says 12'):
    z_dataset.read_z_dataset(path)
  edit_json(z_dataset.z_metadata_path(path),
            lambda r: r.update(n_examples=6))
  with pytest.raises(z_dataset.CorruptDatasetError,
                     match='holds 1500 frames but .* says 3000'):
    z_dataset.load_frames(path + '*')


def test_corrupt_z_shard_is_refused(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  z_dataset.write_z_dataset(path, z_examples(n_examples=2), Z_METADATA)
  size = os.path.getsize(path)
  with open(path, 'r+b') as f:
    f.seek(size // 4)
    f.write(b'\xff\x00\xff')
  with pytest.raises(z_dataset.CorruptDatasetError,
                     match='corrupt .*extract_z with --overwrite'):
    z_dataset.read_z_dataset(path)


_KILLED_Z_WRITE = textwrap.dedent("""
    import sys
    import numpy as np
    from ddsp_generative.core import z_dataset
    examples = [{'z': np.zeros((10, 4), np.float32),
                 'f0_hz': np.full(10, 220.0, np.float32),
                 'loudness_db': np.full(10, -20.0, np.float32)}]
    z_dataset.write_z_dataset(sys.argv[1], examples, {
        'frame_rate': 250, 'model_dir': 'm', 'model_step': 2,
        'model_fingerprint': 'f', 'source_tfrecord_pattern': 'p'})
""")


def test_z_set_killed_while_publishing_is_incomplete(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  z_dataset.write_z_dataset(path, z_examples(n_examples=2), Z_METADATA)
  killed = subprocess.run(
      [sys.executable, '-c', _KILLED_Z_WRITE, path], capture_output=True,
      env=dict(os.environ, **{publish.FAULT_ENV: 'publish:1'}), check=False)
  assert killed.returncode == -9
  assert visible(tmp_path) == ['z.tfrecord']  # New shard, no metadata.
  assert publish.stale_entries(tmp_path, 'z.tfrecord')
  for read in (z_dataset.load_frames, z_dataset.read_z_metadata):
    with pytest.raises(z_dataset.IncompleteDatasetError,
                       match='incomplete.*extract_z with --overwrite'):
      read(path)
  result = run(FIT, f'--z_dataset={path}', f'--output={tmp_path}/p.json',
               '--prior=gmm')
  assert result.returncode == 1
  assert 'is incomplete' in error_line(result, 'fit_prior')
  with pytest.raises(extract_z_lib.OutputExistsError,
                     match='An incomplete z dataset .* --overwrite'):
    extract_z_lib.refuse_existing(path)


# ------------------------------------------------------------ extract_z ----
@pytest.fixture(scope='module')
def tfrecords_24k(tmp_path_factory):
  root = tmp_path_factory.mktemp('tfrecords_24k')
  paths = tone_files(str(root / 'audio'), sample_rate=24000)
  output = str(root / 'data' / 'train.tfrecord')
  prepare(paths, output, sample_rate=24000)
  return output + '*'


def test_extract_z_refuses_tfrecords_of_other_rates(tiny_model_dir,
                                                    tfrecords_24k, tmp_path):
  output = tmp_path / 'z' / 'z.tfrecord'
  result = run(EXTRACT, f'--input_tfrecord_filepatterns={tfrecords_24k}',
               f'--output_path={output}', f'--model_dir={tiny_model_dir}',
               BEAM_FLAG)
  assert result.returncode == 1
  line = error_line(result, 'extract_z')
  assert '24000 Hz audio' in line and '16000 Hz audio' in line
  assert '--sample_rate=16000' in line
  assert not output.parent.exists()


def test_extract_z_records_true_rates_and_its_shards(tiny_model_dir,
                                                     tiny_tfrecords,
                                                     tmp_path):
  output = str(tmp_path / 'z.tfrecord')
  metadata = extract_z_lib.extract_z(tiny_tfrecords, output, tiny_model_dir,
                                     batch_size=4, pipeline_options=BEAM)
  assert (metadata['sample_rate'], metadata['frame_rate']) == (16000, 250)
  assert sorted(metadata['shards']) == sorted(
      os.path.basename(f) for f in z_dataset.dataset_files(output))
  assert sum(c['n_frames'] for c in metadata['shard_counts'].values()) == (
      metadata['n_frames'])
  assert visible(tmp_path) == sorted(
      metadata['shards'] + ['metadata_z.z_dataset.json'])
  assert not publish.stale_entries(tmp_path, 'z.tfrecord')
  # A second run without --overwrite writes nothing.
  before = {n: os.path.getmtime(tmp_path / n) for n in visible(tmp_path)}
  with pytest.raises(extract_z_lib.OutputExistsError, match='--overwrite'):
    extract_z_lib.extract_z(tiny_tfrecords, output, tiny_model_dir,
                            pipeline_options=BEAM)
  assert before == {n: os.path.getmtime(tmp_path / n)
                    for n in visible(tmp_path)}


def _write_featureless_tfrecord(path):
  example = tf.train.Example(features=tf.train.Features(feature={
      'pitch': tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))}))
  with tf.io.TFRecordWriter(path) as writer:
    writer.write(example.SerializeToString())


def _error_cases(root, tiny_model_dir, small_tfrecords):
  """{case: (kwargs of extract_z, exit code, message part)}."""
  garbage = os.path.join(root, 'garbage_model')
  os.makedirs(garbage)
  with open(os.path.join(garbage, 'operative_config-0.gin'), 'w') as f:
    f.write('this is = not ( gin\n')
  with open(os.path.join(garbage, 'checkpoint'), 'w') as f:
    f.write('model_checkpoint_path: "ckpt-1"\n')
  for suffix in ('.index', '.data-00000-of-00001'):
    with open(os.path.join(garbage, 'ckpt-1' + suffix), 'wb') as f:
      f.write(os.urandom(256))
  featureless = os.path.join(root, 'featureless.tfrecord')
  _write_featureless_tfrecord(featureless)
  zeros = os.path.join(root, 'zeros.tfrecord')
  with open(zeros, 'wb') as f:
    f.write(b'\0' * 64)
  truncated, shard, _ = copy_dataset(small_tfrecords,
                                     os.path.join(root, 'truncated'))
  truncate_half(shard)
  good = os.path.join(small_tfrecords, 'train.tfrecord*')
  existing = os.path.join(root, 'existing', 'z.tfrecord')
  z_dataset.write_z_dataset(existing, z_examples(n_examples=1), Z_METADATA)
  model = tiny_model_dir
  return {
      'missing model dir': (dict(model_dir=os.path.join(root, 'nope')), 1,
                            'Model directory not found'),
      'garbage model dir': (dict(model_dir=garbage), 1, 'garbage_model'),
      'empty model dir': (dict(model_dir=root), 1, 'checkpoint'),
      'no tfrecords': (dict(input_tfrecord_pattern=os.path.join(
          root, 'none*')), 1, 'No TFRecords match'),
      'without ddsp features': (dict(input_tfrecord_pattern=featureless), 1,
                                "lacks ['audio', 'f0_hz', 'loudness_db']"),
      'corrupt tfrecords': (dict(input_tfrecord_pattern=zeros), 1,
                            'Is this even a TFRecord file?'),
      'truncated tfrecords': (dict(input_tfrecord_pattern=truncated + '*'),
                              1, 'truncated or modified'),
      'batch_size 0': (dict(batch_size=0), 2, '--batch_size must be'),
      'num_shards -1': (dict(num_shards=-1), 2, '--num_shards must be'),
      'output is a folder': (dict(output_path=root), 2, 'not a folder'),
      'existing output': (dict(output_path=existing), 1,
                          'already exists at'),
      '_defaults': (dict(input_tfrecord_pattern=good, model_dir=model), 0,
                    ''),
  }


def test_every_extract_z_error_is_one_line_and_writes_nothing(
    tiny_model_dir, small_tfrecords, tmp_path):
  cases = _error_cases(str(tmp_path), tiny_model_dir, small_tfrecords)
  defaults = cases.pop('_defaults')[0]
  for case, (kwargs, exit_code, part) in cases.items():
    output = str(tmp_path / 'out' / case.replace(' ', '_') / 'z.tfrecord')
    args = dict(defaults, output_path=output, pipeline_options=BEAM)
    args.update(kwargs)
    before = sorted(os.listdir(os.path.dirname(args['output_path']))) if (
        os.path.isdir(os.path.dirname(args['output_path']))) else None
    with pytest.raises(extract_z_lib.errors.UserError) as raised:
      extract_z_lib.extract_z(**args)
    message = str(raised.value)
    assert raised.value.exit_code == exit_code, (case, message)
    assert part in message, (case, message)
    assert '\n' not in message, (case, message)
    after = sorted(os.listdir(os.path.dirname(args['output_path']))) if (
        os.path.isdir(os.path.dirname(args['output_path']))) else None
    assert after == before, case  # Nothing written, not even a lock.


def test_extract_z_command_exit_codes(tmp_path):
  output = str(tmp_path / 'z.tfrecord')
  result = run(EXTRACT, f'--input_tfrecord_filepatterns={tmp_path}/x*',
               f'--output_path={output}', f'--model_dir={tmp_path}',
               '--batch_size=0')
  assert result.returncode == 2
  assert '--batch_size must be' in error_line(result, 'extract_z')
  result = run(EXTRACT, f'--input_tfrecord_filepatterns={tmp_path}/x*',
               f'--output_path={output}', f'--model_dir={tmp_path}')
  assert result.returncode == 1
  assert 'No TFRecords match' in error_line(result, 'extract_z')
  assert not os.listdir(tmp_path)


_HOLD = textwrap.dedent("""
    import sys, time
    from ddsp_generative.core import publish
    with publish.lock(sys.argv[1], 'z.tfrecord'):
      print('held', flush=True)
      time.sleep(120)
""")


def test_second_extract_z_on_one_output_is_refused_at_once(small_tfrecords,
                                                           tmp_path):
  holder = subprocess.Popen([sys.executable, '-c', _HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    start = time.monotonic()
    with pytest.raises(publish.OutputBusyError,
                       match=r'being written by another run \(pid \d+\)'):
      # No model is loaded: the busy output is found first.
      extract_z_lib.extract_z(os.path.join(small_tfrecords, '*'),
                              str(tmp_path / 'z.tfrecord'),
                              str(tmp_path / 'no_model'),
                              pipeline_options=BEAM)
    assert time.monotonic() - start < 10
  finally:
    holder.kill()
    holder.wait()
  assert visible(tmp_path) == []


# ------------------------------------------------- Publish: prepare ----
_WARM_PREPARE = textwrap.dedent("""
    import runpy, sys
    from ddsp_generative.data_preparation import prepare_tfrecord_lib
    print('ready', flush=True)
    sys.stdin.readline()
    sys.argv = ['ddsp_generative_prepare_tfrecord'] + sys.argv[1:]
    runpy.run_module('ddsp_generative.prepare_tfrecord', run_name='__main__',
                     alter_sys=True)
""")


def test_concurrent_prepare_second_is_refused_first_completes(tmp_path):
  paths = tone_files(str(tmp_path / 'audio'), n=4)
  out_dir = tmp_path / 'data'
  args = [f'--input_audio_filepatterns={tmp_path}/audio/*.wav',
          f'--output_tfrecord_path={out_dir}/train.tfrecord',
          '--example_secs=1', '--f0_estimator=pyin', BEAM_FLAG]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  # The second run starts warm (TensorFlow and Beam loaded), so that it
  # reaches the lock while the first one is still running.
  second = subprocess.Popen(
      [sys.executable, '-c', _WARM_PREPARE] + args + ['--overwrite'],
      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True, env=env)
  first = subprocess.Popen([sys.executable, '-m', PREPARE] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
  try:
    assert second.stdout.readline().strip() == 'ready'
    deadline = time.monotonic() + 240
    while not glob.glob(str(out_dir / '.staging-train.tfrecord-*')):
      assert first.poll() is None and time.monotonic() < deadline
      time.sleep(0.05)
    second_out, second_err = second.communicate('go\n', timeout=120)
    first_running = first.poll() is None
    first_out, first_err = first.communicate(timeout=300)
  finally:
    for process in (first, second):
      if process.poll() is None:
        process.kill()
  assert first_running, 'the first run ended before the second started'
  second_result = subprocess.CompletedProcess([], second.returncode,
                                              second_out, second_err)
  assert second.returncode == 1, second_err[-3000:]
  line = error_line(second_result, 'prepare_tfrecord')
  assert 'is being written by another run (pid' in line
  assert first.returncode == 0, first_err[-3000:]
  assert 'Wrote 4 examples' in first_out
  metadata = artifacts.read_json(
      str(out_dir / 'metadata_train.json'), lib.METADATA_KIND,
      [lib.METADATA_FORMAT_VERSION])
  assert visible(out_dir) == sorted(metadata['splits']['all']['shards'] +
                                    ['metadata_train.json',
                                     'notes_train.json'])
  assert len(list(tfrecords.read_examples(f'{out_dir}/train.tfrecord*'))) == (
      4)
  assert not publish.stale_entries(out_dir, 'train.tfrecord')
  del paths


def test_kill_while_publishing_then_refuse_then_overwrite(tmp_path):
  paths = tone_files(str(tmp_path / 'audio'))
  output = str(tmp_path / 'data' / 'train.tfrecord')
  prepare(paths, output)  # The old data set: 1 shard.
  args = [f'--input_audio_filepatterns={tmp_path}/audio/*.wav',
          f'--output_tfrecord_path={output}', '--example_secs=1',
          '--f0_estimator=yin', '--num_shards=2', BEAM_FLAG]
  killed = run(PREPARE, *args, '--overwrite',
               env={publish.FAULT_ENV: 'publish:1'})
  assert killed.returncode == -9, killed.stderr[-3000:]
  data = tmp_path / 'data'
  # The old metadata went first, then the old shard; one new shard moved.
  assert visible(data) == ['train.tfrecord-00000-of-00002']
  (staging,) = publish.stale_entries(data, 'train.tfrecord')
  assert os.path.basename(staging).startswith('.staging-train.tfrecord-')
  with pytest.raises(tfrecords.IncompleteDatasetError,
                     match='incomplete data set.*--overwrite'):
    tfrecords.match_files(output + '*')
  refused = run(PREPARE, *args)
  assert refused.returncode == 1
  line = error_line(refused, 'prepare_tfrecord')
  assert 'An incomplete TFRecord dataset is at' in line
  assert 'no metadata_train.json' in line and '--overwrite' in line
  assert visible(data) == ['train.tfrecord-00000-of-00002']
  replaced = run(PREPARE, *args, '--overwrite')
  assert replaced.returncode == 0, replaced.stderr[-3000:]
  assert 'leftover(s) of an interrupted run' in replaced.stderr
  assert not publish.stale_entries(data, 'train.tfrecord')
  assert visible(data) == ['metadata_train.json', 'notes_train.json',
                           'train.tfrecord-00000-of-00002',
                           'train.tfrecord-00001-of-00002']
  assert len(list(tfrecords.read_examples(output + '*'))) == 2
