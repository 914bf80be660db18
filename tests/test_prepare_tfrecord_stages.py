"""Tests for the prepare_tfrecord stages: streaming, alignment, shards, inputs.

Real files are written to a temp dir; stages run as plain functions, and the
pipeline on the in-process DirectRunner.
"""

import logging
import os

import apache_beam as beam
from ddsp.training import data
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.data_preparation import prepare_tfrecord_lib as lib
from ddsp_generative.data_preparation import prepare_tfrecord_stages as stages
from ddsp_generative.data_preparation import prepare_tfrecord_write as write

BEAM_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')


def harmonic_tone(f0_hz, secs, sample_rate, amplitude=0.3):
  t = np.arange(int(round(secs * sample_rate))) / sample_rate
  audio = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, 5))
  return (amplitude * audio / np.max(np.abs(audio))).astype(np.float32)


def run_stages(path, sample_rate, frame_rate, example_secs, chunk_secs,
               center=False, f0_estimator='yin', decoded_dir=None):
  """Scans a file and takes each chunk through load, f0 and loudness."""
  outputs = list(stages.scan_file(
      path, sample_rate, frame_rate, example_secs, chunk_secs,
      decoded_dir or os.path.dirname(path)))
  descriptors = [o for o in outputs if isinstance(o, dict)]
  plan = stages.make_plan([d['key'] for d in descriptors], 0.0)
  chunks = []
  for desc in descriptors:
    (ex,) = stages.load_chunk(desc, plan, sample_rate, frame_rate)
    (ex,) = stages.add_f0_estimate(ex, frame_rate, center, f0_estimator)
    (ex,) = stages.add_loudness(ex, frame_rate, center)
    chunks.append(dict(ex, **write.trim_context(ex, sample_rate, frame_rate)))
  return outputs, chunks


# ------------------------------------------------------------ Streaming ----
def test_streamed_chunks_equal_the_whole_file_resampled(tmp_path, monkeypatch):
  path = str(tmp_path / 'stereo_44k.wav')
  tone = harmonic_tone(330.0, 3.1, 44100)
  sf.write(path, np.stack([tone, -0.5 * tone], 1), 44100, subtype='PCM_24')
  whole_22k, _ = audio_io.load_audio(path, 22050)
  whole_16k, _ = audio_io.load_audio(path, 16000)
  monkeypatch.setattr(stages, 'SCAN_BLOCK_SECS', 0.37)  # Many odd blocks.
  outputs, chunks = run_stages(path, 22050, 50, example_secs=1,
                               chunk_secs=1)
  # 3.1 s = 155 frames: chunks of 50, 50 and 55 frames (the tail joins).
  assert [c['n_frames'] for c in chunks] == [50, 50, 55]
  for key, whole, hop in (('audio', whole_22k, 441),
                          ('audio_16k', whole_16k, 320)):
    joined = np.concatenate([c[key] for c in chunks])
    assert len(joined) == 155 * hop
    np.testing.assert_allclose(joined[:len(whole)], whole, atol=2e-5)
    assert not np.any(joined[len(whole):])  # Padded to whole frames.
  for c in chunks:
    assert len(c['f0_hz']) == len(c['loudness_db']) == c['n_frames']
  # The keys do not depend on the read block size.
  monkeypatch.setattr(stages, 'SCAN_BLOCK_SECS', 10.0)
  again = [o['key'] for o in stages.scan_file(path, 22050, 50, 1, 1,
                                              str(tmp_path))
           if isinstance(o, dict)]
  assert again == [c['key'] for c in chunks]


def test_chunk_edges_see_their_neighbours_audio(tmp_path):
  path = str(tmp_path / 'tone.wav')
  sf.write(path, harmonic_tone(220.0, 2.0, 16000), 16000)
  _, chunks = run_stages(path, 16000, 250, example_secs=1, chunk_secs=1,
                         center=True)
  # The second chunk starts mid-tone: its first frame is voiced and as loud
  # as the middle, not half-silent as with zero padding.
  second = chunks[1]
  assert second['f0_confidence'][0] > 0.8
  assert abs(second['loudness_db'][0] - np.median(second['loudness_db'])) < 1
  # The first chunk's last frame (centre at its end) sees the second chunk.
  assert chunks[0]['f0_confidence'][-1] > 0.8


def _features(chunks, key):
  return np.concatenate([c[key][:c['n_frames']] for c in chunks])


