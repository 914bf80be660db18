# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Apache Beam pipeline: audio files -> TFRecords in ddsp's schema.

Mirrors `ddsp/training/data_preparation/prepare_tfrecord_lib.py`: the records
hold 'audio' [example_secs * sample_rate], 'audio_16k' [example_secs * 16000]
and 'f0_hz', 'f0_confidence', 'loudness_db' [n_frames] (n_frames =
example_secs * frame_rate, +1 when `center`), and are read unchanged by
`ddsp.training.data.TFRecordProvider`. Differences from ddsp's pipeline:

* f0 comes from an offline estimator (`ddsp_generative.f0`, pYIN by default;
  CREPE only when installed); loudness is ddsp's `compute_loudness`.
* A bad file never stops the job: unreadable, corrupt, empty and silent files
  (and silent chunks) are skipped and listed, with the reason, in the metadata
  JSON written beside the TFRecords. Files shorter than one example are
  padded with zeros; files of any channel count and sample rate are
  downmixed and resampled.
* A file's last chunk, when shorter than one example, joins the one before it
  instead of being zero-padded to `chunk_secs`; the last window of a chunk
  ends at the chunk's end, so no audio is dropped or padded.
* The train/eval split is deterministic: the chunks with the smallest SHA-256
  of their audio go to eval.
* Crash safety: shards are written to `<dir>/.tmp-prepare-*/` and moved into
  place only when the pipeline succeeded; the metadata is written last. With
  `overwrite`, old shards are removed only once the new ones are complete.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile

from absl import logging
import apache_beam as beam
from ddsp import spectral_ops
import numpy as np
import tensorflow as tf

from ddsp_generative import artifacts
from ddsp_generative import audio_io
from ddsp_generative import environment
from ddsp_generative import f0 as f0_lib

CREPE_SAMPLE_RATE = spectral_ops.CREPE_SAMPLE_RATE  # 16 kHz: 'audio_16k'.
LOUDNESS_N_FFT = 512  # As ddsp's pipeline.
SILENCE_THRESHOLD_DB = -60.0
METADATA_KIND = 'tfrecord_metadata'
METADATA_FORMAT_VERSION = 1
COUNTER_NAMESPACE = 'prepare-tfrecord'
FEATURES = ('audio', 'audio_16k', 'f0_hz', 'f0_confidence', 'loudness_db')
SKIPPED = 'skipped'
FILES = 'files'
IN_MEMORY_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')


class NoExamplesError(RuntimeError):
  """No example could be made from the input files."""


def _count(name, n=1):
  beam.metrics.Metrics.counter(COUNTER_NAMESPACE, name).inc(n)


def _frames(secs, frame_rate):
  return int(round(secs * frame_rate))


def _pad_or_trim(audio, n_samples):
  audio = audio[:n_samples]
  return np.pad(audio, (0, n_samples - len(audio)))


