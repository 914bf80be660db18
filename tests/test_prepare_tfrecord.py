"""Tests for audio_io and the prepare_tfrecord pipeline and CLI.

Real files of every supported kind (and broken ones) are written to a temp
dir; the pipeline runs on the in-process DirectRunner and its TFRecords are
read back with ddsp's own TFRecordProvider.
"""

import glob
import os

import apache_beam as beam
from ddsp.training import data
import conftest
import numpy as np
import pytest
import soundfile as sf

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative import environment
from ddsp_generative.data_preparation import beam_runner
from ddsp_generative.data_preparation import prepare_tfrecord_lib as lib
from ddsp_generative.data_preparation import prepare_tfrecord_stages as stages
from ddsp_generative.data_preparation import prepare_tfrecord_write as write

SAMPLE_RATE = 16000
BEAM_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')


def harmonic_tone(f0_hz, secs=1.0, sample_rate=SAMPLE_RATE, amplitude=0.3):
  t = np.arange(int(round(secs * sample_rate))) / sample_rate
  audio = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, 5))
  return (amplitude * audio / np.max(np.abs(audio))).astype(np.float32)


def write_inputs(directory):
  """Writes good, odd and broken audio files; returns {name: path}."""
  os.makedirs(directory, exist_ok=True)
  tone = harmonic_tone(220.0)
  paths = {}

  def path(name):
    paths[name.split('.')[0]] = os.path.join(directory, name)
    return paths[name.split('.')[0]]

  sf.write(path('tone_pcm16.wav'), tone, SAMPLE_RATE, subtype='PCM_16')
  sf.write(path('tone_pcm24.wav'), tone, SAMPLE_RATE, subtype='PCM_24')
  sf.write(path('tone_float.wav'), tone, SAMPLE_RATE, subtype='FLOAT')
  sf.write(path('tone.flac'), tone, SAMPLE_RATE)
  sf.write(path('stereo.wav'), np.stack([tone, np.zeros_like(tone)], 1),
           SAMPLE_RATE)
  sf.write(path('tone_44k.wav'), harmonic_tone(330.0, 1.0, 44100), 44100)
  sf.write(path('short.wav'), tone[:4800], SAMPLE_RATE)
  sf.write(path('silent.wav'), np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
  open(path('empty.wav'), 'wb').close()
  with open(path('corrupt.wav'), 'wb') as f:
    f.write(np.random.RandomState(0).bytes(4096))
  return paths


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
  return write_inputs(str(tmp_path_factory.mktemp('audio')))


def read_examples(file_pattern, sample_rate=SAMPLE_RATE, frame_rate=50,
                  center=False):
  provider = data.TFRecordProvider(file_pattern, example_secs=1,
                                   sample_rate=sample_rate,
                                   frame_rate=frame_rate, centered=center)
  return [{k: v.numpy() for k, v in ex.items()}
          for ex in provider.get_dataset(shuffle=False)]


def work_dirs(directory):
  """Staging and temporary files a run left (the publish protocol's)."""
  return (glob.glob(os.path.join(directory, '.staging-*')) +
          glob.glob(os.path.join(directory, '.tmp-*')))


# ------------------------------------------------------------- audio_io ----
@pytest.mark.parametrize('name', ['tone_pcm16', 'tone_pcm24', 'tone_float',
                                  'tone'])
def test_load_audio_formats(inputs, name):
  audio, info = audio_io.load_audio(inputs[name], SAMPLE_RATE)
  assert audio.dtype == np.float32 and audio.shape == (SAMPLE_RATE,)
  np.testing.assert_allclose(audio, harmonic_tone(220.0), atol=1e-4)
  assert info['reader'] == 'soundfile' and info['channels'] == 1


@pytest.mark.parametrize('fmt, subtype, atol', [
    ('OGG', 'VORBIS', 0.05), ('MP3', 'MPEG_LAYER_III', 0.05)])
def test_load_audio_lossy_formats(tmp_path, fmt, subtype, atol):
  path = str(tmp_path / f'tone.{fmt.lower()}')
  tone = harmonic_tone(220.0)
  sf.write(path, tone, SAMPLE_RATE, format=fmt, subtype=subtype)
  audio, info = audio_io.load_audio(path, SAMPLE_RATE)
  assert info['format'] == fmt and abs(len(audio) - len(tone)) < 2000
  assert abs(np.std(audio) - np.std(tone)) < atol


def test_load_audio_downmixes_and_resamples(inputs):
  audio, info = audio_io.load_audio(inputs['stereo'], SAMPLE_RATE)
  np.testing.assert_allclose(audio, 0.5 * harmonic_tone(220.0), atol=1e-4)
  assert info['channels'] == 2
  audio, info = audio_io.load_audio(inputs['tone_44k'], SAMPLE_RATE)
  assert info['original_sample_rate'] == 44100 and len(audio) == SAMPLE_RATE
  spectrum = np.abs(np.fft.rfft(audio))
  assert np.argmax(spectrum) == 330  # 1 Hz bins.


@pytest.mark.parametrize('name, reason', [('empty', 'empty'),
                                          ('corrupt', 'cannot decode'),
                                          ('missing', 'not found')])
def test_load_audio_bad_files(inputs, name, reason):
  path = inputs.get(name, '/nonexistent/missing.wav')
  with pytest.raises(audio_io.BadAudioError, match=reason):
    audio_io.load_audio(path, SAMPLE_RATE)


def test_write_wav_is_atomic_16_bit(tmp_path):
  path = str(tmp_path / 'out.wav')
  audio_io.write_wav(path, np.array([0.0, 0.5, -2.0], np.float32), 8000)
  assert sf.info(path).subtype == 'PCM_16'
  np.testing.assert_allclose(sf.read(path)[0], [0.0, 0.5, -1.0], atol=1e-4)
  assert os.listdir(tmp_path) == ['out.wav']


def test_is_silent():
  assert audio_io.is_silent(np.zeros(100))
  assert audio_io.is_silent(np.full(100, 1e-4))  # -80 dBFS.
  assert not audio_io.is_silent(np.full(100, 1e-2))  # -40 dBFS.
  assert not audio_io.is_silent(np.full(100, 1e-4), threshold_db=-90)


# ------------------------------------------------------------- pipeline ----
@pytest.fixture(scope='module')
def prepared(inputs, tmp_path_factory):
  """Runs the pipeline once on every input file (pYIN, 50 Hz frames)."""
  output = os.path.join(str(tmp_path_factory.mktemp('data')), 'train.tfrecord')
  metadata = lib.prepare_tfrecord(
      list(inputs.values()), output, sample_rate=SAMPLE_RATE, frame_rate=50,
      example_secs=1, hop_secs=1, chunk_secs=0, f0_estimator='pyin',
      pipeline_options=BEAM_OPTIONS)
  return output, metadata


def test_pipeline_records_read_by_ddsp_provider(prepared):
  output, metadata = prepared
  examples = read_examples(output + '*')
  # 6 one-second files and the padded short one; 3 skipped.
  assert len(examples) == metadata['n_examples'] == 7
  for ex in examples:
    assert ex['audio'].shape == ex['audio_16k'].shape == (SAMPLE_RATE,)
    for key in ('f0_hz', 'f0_confidence', 'loudness_db'):
      assert ex[key].shape == (50,) and np.all(np.isfinite(ex[key]))
    np.testing.assert_array_equal(ex['audio'], ex['audio_16k'])
  tone = harmonic_tone(220.0)
  tone_examples = [ex for ex in examples
                   if np.allclose(ex['audio'], tone, atol=1e-3)]
  assert len(tone_examples) == 4  # 16-bit, 24-bit, float WAV and FLAC.
  for ex in tone_examples:
    assert np.median(np.abs(1200 * np.log2(ex['f0_hz'] / 220.0))) < 20
  padded = [ex for ex in examples if not np.any(ex['audio'][5000:])]
  assert len(padded) == 1
  np.testing.assert_allclose(padded[0]['audio'][:4800], tone[:4800],
                             atol=1e-4)


def test_pipeline_metadata(prepared, inputs):
  output, metadata = prepared
  metadata_path = artifacts.tfrecord_metadata_path(output)
  assert metadata == artifacts.read_json(metadata_path, 'tfrecord_metadata',
                                         [lib.METADATA_FORMAT_VERSION])
  reasons = {s['path']: s['reason'] for s in metadata['skipped_files']}
  assert set(reasons) == {inputs['empty'], inputs['corrupt'],
                          inputs['silent']}
  assert 'empty' in reasons[inputs['empty']]
  assert 'cannot decode' in reasons[inputs['corrupt']]
  assert 'silent' in reasons[inputs['silent']]
  assert metadata['n_files'] == 10 and metadata['n_files_used'] == 7
  assert metadata['n_files_skipped'] == 3 and metadata['n_files_padded'] == 1
  files = {f['path']: f for f in metadata['files']}
  assert files[inputs['short']]['padded']
  assert files[inputs['stereo']]['channels'] == 2
  assert files[inputs['tone_44k']]['original_sample_rate'] == 44100
  assert metadata['audio_secs'] == pytest.approx(6.3)
  for key, value in dict(sample_rate=SAMPLE_RATE, frame_rate=50,
                         example_secs=1, hop_secs=1, center=False,
                         f0_estimator='pyin', n_frames_per_example=50).items():
    assert metadata[key] == value
  split = metadata['splits']['all']
  assert split['n_examples'] == 7 and split['file_pattern'] == 'train.tfrecord*'
  directory = os.path.dirname(output)
  notes_path = artifacts.tfrecord_notes_path(output)
  assert metadata['notes_file'] == os.path.basename(notes_path)
  assert sorted(os.listdir(directory)) == sorted(
      split['shards'] + [os.path.basename(metadata_path),
                         os.path.basename(notes_path)])
  assert split['shard_counts'] == {
      shard: {'n_examples': 7,
              'n_bytes': os.path.getsize(os.path.join(directory, shard))}
      for shard in split['shards']}
  assert not work_dirs(directory)


def test_center_resample_eval_split_and_overwrite(tmp_path):
  out_dir = str(tmp_path / 'data')
  os.makedirs(out_dir)
  paths = []
  for i, (f0_hz, secs) in enumerate([(220.0, 3.0), (330.0, 2.0)]):
    paths.append(str(tmp_path / f'tone{i}.wav'))
    sf.write(paths[-1], harmonic_tone(f0_hz, secs), SAMPLE_RATE)
  output = os.path.join(out_dir, 'train.tfrecord')
  stale = output + '-00000-of-00001'
  with open(stale, 'wb') as f:
    f.write(b'old')
  artifacts.write_json(artifacts.tfrecord_metadata_path(output),
                       'tfrecord_metadata', 1, {'n_examples': 1})

  def run():
    return lib.prepare_tfrecord(
        paths, output, num_shards=1, sample_rate=22050, frame_rate=50,
        example_secs=1, hop_secs=1, chunk_secs=1, eval_split_fraction=0.4,
        center=True, f0_estimator='yin', overwrite=True,
        pipeline_options=BEAM_OPTIONS)

  metadata = run()
  assert not os.path.exists(stale)
  splits = metadata['splits']
  assert splits['train']['n_chunks'] == 3 and splits['eval']['n_chunks'] == 2
  assert metadata['n_examples'] == 5
  eval_audio = []
  for name in ('train', 'eval'):
    pattern = os.path.join(out_dir, splits[name]['file_pattern'])
    examples = read_examples(pattern, sample_rate=22050, center=True)
    assert len(examples) == splits[name]['n_examples']
    for ex in examples:
      assert ex['audio'].shape == (22050,)
      assert ex['audio_16k'].shape == (SAMPLE_RATE,)
      assert ex['f0_hz'].shape == ex['loudness_db'].shape == (51,)
    if name == 'eval':
      eval_audio = sorted(ex['audio'].tobytes() for ex in examples)
  # The split is a function of the audio: a second run makes the same one.
  run()
  again = read_examples(os.path.join(out_dir, 'train.tfrecord-eval*'),
                        sample_rate=22050, center=True)
  assert sorted(ex['audio'].tobytes() for ex in again) == eval_audio
  assert not work_dirs(out_dir)


def test_existing_output_without_overwrite_raises(tmp_path, inputs):
  output = str(tmp_path / 'train.tfrecord')
  with open(output + '-train-00000-of-00002', 'wb') as f:
    f.write(b'old')
  with pytest.raises(FileExistsError, match='--overwrite'):
    lib.prepare_tfrecord([inputs['tone_pcm16']], output,
                         pipeline_options=BEAM_OPTIONS)
  assert os.listdir(tmp_path) == ['train.tfrecord-train-00000-of-00002']


def test_existing_metadata_without_overwrite_raises(tmp_path, inputs):
  output = str(tmp_path / 'train.tfrecord')
  artifacts.write_json(artifacts.tfrecord_metadata_path(output),
                       'tfrecord_metadata', 1, {})
  with pytest.raises(FileExistsError, match='--overwrite'):
    lib.prepare_tfrecord([inputs['tone_pcm16']], output,
                         pipeline_options=BEAM_OPTIONS)


def _failing_loudness(ex, frame_rate, center):  # pylint: disable=unused-argument
  del ex, frame_rate, center
  raise RuntimeError('loudness exploded')


def test_failed_run_leaves_old_dataset_and_no_temp_files(tmp_path, inputs,
                                                         monkeypatch):
  output = str(tmp_path / 'train.tfrecord')
  old_shard = output + '-00000-of-00001'
  with open(old_shard, 'wb') as f:
    f.write(b'old')
  before = sorted(os.listdir(tmp_path))
  monkeypatch.setattr(stages, 'add_loudness', _failing_loudness)
  with pytest.raises(Exception, match='loudness exploded'):
    lib.prepare_tfrecord([inputs['tone_pcm16']], output, frame_rate=50,
                         example_secs=1, f0_estimator='yin', overwrite=True,
                         pipeline_options=BEAM_OPTIONS)
  assert sorted(os.listdir(tmp_path)) == before
  with open(old_shard, 'rb') as f:
    assert f.read() == b'old'


def test_all_files_skipped_raises_and_writes_nothing(tmp_path, inputs):
  with pytest.raises(lib.NoExamplesError, match='file is empty'):
    lib.prepare_tfrecord([inputs['empty'], inputs['corrupt']],
                         str(tmp_path / 'train.tfrecord'),
                         pipeline_options=BEAM_OPTIONS)
  assert not os.listdir(tmp_path)


def test_crepe_without_crepe_raises_before_any_work(tmp_path, inputs):
  if environment.crepe_available():
    pytest.skip('crepe is installed')
  output = str(tmp_path / 'data' / 'train.tfrecord')
  with pytest.raises(environment.CrepeNotInstalledError,
                     match=r'pip install "ddsp_generative\[crepe\]"'):
    lib.prepare_tfrecord([inputs['tone_pcm16']], output, f0_estimator='crepe',
                         pipeline_options=BEAM_OPTIONS)
  assert not os.path.exists(os.path.dirname(output))


@pytest.mark.parametrize('kwargs, match', [
    (dict(frame_rate=300), 'multiple of frame_rate'),
    (dict(sample_rate=44100, frame_rate=441), 'must divide 16000'),
    (dict(frame_rate=25), 'at least 32'),
    (dict(example_secs=0.011), 'whole number of frames'),
    (dict(hop_secs=0), 'hop_secs'),
    (dict(hop_secs=0.001), 'at least one frame'),
    (dict(chunk_secs=2, example_secs=4), 'chunk_secs'),
    (dict(eval_split_fraction=1.0), 'eval_split_fraction'),
    (dict(f0_estimator='swipe'), 'Unknown f0_estimator'),
    (dict(highpass_hz=-20), 'highpass_hz'),
    (dict(highpass_hz=8000), 'highpass_hz'),
    (dict(highpass_hz=float('nan')), 'highpass_hz'),
])
def test_invalid_parameters_raise_before_any_work(tmp_path, inputs, kwargs,
                                                  match):
  with pytest.raises(ValueError, match=match):
    lib.prepare_tfrecord([inputs['tone_pcm16']],
                         str(tmp_path / 'data' / 'train.tfrecord'),
                         pipeline_options=BEAM_OPTIONS, **kwargs)
  assert not os.listdir(tmp_path)


def test_highpass_removes_a_dc_offset_and_keeps_the_tone(tmp_path):
  # A 220 Hz tone riding on a DC offset (as the FluidR3 renders carry,
  # about -50 dB of their RMS; here exaggerated), in 1 s chunks so that
  # chunk edges are crossed.
  tone = harmonic_tone(220.0, 3.0, amplitude=0.3)
  path = str(tmp_path / 'offset.wav')
  sf.write(path, tone + 0.05, SAMPLE_RATE, subtype='FLOAT')
  records = {}
  for cutoff in (0, 20):
    output = str(tmp_path / f'hp{cutoff}' / 'train.tfrecord')
    metadata = lib.prepare_tfrecord(
        [path], output, num_shards=1, example_secs=1, hop_secs=1,
        chunk_secs=1, f0_estimator='yin', highpass_hz=cutoff,
        pipeline_options=BEAM_OPTIONS)
    assert metadata['highpass_hz'] == cutoff
    records[cutoff] = sorted(read_examples(output + '*', frame_rate=250),
                             key=lambda ex: ex['audio'][:50].tobytes())
  for ex in records[0]:
    assert abs(float(np.mean(ex['audio'])) - 0.05) < 1e-3
  for ex in records[20]:
    for key in ('audio', 'audio_16k'):
      assert abs(float(np.mean(ex[key]))) < 2e-3, key
  # The tone itself is kept: its level within 0.1 dB, f0 unchanged.
  def tone_db(examples):
    audio = np.concatenate([ex['audio'] for ex in examples])
    return 10 * np.log10(np.var(audio))
  assert abs(tone_db(records[20]) - tone_db(records[0])) < 0.1
  for a, b in zip(records[0], records[20]):
    np.testing.assert_allclose(b['f0_hz'], a['f0_hz'], rtol=1e-3)


def test_highpass_keeps_digital_silence_silent():
  # A note with an offset, then exact zeros: the filter's tail (about 1e-6
  # RMS) must not appear where the recording is silent.
  note = harmonic_tone(220.0, 0.5) + 0.05
  audio = np.concatenate([note, np.zeros(8000 + 37, np.float32)])
  out = audio_io.highpass(audio, SAMPLE_RATE, 20.0)
  first_silent = -(-len(note) // audio_io.SILENT_BLOCK) * audio_io.SILENT_BLOCK
  assert not np.any(out[first_silent:])
  assert abs(float(np.mean(out[:len(note)]))) < 2e-3
  assert out.dtype == np.float32 and out.shape == audio.shape
  np.testing.assert_array_equal(audio_io.highpass(np.zeros(0), 16000, 20),
                                np.zeros(0, np.float32))


def test_chunks_merge_short_tail_and_windows_cover_the_end():
  # 2.5 s at 50 Hz in 2 s chunks: the 0.5 s tail joins the first chunk.
  assert stages.chunk_bounds(125, 100, 50) == [(0, 125)]
  assert stages.chunk_bounds(160, 100, 50) == [(0, 100), (100, 160)]
  assert stages.chunk_bounds(160, 0, 50) == [(0, 160)]
  audio = harmonic_tone(220.0, 2.5)
  n_frames = len(audio) // (SAMPLE_RATE // 50)
  ex = dict(audio=audio, audio_16k=audio,
            f0_hz=np.arange(n_frames, dtype=np.float32),
            f0_confidence=np.zeros(n_frames), loudness_db=np.zeros(n_frames))
  windows = list(write.split_example(ex, SAMPLE_RATE, 50, example_secs=1,
                                      hop_secs=1, center=False))
  assert [w['f0_hz'][0] for w in windows] == [0, 50, 75]  # Last ends at 125.
  np.testing.assert_array_equal(windows[-1]['audio'], audio[-SAMPLE_RATE:])


def test_silent_chunks_are_skipped_with_reason(tmp_path):
  tone, silence = harmonic_tone(220.0), np.zeros(2 * SAMPLE_RATE, np.float32)
  path = str(tmp_path / 'gap.wav')
  sf.write(path, np.concatenate([tone, silence, tone]), SAMPLE_RATE,
           subtype='FLOAT')
  outputs = list(stages.scan_file(path, SAMPLE_RATE, 50, example_secs=1,
                                  chunk_secs=1, decoded_dir=str(tmp_path)))
  tagged = [o for o in outputs if isinstance(o, beam.pvalue.TaggedOutput)]
  skipped = [o.value for o in tagged if o.tag == lib.SKIPPED]
  chunks = [o for o in outputs if isinstance(o, dict)]
  assert [c['chunk_index'] for c in chunks] == [0, 3]
  assert [s['chunk_index'] for s in skipped] == [1, 2]
  assert all('silent chunk' in s['reason'] for s in skipped)
  assert chunks[0]['key'] == chunks[1]['key']  # Same audio, same key.
  assert 'audio' not in chunks[0]  # Descriptors only: no audio travels.


def _fail_multi_processing(pipeline_options, **kwargs):
  if 'multi_processing' in ' '.join(pipeline_options):
    raise RuntimeError('workers cannot start')
  return _REAL_RUN_PIPELINE(pipeline_options=pipeline_options, **kwargs)


_REAL_RUN_PIPELINE = lib._run_pipeline


def test_default_options_fall_back_to_in_memory(tmp_path, inputs,
                                                monkeypatch):
  monkeypatch.setattr(lib, '_run_pipeline', _fail_multi_processing)
  monkeypatch.setattr(beam_runner, 'default_options', lambda: [
      '--runner=DirectRunner', '--direct_running_mode=multi_processing',
      '--direct_num_workers=2'])
  metadata = lib.prepare_tfrecord([inputs['tone_pcm16']],
                                  str(tmp_path / 'train.tfrecord'),
                                  frame_rate=50, example_secs=1,
                                  f0_estimator='yin')
  assert metadata['n_examples'] == 1
  assert metadata['provenance']['pipeline_options'] == list(
      beam_runner.IN_MEMORY_OPTIONS)
  # Options given explicitly are never replaced.
  with pytest.raises(RuntimeError, match='workers cannot start'):
    lib.prepare_tfrecord([inputs['tone_pcm16']],
                         str(tmp_path / 'other.tfrecord'), frame_rate=50,
                         example_secs=1, f0_estimator='yin',
                         pipeline_options=beam_runner.default_options())
  assert not work_dirs(str(tmp_path))


def test_eval_threshold_is_deterministic_and_keeps_train_non_empty():
  keys = ['c', 'a', 'd', 'b']
  assert stages.make_plan(keys, 0.5)['threshold'] == 'b'
  assert stages.make_plan(keys, 0.01)['threshold'] == 'a'  # >= 1 eval chunk.
  assert stages.make_plan(keys, 0.99)['threshold'] == 'c'  # >= 1 train.
  assert stages.make_plan(['a'], 0.5)['threshold'] == ''
  assert stages.make_plan(keys, 0.0)['n_chunks'] == 4


def test_default_pipeline_options_use_every_core():
  options = beam_runner.default_options()
  if (os.cpu_count() or 1) > 1:
    assert '--direct_running_mode=multi_processing' in options
    assert f'--direct_num_workers={os.cpu_count()}' in options
  else:
    assert '--direct_running_mode=in_memory' in options


# ------------------------------------------------------------------ CLI ----
def test_cli_globs_runs_and_prints_summary(tmp_path, inputs):
  audio_dir = os.path.dirname(inputs['tone_pcm16'])
  output = str(tmp_path / 'train.tfrecord')
  result = conftest.run_cli(
      'ddsp_generative.prepare_tfrecord',
      '--input_audio_filepatterns=' + ','.join([
          os.path.join(audio_dir, 'tone_pcm*.wav'),
          os.path.join(audio_dir, 'empty.wav')]),
      f'--output_tfrecord_path={output}', '--frame_rate=50',
      '--example_secs=1', '--hop_secs=0.25', '--f0_estimator=yin',
      '--pipeline_options=' + ','.join(BEAM_OPTIONS))
  out = result.stdout
  assert 'Wrote 2 examples' in out and 'file is empty' in out
  assert artifacts.tfrecord_metadata_path(output) in out
  assert len(read_examples(output + '*')) == 2
  metadata = artifacts.read_json(artifacts.tfrecord_metadata_path(output),
                                 'tfrecord_metadata',
                                 [lib.METADATA_FORMAT_VERSION])
  # 0.25 s is 12.5 frames at 50 Hz: rounded to 12 frames.
  assert metadata['hop_secs'] == 0.24 and metadata['hop_frames'] == 12
  assert metadata['example_secs'] == 1  # An int, as TFRecordProvider needs.
  failed = conftest.run_cli(
      'ddsp_generative.prepare_tfrecord',
      f'--input_audio_filepatterns={tmp_path}/nothing/*.wav',
      f'--output_tfrecord_path={output}', expect_ok=False)
  assert 'No files match' in failed.stderr


def test_a_summary_beam_outcounts_is_refused():
  check = lib.check_summary_complete
  check({'write-part': 60, 'chunk': 60}, {'write-part': 60, 'chunk': 60})
  check({}, {'write-part': 3})  # A runner without metrics (Dask).
  check(None, {'write-part': 3})
  with pytest.raises(lib.SummaryLostError,
                     match=r'write-part 60/30, write-shard 8/4.*in_memory'):
    check(
        {'write-part': 60, 'write-shard': 8, 'chunk': 60},
        {'write-part': 30, 'write-shard': 4, 'chunk': 60})