# Loudness (32 ms window) rises within a frame of the onset. Voicing depends
# on the estimator's 64 ms window: YIN's confidence (normalised
# autocorrelation) is high as soon as the tone fills part of it (3 frames,
# 12 ms, early); pYIN's voiced probability once most of it is voiced (5
# frames late). The frame grid itself is checked to a frame by the pitch
# step below.
@pytest.mark.parametrize('center', [False, True])
@pytest.mark.parametrize('estimator, tolerance', [('pyin', 5), ('yin', 3)])
def test_f0_voicing_and_loudness_rise_align_at_an_onset(tmp_path, center,
                                                         estimator,
                                                         tolerance):
  frame_rate, onset = 250, 24000  # Onset at 1.5 s: in the second chunk.
  audio = harmonic_tone(220.0, 3.0, 16000)
  audio[:onset] = 0.0
  path = str(tmp_path / 'onset.wav')
  sf.write(path, audio, 16000, subtype='FLOAT')
  _, chunks = run_stages(path, 16000, frame_rate, example_secs=1,
                         chunk_secs=1, center=center, f0_estimator=estimator)
  # The first chunk is silent (skipped): features from 1 s on.
  assert chunks[0]['start_frame'] == frame_rate
  onset_frame = onset // (16000 // frame_rate) - frame_rate
  loudness = _features(chunks, 'loudness_db')
  loud_from = int(np.argmax(loudness > loudness.max() - 6.0))
  voiced_from = int(np.argmax(_features(chunks, 'f0_confidence') > 0.5))
  # ddsp's padding='same' would put the rise 4 frames (n_fft / 2) early.
  assert abs(loud_from - onset_frame) <= 1
  assert abs(voiced_from - onset_frame) <= tolerance
  assert abs(voiced_from - loud_from) <= tolerance