# ---------------------------------------------------------------- Stages ----
def _load_audio(path, sample_rate, frame_rate, example_secs):
  """Path -> {'path', 'audio', 'audio_16k'} of whole frames, or skipped."""
  logging.info("Loading '%s'.", path)
  _count('load-audio')
  try:
    raw, info = audio_io.load_audio(path)
    if audio_io.is_silent(raw, SILENCE_THRESHOLD_DB):
      raise audio_io.BadAudioError(
          f'silent (peak {audio_io.peak_db(raw):.1f} dBFS < '
          f'{SILENCE_THRESHOLD_DB:.0f} dBFS)')
    audio = audio_io.resample(raw, info['original_sample_rate'], sample_rate)
    audio_16k = (audio if sample_rate == CREPE_SAMPLE_RATE else
                 audio_io.resample(raw, info['original_sample_rate'],
                                   CREPE_SAMPLE_RATE))
  except Exception as e:  # pylint: disable=broad-except
    # One bad file must not stop the job: skip it and record why.
    reason = (str(e) if isinstance(e, audio_io.BadAudioError) else
              f'unexpected error: {type(e).__name__}: {e}')
    logging.warning("Skipping '%s': %s", path, reason)
    _count('skipped-file')
    yield beam.pvalue.TaggedOutput(SKIPPED, {'path': path, 'reason': reason})
    return
  hop = sample_rate // frame_rate
  n_frames = int(np.ceil(len(audio) / hop))
  padded = n_frames < _frames(example_secs, frame_rate)
  if padded:
    _count('padded-short-file')
    n_frames = _frames(example_secs, frame_rate)
  if info['channels'] > 1:
    _count('downmixed-file')
  if info['original_sample_rate'] != sample_rate:
    _count('resampled-file')
  yield beam.pvalue.TaggedOutput(FILES, {
      'path': path, 'duration_secs': info['duration_secs'],
      'original_sample_rate': info['original_sample_rate'],
      'channels': info['channels'], 'format': info['format'],
      'subtype': info['subtype'], 'reader': info['reader'], 'padded': padded})
  yield {
      'path': path,
      'audio': _pad_or_trim(audio, n_frames * hop),
      'audio_16k': _pad_or_trim(
          audio_16k, n_frames * (CREPE_SAMPLE_RATE // frame_rate)),
  }


def _chunk_audio(ex, sample_rate, frame_rate, example_secs, chunk_secs):
  """Splits a file into chunks of whole frames; skips silent chunks."""
  hop, hop_16k = sample_rate // frame_rate, CREPE_SAMPLE_RATE // frame_rate
  total = len(ex['audio']) // hop
  size = _frames(chunk_secs, frame_rate) if chunk_secs else total
  bounds = [[s, min(s + size, total)] for s in range(0, total, size)]
  if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < _frames(
      example_secs, frame_rate):
    bounds[-2][1] = bounds[-1][1]  # A short tail joins the previous chunk.
    bounds.pop()
  for i, (start, end) in enumerate(bounds):
    audio = ex['audio'][start * hop:end * hop]
    if audio_io.is_silent(audio, SILENCE_THRESHOLD_DB):
      _count('skipped-silent-chunk')
      yield beam.pvalue.TaggedOutput(SKIPPED, {
          'path': ex['path'], 'chunk_index': i,
          'start_secs': start / frame_rate, 'end_secs': end / frame_rate,
          'reason': f'silent chunk (peak < {SILENCE_THRESHOLD_DB:.0f} dBFS)'})
      continue
    _count('chunk')
    yield {
        'path': ex['path'],
        'chunk_index': i,
        'key': hashlib.sha256(audio.tobytes()).hexdigest(),
        'audio': audio,
        'audio_16k': ex['audio_16k'][start * hop_16k:end * hop_16k],
    }


def _skip_chunk(ex, stage, error):
  reason = f'{stage} failed: {type(error).__name__}: {error}'
  logging.exception("Skipping chunk %d of '%s': %s", ex['chunk_index'],
                    ex['path'], reason)
  _count('skipped-failed-chunk')
  return beam.pvalue.TaggedOutput(SKIPPED, {
      'path': ex['path'], 'chunk_index': ex['chunk_index'], 'reason': reason})


def _add_f0_estimate(ex, frame_rate, center, f0_estimator):
  """Adds 'f0_hz' and 'f0_confidence', estimated on 'audio_16k'."""
  audio = ex['audio_16k']
  n_frames = f0_lib.num_frames(len(audio), CREPE_SAMPLE_RATE // frame_rate,
                               center)
  try:
    f0_hz, f0_confidence = f0_lib.estimate_f0(
        audio, CREPE_SAMPLE_RATE, frame_rate, n_frames, f0_estimator)
  except environment.CrepeNotInstalledError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    yield _skip_chunk(ex, 'f0 estimation', e)
    return
  _count('estimate-f0')
  yield dict(ex, f0_hz=f0_hz, f0_confidence=f0_confidence)


def _add_loudness(ex, frame_rate, center):
  """Adds 'loudness_db' with ddsp's `compute_loudness` on 'audio_16k'."""
  audio = ex['audio_16k']
  n_frames = f0_lib.num_frames(len(audio), CREPE_SAMPLE_RATE // frame_rate,
                               center)
  try:
    with np.errstate(divide='ignore'):  # librosa.A_weighting(0 Hz).
      loudness_db = spectral_ops.compute_loudness(
          audio, CREPE_SAMPLE_RATE, frame_rate, n_fft=LOUDNESS_N_FFT,
          use_tf=False, padding='center' if center else 'same')
    loudness_db = spectral_ops.pad_or_trim_to_expected_length(
        np.asarray(loudness_db, np.float32), n_frames, pad_value=-120.0)
  except Exception as e:  # pylint: disable=broad-except
    yield _skip_chunk(ex, 'loudness', e)
    return
  _count('compute-loudness')
  yield dict(ex, loudness_db=loudness_db.astype(np.float32))


def _split_example(ex, sample_rate, frame_rate, example_secs, hop_secs,
                   center):
  """Slides a window over a chunk; the last window ends at the chunk's end."""
  hop, hop_16k = sample_rate // frame_rate, CREPE_SAMPLE_RATE // frame_rate
  size, step = _frames(example_secs, frame_rate), _frames(hop_secs, frame_rate)
  total = len(ex['audio']) // hop
  starts = list(range(0, total - size + 1, step))
  if starts[-1] + size < total:
    starts.append(total - size)
  n_feature_frames = size + 1 if center else size
  for start in starts:
    _count('split-example')
    out = {
        'audio': ex['audio'][start * hop:(start + size) * hop],
        'audio_16k': ex['audio_16k'][start * hop_16k:(start + size) * hop_16k],
    }
    for key in ('f0_hz', 'f0_confidence', 'loudness_db'):
      out[key] = ex[key][start:start + n_feature_frames]
    yield out


def _float_dict_to_tfexample(float_dict):
  """Dict of float arrays -> tf.train.Example, as ddsp's pipeline."""
  _count('write-example')
  return tf.train.Example(features=tf.train.Features(feature={
      k: tf.train.Feature(float_list=tf.train.FloatList(value=float_dict[k]))
      for k in FEATURES}))


def _eval_threshold(keys, eval_fraction):
  """Largest chunk key of the eval split ('' when there is none)."""
  keys = sorted(keys)
  n_eval = int(round(len(keys) * eval_fraction))
  n_eval = min(max(n_eval, 1), len(keys) - 1) if len(keys) > 1 else 0
  return keys[n_eval - 1] if n_eval else ''


def _chunk_key(ex):
  return ex['key']


def _eval_partition_fn(ex, num_partitions, threshold):
  del num_partitions
  return 0 if ex['key'] <= threshold else 1


def _example_stats(ex):
  del ex
  return {'n_examples': 1}


def _chunk_stats(ex, sample_rate):
  return {'n_chunks': 1, 'audio_secs': len(ex['audio']) / sample_rate}


def _sum_dicts(dicts):
  total = {}
  for d in dicts:
    for k, v in d.items():
      total[k] = total.get(k, 0) + v
  return total


def _write_json_lines(pcoll, path, name):
  return (pcoll
          | f'to_json_{name}' >> beam.Map(json.dumps, sort_keys=True)
          | f'write_{name}' >> beam.io.WriteToText(
              path, num_shards=1, shard_name_template=''))


def _write_split(examples, name, shard_prefix, summary_dir, num_shards,
                 sample_rate, frame_rate, example_secs, hop_secs, center):
  """Windows, serialises and writes one split; writes its counts."""
  windows = examples | f'split_examples_{name}' >> beam.FlatMap(
      _split_example, sample_rate=sample_rate, frame_rate=frame_rate,
      example_secs=example_secs, hop_secs=hop_secs, center=center)
  _ = (windows
       | f'reshuffle_{name}' >> beam.Reshuffle()
       | f'make_tfexample_{name}' >> beam.Map(_float_dict_to_tfexample)
       | f'write_tfrecord_{name}' >> beam.io.tfrecordio.WriteToTFRecord(
           shard_prefix, num_shards=num_shards or 0,
           coder=beam.coders.ProtoCoder(tf.train.Example)))
  stats = (
      (windows | f'example_stats_{name}' >> beam.Map(_example_stats),
       examples | f'chunk_stats_{name}' >> beam.Map(_chunk_stats,
                                                    sample_rate)))
  _write_json_lines(
      stats
      | f'flatten_stats_{name}' >> beam.Flatten()
      | f'sum_stats_{name}' >> beam.CombineGlobally(_sum_dicts),
      os.path.join(summary_dir, f'stats_{name}.jsonl'), f'stats_{name}')


def _run_pipeline(input_audio_paths, work_dir, prefix, num_shards, sample_rate,
                  frame_rate, example_secs, hop_secs, eval_split_fraction,
                  chunk_secs, center, f0_estimator, pipeline_options):
  """Builds and runs the pipeline, writing shards and summaries to work_dir."""
  shard_dir = os.path.join(work_dir, 'shards')
  summary_dir = os.path.join(work_dir, 'summary')
  os.makedirs(shard_dir, exist_ok=True)
  os.makedirs(summary_dir, exist_ok=True)
  options = beam.options.pipeline_options.PipelineOptions(
      list(pipeline_options))
  with beam.Pipeline(options=options) as pipeline:
    loaded = (
        pipeline
        | 'create' >> beam.Create(input_audio_paths)
        | 'load_audio' >> beam.FlatMap(
            _load_audio, sample_rate=sample_rate, frame_rate=frame_rate,
            example_secs=example_secs).with_outputs(SKIPPED, FILES,
                                                    main='audio'))
    chunks = loaded.audio | 'chunk_audio' >> beam.FlatMap(
        _chunk_audio, sample_rate=sample_rate, frame_rate=frame_rate,
        example_secs=example_secs, chunk_secs=chunk_secs).with_outputs(
            SKIPPED, main='chunks')
    # Spread chunks over workers: f0 estimation is the slow stage.
    with_f0 = (
        chunks.chunks
        | 'reshuffle_chunks' >> beam.Reshuffle()
        | 'estimate_f0' >> beam.FlatMap(
            _add_f0_estimate, frame_rate=frame_rate, center=center,
            f0_estimator=f0_estimator).with_outputs(SKIPPED, main='chunks'))
    with_loudness = with_f0.chunks | 'compute_loudness' >> beam.FlatMap(
        _add_loudness, frame_rate=frame_rate, center=center).with_outputs(
            SKIPPED, main='chunks')
    examples = with_loudness.chunks

    skipped = ((loaded[SKIPPED], chunks[SKIPPED], with_f0[SKIPPED],
                with_loudness[SKIPPED]) | 'collect_skipped' >> beam.Flatten())
    _write_json_lines(skipped, os.path.join(summary_dir, 'skipped.jsonl'),
                      'skipped')
    _write_json_lines(loaded[FILES], os.path.join(summary_dir, 'files.jsonl'),
                      'files')

    if eval_split_fraction:
      threshold = (
          examples
          | 'chunk_keys' >> beam.Map(_chunk_key)
          | 'all_chunk_keys' >> beam.combiners.ToList()
          | 'eval_threshold' >> beam.Map(_eval_threshold, eval_split_fraction))
      eval_split, train_split = examples | 'split_train_eval' >> beam.Partition(
          _eval_partition_fn, 2, beam.pvalue.AsSingleton(threshold))
      splits = {'train': train_split, 'eval': eval_split}
    else:
      splits = {'all': examples}
    for name, split in splits.items():
      suffix = '' if name == 'all' else f'-{name}'
      _write_split(split, name, os.path.join(shard_dir, prefix + suffix),
                   summary_dir, num_shards, sample_rate, frame_rate,
                   example_secs, hop_secs, center)


# ------------------------------------------------------------- Utilities ----
def validate_parameters(sample_rate=16000, frame_rate=250, example_secs=4,
                        hop_secs=1, eval_split_fraction=0.0, chunk_secs=20.0,
                        f0_estimator='pyin', num_shards=None):
  """Raises ValueError unless audio and frames line up exactly.

  Args:
    sample_rate: Audio sample rate in Hz; a multiple of `frame_rate`.
    frame_rate: Frame rate in Hz; divides 16000 (features are computed on
      'audio_16k') and is at least 32 (loudness n_fft is 512 samples).
    example_secs: Example length; `example_secs * frame_rate` is a whole
      number of frames (so the audio lengths are whole too).
    hop_secs: Hop between examples; at least one frame (`prepare_tfrecord`
      rounds it to whole frames).
    eval_split_fraction: In [0, 1).
    chunk_secs: 0 (one chunk per file) or at least `example_secs`.
    f0_estimator: One of `f0.ESTIMATORS`.
    num_shards: None or 0 (automatic) or a positive number.
  """
  f0_lib.frame_hop(sample_rate, frame_rate)
  if CREPE_SAMPLE_RATE % frame_rate:
    raise ValueError(f'frame_rate ({frame_rate}) must divide '
                     f'{CREPE_SAMPLE_RATE}: f0 and loudness are computed on '
                     'the 16 kHz audio.')
  if CREPE_SAMPLE_RATE // frame_rate > LOUDNESS_N_FFT:
    raise ValueError(f'frame_rate ({frame_rate}) must be at least '
                     f'{int(np.ceil(CREPE_SAMPLE_RATE / LOUDNESS_N_FFT))}: '
                     f'the loudness frame is {LOUDNESS_N_FFT} samples at 16 '
                     'kHz and may not be shorter than the hop.')
  frames = example_secs * frame_rate
  if example_secs <= 0 or abs(frames - round(frames)) > 1e-6:
    raise ValueError(
        f'example_secs ({example_secs}) must be positive and a whole number '
        f'of frames at frame_rate {frame_rate} (example_secs * frame_rate = '
        f'{frames:g}).')
  if hop_secs * frame_rate < 0.5:
    raise ValueError(f'hop_secs ({hop_secs}) must be at least one frame '
                     f'(1 / frame_rate = {1 / frame_rate:g} s).')
  if chunk_secs and chunk_secs < example_secs:
    raise ValueError(f'chunk_secs ({chunk_secs}) must be 0 or at least '
                     f'example_secs ({example_secs}).')
  if not 0 <= eval_split_fraction < 1:
    raise ValueError(
        f'eval_split_fraction ({eval_split_fraction}) must be in [0, 1).')
  if f0_estimator not in f0_lib.ESTIMATORS:
    raise ValueError(f'Unknown f0_estimator {f0_estimator!r}; choose one of '
                     f'{", ".join(f0_lib.ESTIMATORS)}.')
  if num_shards is not None and num_shards < 0:
    raise ValueError(f'num_shards ({num_shards}) must be None, 0 (automatic) '
                     'or positive.')


def existing_outputs(output_tfrecord_path):
  """Shards of a dataset at this prefix (any split), and its metadata."""
  directory, prefix = os.path.split(os.path.abspath(output_tfrecord_path))
  pattern = re.compile(re.escape(prefix) + r'(-train|-eval)?-\d+-of-\d+$')
  found = sorted(os.path.join(directory, name)
                 for name in (os.listdir(directory)
                              if os.path.isdir(directory) else [])
                 if pattern.match(name))
  metadata = artifacts.tfrecord_metadata_path(output_tfrecord_path)
  return found + ([metadata] if os.path.exists(metadata) else [])


def default_pipeline_options():
  """DirectRunner using every core (multi_processing), or in_memory on one."""
  n_cpus = os.cpu_count() or 1
  if n_cpus < 2:
    return list(IN_MEMORY_OPTIONS)
  return ['--runner=DirectRunner', '--direct_running_mode=multi_processing',
          f'--direct_num_workers={n_cpus}']


def _as_number(x):
  """1.0 -> 1 (TFRecordProvider needs integer lengths), 0.5 stays."""
  return int(x) if float(x).is_integer() else float(x)


def _read_json_lines(path):
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _run_with_fallback(work_dir, options, can_fall_back, **run_args):
  """Runs the pipeline; reruns it in_memory if multi_processing failed.

  Returns:
    The Beam options of the run that succeeded.
  """
  try:
    _run_pipeline(work_dir=work_dir, pipeline_options=options, **run_args)
    return options
  except Exception as e:  # pylint: disable=broad-except
    if not can_fall_back:
      raise
    logging.warning(
        'The multi_processing DirectRunner failed (%s: %s); running again '
        'with --direct_running_mode=in_memory.', type(e).__name__, e)
  shutil.rmtree(work_dir)
  os.makedirs(work_dir)
  _run_pipeline(work_dir=work_dir, pipeline_options=IN_MEMORY_OPTIONS,
                **run_args)
  return list(IN_MEMORY_OPTIONS)


def _read_summary(work_dir, prefix, split_names):
  """Reads what the pipeline wrote beside the shards in `work_dir`."""
  summary_dir = os.path.join(work_dir, 'summary')
  skipped = _read_json_lines(os.path.join(summary_dir, 'skipped.jsonl'))
  shard_names = sorted(os.listdir(os.path.join(work_dir, 'shards')))
  splits = {}
  for name in split_names:
    split_prefix = prefix + ('' if name == 'all' else f'-{name}')
    stats = (_read_json_lines(
        os.path.join(summary_dir, f'stats_{name}.jsonl')) or [{}])[0]
    splits[name] = {
        'file_pattern': split_prefix + '*',
        'shards': [s for s in shard_names if re.match(
            re.escape(split_prefix) + r'-\d+-of-\d+$', s)],
        'n_examples': int(stats.get('n_examples', 0)),
        'n_chunks': int(stats.get('n_chunks', 0)),
        'audio_secs': float(stats.get('audio_secs', 0.0)),
    }
  return {
      'splits': splits,
      'files': sorted(
          _read_json_lines(os.path.join(summary_dir, 'files.jsonl')),
          key=lambda f: f['path']),
      'skipped_files': sorted((s for s in skipped if 'chunk_index' not in s),
                              key=lambda s: s['path']),
      'skipped_chunks': sorted((s for s in skipped if 'chunk_index' in s),
                               key=lambda s: (s['path'], s['chunk_index'])),
  }


def _publish(work_dir, output_tfrecord_path):
  """Replaces old outputs (metadata first) with the new shards."""
  for path in existing_outputs(output_tfrecord_path)[::-1]:
    os.remove(path)
  output_dir = os.path.dirname(output_tfrecord_path)
  shard_dir = os.path.join(work_dir, 'shards')
  for shard in sorted(os.listdir(shard_dir)):
    os.replace(os.path.join(shard_dir, shard), os.path.join(output_dir, shard))


# ------------------------------------------------------------------- API ----
def prepare_tfrecord(input_audio_paths,
                     output_tfrecord_path,
                     num_shards=None,
                     sample_rate=16000,
                     frame_rate=250,
                     example_secs=4,
                     hop_secs=1,
                     eval_split_fraction=0.0,
                     chunk_secs=20.0,
                     center=False,
                     f0_estimator='pyin',
                     overwrite=False,
                     pipeline_options=()):
  """Prepares TFRecords for ddsp training and writes their metadata JSON.

  Args:
    input_audio_paths: Iterable of audio file paths.
    output_tfrecord_path: Prefix of the output shards, e.g.
      'data/train.tfrecord': shards are '<prefix>-00000-of-00004', or
      '<prefix>-train-*' and '<prefix>-eval-*' with an eval split.
    num_shards: Shards per split; None or 0 lets Beam decide.
    sample_rate: Sample rate of 'audio' in Hz.
    frame_rate: Rate of the f0 and loudness frames in Hz.
    example_secs: Example length in seconds (an integer for
      TFRecordProvider).
    hop_secs: Hop between example starts in seconds, rounded to whole frames
      (the metadata records the hop used).
    eval_split_fraction: Fraction of chunks in the eval split; 0 for none.
    chunk_secs: Files are cut into chunks this long (0: one chunk per file);
      chunks, not examples, are split between train and eval.
    center: Centre frames on their timestamps (one more frame per example).
    f0_estimator: 'pyin' (default), 'yin' or 'crepe' (needs crepe).
    overwrite: Replace a dataset already at this prefix.
    pipeline_options: Beam options, e.g. ['--runner=DirectRunner',
      '--direct_running_mode=in_memory']; default `default_pipeline_options()`
      (falls back to in_memory if multi_processing fails).

  Returns:
    The metadata dict written to `artifacts.tfrecord_metadata_path(...)`.

  Raises:
    ValueError: Bad parameters or no input paths.
    FileExistsError: Outputs exist and `overwrite` is False.
    environment.CrepeNotInstalledError: 'crepe' without the crepe package.
    NoExamplesError: Every input file was skipped.
  """
  paths = sorted(dict.fromkeys(os.fspath(p) for p in input_audio_paths))
  if not paths:
    raise ValueError('No input audio files.')
  validate_parameters(sample_rate, frame_rate, example_secs, hop_secs,
                      eval_split_fraction, chunk_secs, f0_estimator,
                      num_shards)
  example_secs = _as_number(example_secs)
  hop_frames = _frames(hop_secs, frame_rate)
  if abs(hop_frames - hop_secs * frame_rate) > 1e-6:
    logging.warning(
        'hop_secs=%g is %g frames at frame_rate %d: using %d frames (%g s) so '
        'that audio and features stay aligned.', hop_secs,
        hop_secs * frame_rate, frame_rate, hop_frames, hop_frames / frame_rate)
  hop_secs = _as_number(hop_frames / frame_rate)
  chunk_secs = _as_number(chunk_secs or 0)
  output_tfrecord_path = os.path.abspath(output_tfrecord_path)
  output_dir, prefix = os.path.split(output_tfrecord_path)
  metadata_path = artifacts.tfrecord_metadata_path(output_tfrecord_path)
  existing = existing_outputs(output_tfrecord_path)
  if existing and not overwrite:
    raise FileExistsError(
        f'{len(existing)} output file(s) already exist for '
        f'{output_tfrecord_path} (e.g. {existing[0]}). Pass --overwrite '
        '(overwrite=True) to replace them, or choose another output path.')
  if f0_estimator == 'crepe':
    environment.require_crepe()
  if isinstance(pipeline_options, str):
    pipeline_options = [o for o in pipeline_options.split(',') if o]
  pipeline_options = list(pipeline_options or [])
  options = pipeline_options or default_pipeline_options()
  can_fall_back = not pipeline_options and 'multi_processing' in str(options)

  os.makedirs(output_dir, exist_ok=True)
  work_dir = tempfile.mkdtemp(prefix='.tmp-prepare-', dir=output_dir)
  logging.info('Preparing TFRecords from %d files into %s (work dir %s), '
               'Beam options %s.', len(paths), output_tfrecord_path, work_dir,
               options)
  try:
    options = _run_with_fallback(
        work_dir, options, can_fall_back, input_audio_paths=paths,
        prefix=prefix, num_shards=num_shards, sample_rate=sample_rate,
        frame_rate=frame_rate, example_secs=example_secs, hop_secs=hop_secs,
        eval_split_fraction=eval_split_fraction, chunk_secs=chunk_secs,
        center=center, f0_estimator=f0_estimator)
    split_names = ('train', 'eval') if eval_split_fraction else ('all',)
    summary = _read_summary(work_dir, prefix, split_names)
    splits, files = summary['splits'], summary['files']
    n_examples = sum(s['n_examples'] for s in splits.values())
    if not n_examples:
      reasons = '; '.join(
          f"{s['path']}: {s['reason']}"
          for s in summary['skipped_files'] + summary['skipped_chunks'])
      raise NoExamplesError(
          f'No examples from {len(paths)} input file(s); nothing was written. '
          f'Skipped: {reasons or "none"}.')
    _publish(work_dir, output_tfrecord_path)
    record = artifacts.write_json(
        metadata_path, kind=METADATA_KIND,
        format_version=METADATA_FORMAT_VERSION,
        payload={
            'tfrecord_prefix': prefix,
            'splits': splits,
            'n_examples': n_examples,
            'sample_rate': sample_rate,
            'frame_rate': frame_rate,
            'example_secs': example_secs,
            'hop_secs': hop_secs,
            'hop_frames': hop_frames,
            'chunk_secs': chunk_secs,
            'center': bool(center),
            'eval_split_fraction': eval_split_fraction,
            'f0_estimator': f0_estimator,
            'f0_fmin_hz': f0_lib.FMIN_HZ if f0_estimator != 'crepe' else None,
            'f0_fmax_hz': f0_lib.FMAX_HZ if f0_estimator != 'crepe' else None,
            'loudness_n_fft': LOUDNESS_N_FFT,
            'silence_threshold_db': SILENCE_THRESHOLD_DB,
            'n_samples_per_example': int(round(example_secs * sample_rate)),
            'n_samples_16k_per_example': int(
                round(example_secs * CREPE_SAMPLE_RATE)),
            'n_frames_per_example': (_frames(example_secs, frame_rate) +
                                     (1 if center else 0)),
            'features': list(FEATURES),
            'n_files': len(paths),
            'n_files_used': len(files),
            'n_files_skipped': len(summary['skipped_files']),
            'n_files_padded': sum(f['padded'] for f in files),
            'audio_secs': float(sum(f['duration_secs'] for f in files)),
            'files': files,
            'skipped_files': summary['skipped_files'],
            'skipped_chunks': summary['skipped_chunks'],
        },
        extra_provenance={'pipeline_options': options})
  finally:
    shutil.rmtree(work_dir, ignore_errors=True)
  logging.info('Wrote %d examples (%s) from %d of %d files to %s; skipped %d '
               'files; metadata %s.', n_examples,
               ', '.join(f"{k}: {v['n_examples']}" for k, v in splits.items()),
               len(files), len(paths), output_tfrecord_path,
               len(summary['skipped_files']), metadata_path)
  return record