@pytest.mark.parametrize('center', [False, True])
def test_pyin_f0_changes_where_the_note_changes(tmp_path, center):
  step = 24000
  audio = np.concatenate([harmonic_tone(220.0, 1.5, 16000),
                          harmonic_tone(330.0, 1.5, 16000)])
  path = str(tmp_path / 'step.wav')
  sf.write(path, audio, 16000, subtype='FLOAT')
  _, chunks = run_stages(path, 16000, 250, example_secs=1, chunk_secs=1,
                         center=center, f0_estimator='pyin')
  f0_hz = _features(chunks, 'f0_hz')
  assert abs(int(np.argmax(f0_hz > np.sqrt(220.0 * 330.0))) - step // 64) <= 1


# --------------------------------------------------------------- Inputs ----
def write_odd_inputs(directory):
  """Files of every kind the pipeline converts or skips; returns paths."""
  tone = harmonic_tone(220.0, 1.2, 16000)
  paths = {}

  def path(name):
    paths[name] = os.path.join(directory, name)
    return paths[name]

  sf.write(path('pcm32.wav'), tone, 16000, subtype='PCM_32')
  sf.write(path('double.wav'), tone.astype(np.float64), 16000,
           subtype='DOUBLE')
  sf.write(path('six_channels.wav'), np.tile(tone[:, None], (1, 6)), 16000)
  for rate in (11025, 22050, 48000):
    sf.write(path(f'rate_{rate}.flac'), harmonic_tone(220.0, 1.2, rate),
             rate)
  sf.write(path('tone.mp3'), tone, 16000, format='MP3',
           subtype='MPEG_LAYER_III')
  sf.write(path('tone.ogg'), tone, 16000, format='OGG', subtype='VORBIS')
  with open(paths['pcm32.wav'], 'rb') as f:
    wav = f.read()
  with open(path('truncated.wav'), 'wb') as f:
    f.write(wav[:len(wav) // 2])  # Header says 1.2 s, data holds 0.6 s.
  with open(path('header_only.wav'), 'wb') as f:
    f.write(wav[:44])
  with open(path('text.flac'), 'w') as f:
    f.write('not audio\n' * 100)
  return paths


def test_odd_inputs_are_converted_or_skipped_with_reason(tmp_path, caplog):
  os.makedirs(tmp_path / 'audio')
  paths = write_odd_inputs(str(tmp_path / 'audio'))
  output = str(tmp_path / 'data' / 'train.tfrecord')
  with caplog.at_level(logging.INFO):
    metadata = lib.prepare_tfrecord(
        sorted(paths.values()), output, sample_rate=16000, frame_rate=50,
        example_secs=1, hop_secs=1, chunk_secs=0, f0_estimator='yin',
        pipeline_options=BEAM_OPTIONS)
  skipped = {os.path.basename(s['path']): s['reason']
             for s in metadata['skipped_files']}
  assert skipped.keys() == {'header_only.wav', 'text.flac'}
  assert 'no audio samples' in skipped['header_only.wav']
  assert 'cannot decode' in skipped['text.flac']
  files = {os.path.basename(f['path']): f for f in metadata['files']}
  assert files['six_channels.wav']['channels'] == 6
  assert files['rate_11025.flac']['original_sample_rate'] == 11025
  assert not files['tone.mp3']['streamed'] and files['tone.ogg']['streamed']
  assert files['truncated.wav']['padded']  # 0.6 s < one example.
  assert metadata['counters']['decoded-whole-file'] == 1  # The MP3.
  # 9 files, each 1.2 s (two 1 s windows) except the truncated one.
  assert metadata['n_examples'] == 8 * 2 + 1
  provider = data.TFRecordProvider(output + '*', example_secs=1,
                                   sample_rate=16000, frame_rate=50)
  examples = list(provider.get_dataset(shuffle=False))
  assert len(examples) == 17
  cents = [np.median(np.abs(1200 * np.log2(ex['f0_hz'].numpy() / 220.0)))
           for ex in examples if ex['audio'].numpy()[-100:].any()]
  assert len(cents) == 16 and max(cents) < 20
  # Progress and the counters are logged.
  assert 'Chunks done: 9/9 (100%)' in caplog.text
  assert 'Stage counters: chunk: 9' in caplog.text


# --------------------------------------------------------------- Shards ----
def test_parts_concatenate_into_balanced_deterministic_shards(tmp_path):
  paths = []
  for i, f0_hz in enumerate((220.0, 330.0, 440.0)):
    paths.append(str(tmp_path / f'tone{i}.wav'))
    sf.write(paths[-1], harmonic_tone(f0_hz, 2.0, 16000), 16000)
  shards = []
  for run in ('a', 'b'):
    output = str(tmp_path / run / 'train.tfrecord')
    metadata = lib.prepare_tfrecord(
        paths, output, num_shards=2, sample_rate=16000, frame_rate=50,
        example_secs=1, hop_secs=0.5, chunk_secs=1, f0_estimator='yin',
        pipeline_options=BEAM_OPTIONS)
    assert metadata['splits']['all']['shards'] == [
        'train.tfrecord-00000-of-00002', 'train.tfrecord-00001-of-00002']
    shards.append([open(os.path.join(tmp_path, run, s), 'rb').read()
                   for s in metadata['splits']['all']['shards']])
  assert shards[0] == shards[1]  # The same bytes on every run.
  # 6 chunks of 1 s, one window each with a 0.5 s hop: 3 per shard.
  provider = data.TFRecordProvider(
      os.path.join(tmp_path, 'a', 'train.tfrecord-00000-of-00002'),
      example_secs=1, sample_rate=16000, frame_rate=50)
  assert len(list(provider.get_dataset(shuffle=False))) == 3
  assert metadata['n_examples'] == 6


def test_plan_shards_automatic_count_and_balance():
  parts = [{'part': f'p{i}', 'key': f'{i:02d}', 'n_bytes': size,
            'n_examples': 1} for i, size in enumerate([5, 1, 1, 1, 1, 1])]
  shards = list(write.plan_shards(('train', parts), 2, '/d', 'x.tfrecord'))
  assert [s['parts'] for s in shards] == [['p0'], ['p1', 'p2', 'p3', 'p4',
                                                    'p5']]
  assert shards[0]['shard'] == '/d/x.tfrecord-train-00000-of-00002'
  auto = list(write.plan_shards(('all', parts), None, '/d', 'x.tfrecord'))
  assert len(auto) == 1 and auto[0]['shard'].endswith('-00000-of-00001')


def test_metadata_format_version_is_current(tmp_path):
  path = str(tmp_path / 'tone.wav')
  sf.write(path, harmonic_tone(220.0, 1.0, 16000), 16000)
  output = str(tmp_path / 'train.tfrecord')
  lib.prepare_tfrecord([path], output, frame_rate=50, example_secs=1,
                       f0_estimator='yin', pipeline_options=BEAM_OPTIONS)
  record = artifacts.read_json(artifacts.tfrecord_metadata_path(output),
                               lib.METADATA_KIND,
                               [lib.METADATA_FORMAT_VERSION])
  assert record['counters']['write-part'] == 1


def test_scan_skips_files_with_non_finite_samples(tmp_path):
  path = str(tmp_path / 'nan.wav')
  audio = harmonic_tone(220.0, 1.0, 16000)
  audio[100] = np.nan
  sf.write(path, audio, 16000, subtype='FLOAT')
  (out,) = stages.scan_file(path, 16000, 50, 1, 0, str(tmp_path))
  assert isinstance(out, beam.pvalue.TaggedOutput) and out.tag == lib.SKIPPED
  assert 'NaN or Inf' in out.value['reason']


def test_fast_serialization_parses_to_the_same_example():
  rng = np.random.RandomState(0)
  window = {key: rng.randn(n).astype(np.float32) for key, n in (
      ('audio', 1600), ('audio_16k', 1600), ('f0_hz', 26),
      ('f0_confidence', 26), ('loudness_db', 26))}
  serialized = write.serialize_example(window)
  assert tf.train.Example.FromString(serialized) == (
      write.float_dict_to_tfexample(window))
  assert len(serialized) == len(
      write.float_dict_to_tfexample(window).SerializeToString())
