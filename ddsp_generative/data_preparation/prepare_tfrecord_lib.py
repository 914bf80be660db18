# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Apache Beam pipeline: audio files -> TFRecords in ddsp's schema.

Mirrors `ddsp/training/data_preparation/prepare_tfrecord_lib.py`: the records
hold 'audio' [example_secs * sample_rate], 'audio_16k' [example_secs * 16000]
and 'f0_hz', 'f0_confidence', 'loudness_db' [n_frames] (n_frames =
example_secs * frame_rate, +1 when `center`), and are read unchanged by
`ddsp.training.data.TFRecordProvider`. Differences from ddsp's pipeline:

* f0 comes from an offline estimator (`ddsp_generative.core.f0`, pYIN by default;
  CREPE only when installed); loudness is ddsp's `compute_loudness`. Every
  feature's frame i is centred on sample i * hop of its example, in both
  `center` modes (ddsp's 'same' padding centres loudness n_fft / 2 later).
* Memory is bounded by a chunk, not by a file or the dataset: files are
  streamed, chunks read by seeking, examples written per chunk to part files
  that are concatenated into shards (see `prepare_tfrecord_stages` and
  `prepare_tfrecord_write`).
* A bad file never stops the job: unreadable, corrupt, empty and silent files
  (and silent chunks) are skipped and listed, with the reason, in the metadata
  JSON written beside the TFRecords. Files shorter than one example are
  padded with zeros; files of any channel count and sample rate are
  downmixed and resampled.
* A file's last chunk, when shorter than one example, joins the one before it
  instead of being zero-padded to `chunk_secs`; the last window of a chunk
  ends at the chunk's end, so no audio is dropped or padded.
* Notes: each chunk's controls are also segmented into notes
  (`expression.segmentation`) and written, with the controls and their
  source and offset, as a versioned note dataset beside the TFRecords
  (`notes_<prefix>.json`, `expression.note_dataset`; `write_notes=False`
  skips it): the expression model's training data.
* The train/eval split is deterministic: the chunks with the smallest SHA-256
  of their audio go to eval.
* Progress: each finished chunk logs 'Chunks done: k/n' with an estimate of
  the time left; the Beam counters of every stage are logged at the end and
  kept in the metadata.
* Validated at every boundary: parameters must be finite and positive
  (`ParameterError`, a usage error); input paths that are directories,
  broken symbolic links or link loops are skipped with a warning and listed;
  files with an absurd header rate, length or amplitude are skipped with the
  reason (`core.audio_io`'s limits), float files above full scale are kept
  and listed in 'file_warnings'; examples with NaN/Inf features are dropped
  and counted (`prepare_tfrecord_write`).
* Crash safety, by the one publish protocol (`core.publish.output_set`):
  the run holds `<dir>/.<prefix>.lock` (a second run on the same prefix
  fails at once with `publish.OutputBusyError`), works in
  `<dir>/.staging-<prefix>-*/` and publishes only when the pipeline
  succeeded: the old metadata is removed first, then the old shards, then
  the new shards are moved in and the metadata last. A run killed while
  publishing leaves shards without metadata, which readers
  (`core.tfrecords`) refuse as incomplete and the next run refuses to touch
  without `overwrite` (which removes the leftovers).
"""

import json
import math
import os

from absl import logging
import apache_beam as beam
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import control_ranges
from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.core import errors
from ddsp_generative.core import features
from ddsp_generative.core import filesystem
from ddsp_generative.core import publish
from ddsp_generative.core import tfrecords
from ddsp_generative import environment
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.data_preparation import beam_runner
from ddsp_generative.data_preparation import prepare_tfrecord_stages as stages
from ddsp_generative.data_preparation import prepare_tfrecord_write as write
from ddsp_generative.expression import note_dataset
from ddsp_generative.expression import segmentation

SILENCE_THRESHOLD_DB = stages.SILENCE_THRESHOLD_DB
COUNTER_NAMESPACE = stages.COUNTER_NAMESPACE
FEATURES = stages.FEATURES
SKIPPED = stages.SKIPPED
FILES = stages.FILES
METADATA_KIND = 'tfrecord_metadata'
# 2: frames of every feature centred on i * hop; 'counters'; part shards.
METADATA_FORMAT_VERSION = 2


class NoExamplesError(errors.UserError, RuntimeError):
  """No example could be made from the input files."""


class SummaryLostError(errors.UserError, RuntimeError):
  """The runner ran more stage work than reached the pipeline's summary."""


def check_summary_complete(beam_counters, counters):
  """Raises unless the summary holds every record Beam counted.

  The metadata is built from the records the stages emit into the summary
  (`_write_summary`), so a record the runner lost would list fewer shards or
  examples than were written. Beam's own counters (when the runner reports
  them) are a second count of the same work: any counter above the
  summary's means records were lost, and nothing may be published.

  Args:
    beam_counters: {name: n} from Beam's metrics ({} or None without).
    counters: {name: n} summed from the summary's records.

  Raises:
    SummaryLostError: Naming the counters that differ.
  """
  lost = {name: (n, counters.get(name, 0))
          for name, n in sorted((beam_counters or {}).items())
          if n > counters.get(name, 0)}
  if lost:
    raise SummaryLostError(
        'The Beam runner lost records of the pipeline\'s summary (Beam '
        'counted / the summary holds: ' + ', '.join(
            f'{name} {a}/{b}' for name, (a, b) in lost.items()) +
        '), so the metadata would not describe the shards; nothing was '
        'written. Run again, or with --pipeline_options='
        '--runner=DirectRunner,--direct_running_mode=in_memory.')


class ParameterError(errors.UsageError, ValueError):
  """A parameter (flag) is out of range, not finite or inconsistent."""


OutputExistsError = tfrecords.OutputExistsError


def _summary_record(tagged):
  """(tag, value) -> the value as a summary record, except chunks (audio)."""
  kind, value = tagged
  if kind != stages.CHUNKS:
    yield dict(value, summary=kind) if kind != stages.COUNTS else {
        'summary': kind, 'counters': value}


def _write_lines(key_and_lines, path):
  """Writes all the lines to `path` (atomically); returns the path."""
  with artifacts.atomic_path(path) as tmp:
    with open(tmp, 'w') as f:
      for line in key_and_lines[1]:
        f.write(line + '\n')
  return path


def _write_summary(tagged_pcolls, path):
  """Writes the records of (tag, value) PCollections to one JSON-lines file.

  One sink, not one per kind: every sink adds stages, and each stage costs
  the local runner a fraction of a second. Not Beam's WriteToText: its
  side inputs make Beam's DaskRunner compute the whole pipeline again for
  each of them. It is the last stage, and every other stage feeds it (the
  DaskRunner computes only the graph under the last stage).
  """
  # Each input is reduced to its small records before the Flatten: flattening
  # the chunk PCollections themselves (audio included) lost records on the
  # multi-processing DirectRunner (Beam 2.77; 3 of 3 runs on 60 chunks lost
  # 4-30 records; none in the 2 runs on those 60 chunks and 10 smaller runs
  # since), and `check_summary_complete` refuses a summary that still misses
  # any.
  records = [pcoll | f'summary_records_{i}' >> beam.FlatMap(_summary_record)
             for i, pcoll in enumerate(tagged_pcolls)]
  return (records
          | 'flatten_summary' >> beam.Flatten()
          | 'summary_to_json' >> beam.Map(json.dumps, sort_keys=True)
          | 'key_summary' >> beam.Map(lambda line: (0, line))
          | 'group_summary' >> beam.GroupByKey()
          | 'write_summary' >> beam.Map(_write_lines, path))


def _build_pipeline(pipeline, input_audio_paths, work_dir, prefix, num_shards,
                    sample_rate, frame_rate, example_secs, hop_secs,
                    eval_split_fraction, chunk_secs, center, f0_estimator,
                    highpass_hz=0.0, segmenter=None, instrument=None,
                    descriptors=True):
  """Adds the stages to `pipeline`; they write under `work_dir`.

  Every stage emits (tag, value) pairs (`stages.Counted`): no multi-output
  ParDo, no side input, and the counters travel in the outputs, so that the
  pipeline runs on runners without them (Beam's DaskRunner).
  """
  dirs = stages.work_dirs(work_dir)
  for d in dirs.values():
    filesystem.makedirs(d)
  chunks = stages.CHUNKS

  def take(tagged, name, tag=chunks):
    return tagged | name >> beam.FlatMap(stages.select, tag)

  scanned = (
      pipeline
      # Create spreads its elements over the workers (it reshuffles).
      | 'create' >> beam.Create(input_audio_paths)
      | 'scan_audio' >> beam.FlatMap(
          stages.Counted(stages.scan_file, sample_rate=sample_rate,
                         frame_rate=frame_rate, example_secs=example_secs,
                         chunk_secs=chunk_secs,
                         decoded_dir=dirs['decoded'])))
  # Light: the descriptors (no audio) meet under one key for the plan, which
  # each then carries. The chunks' audio is read only in load_chunk.
  planned = (take(scanned, 'scanned_chunks')
             | 'chunk_keys' >> beam.WithKeys(stages.plan_for_all)
             | 'all_chunk_keys' >> beam.GroupByKey()
             | 'plan' >> beam.FlatMap(stages.plan_chunks,
                                      eval_split_fraction))
  # Spread chunks over workers: f0 estimation is the slow stage. The stages
  # from load_chunk to write_examples fuse: a chunk goes through them alone.
  loaded = (
      planned
      | 'reshuffle_chunks' >> stages.Reshuffle()
      | 'load_chunk' >> beam.FlatMap(
          stages.Counted(stages.load_chunk, star=True,
                         sample_rate=sample_rate, frame_rate=frame_rate,
                         highpass_hz=highpass_hz)))
  with_f0 = take(loaded, 'loaded_chunks') | 'estimate_f0' >> beam.FlatMap(
      stages.Counted(stages.add_f0_estimate, frame_rate=frame_rate,
                     center=center, f0_estimator=f0_estimator))
  with_loudness = (take(with_f0, 'f0_chunks')
                   | 'compute_loudness' >> beam.FlatMap(
                       stages.Counted(stages.add_loudness,
                                      frame_rate=frame_rate, center=center)))
  loud_chunks = take(with_loudness, 'loudness_chunks')
  summary = [scanned, loaded, with_f0, with_loudness]
  if descriptors:
    with_descriptors = loud_chunks | 'compute_descriptors' >> beam.FlatMap(
        stages.Counted(stages.add_descriptors, frame_rate=frame_rate,
                       center=center))
    summary.append(with_descriptors)
    loud_chunks = take(with_descriptors, 'descriptor_chunks')
  parts = loud_chunks | 'write_examples' >> beam.FlatMap(
      stages.Counted(write.write_examples, main='parts',
                     parts_dir=dirs['parts'], sample_rate=sample_rate,
                     frame_rate=frame_rate, example_secs=example_secs,
                     hop_secs=hop_secs, center=center,
                     instrument=instrument))
  shards = (take(parts, 'part_records', 'parts')
            | 'key_parts_by_split' >> beam.Map(write.part_split)
            | 'group_parts' >> beam.GroupByKey()
            | 'plan_shards' >> beam.FlatMap(
                write.plan_shards, num_shards=num_shards,
                shard_dir=dirs['shards'], prefix=prefix)
            | 'key_shards' >> beam.Map(write.shard_key)
            | 'reshuffle_shards' >> stages.Reshuffle()
            | 'write_shard' >> beam.FlatMap(
                stages.Counted(write.write_shard, main='shards')))
  summary += [parts, shards]
  if segmenter is not None:
    summary.append(loud_chunks | 'segment_notes' >> beam.FlatMap(
        stages.Counted(stages.segment_notes, main='phrases',
                       frame_rate=frame_rate, segmenter=segmenter)))
  _write_summary(summary, filesystem.join(dirs['summary'], 'summary.jsonl'))


def _run_pipeline(pipeline_options, **build_args):
  """Builds and runs the pipeline; returns Beam's counters {name: value}.

  {} on a runner without metrics (the DaskRunner); the metadata's counters
  are those the stages' outputs carry (`_read_summary`).
  """
  result = beam_runner.run(
      pipeline_options, lambda pipeline: _build_pipeline(pipeline,
                                                         **build_args))
  return beam_runner.counters(result, COUNTER_NAMESPACE)


# ------------------------------------------------------------- Utilities ----
def validate_parameters(sample_rate=16000, frame_rate=250, example_secs=4,
                        hop_secs=1, eval_split_fraction=0.0, chunk_secs=20.0,
                        f0_estimator='pyin', num_shards=None,
                        highpass_hz=0.0):
  """Raises ParameterError unless audio and frames line up exactly.

  Args:
    sample_rate: Audio sample rate in Hz; a multiple of `frame_rate`, in
      `audio_io.MIN_SAMPLE_RATE`..`audio_io.MAX_SAMPLE_RATE`.
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
    highpass_hz: 0 (off) or a cut-off below both Nyquist frequencies (of
      `sample_rate` and of the 16 kHz feature audio).

  Raises:
    ParameterError: (a usage error and a ValueError) naming the parameter.
  """
  for name, value in (('sample_rate', sample_rate),
                      ('frame_rate', frame_rate),
                      ('example_secs', example_secs), ('hop_secs', hop_secs),
                      ('chunk_secs', chunk_secs),
                      ('eval_split_fraction', eval_split_fraction),
                      ('highpass_hz', highpass_hz)):
    if (isinstance(value, bool) or
        not isinstance(value, (int, float, np.number)) or
        not math.isfinite(value)):
      raise ParameterError(f'{name} ({value!r}) must be a finite number.')
  for name, value in (('sample_rate', sample_rate), ('frame_rate', frame_rate),
                      ('example_secs', example_secs), ('hop_secs', hop_secs)):
    if value <= 0:
      raise ParameterError(f'{name} ({value:g}) must be positive.')
  nyquist = min(sample_rate, features.CREPE_SAMPLE_RATE) / 2
  if not (highpass_hz == 0 or 0 < highpass_hz < nyquist):
    raise ParameterError(
        f'highpass_hz ({highpass_hz:g}) must be 0 (off) or between 0 and '
        f'{nyquist:g} Hz (half the lower of sample_rate and 16 kHz); '
        'e.g. 20 removes a DC offset and rumble.')
  if chunk_secs < 0:
    raise ParameterError(f'chunk_secs ({chunk_secs:g}) must be 0 (one chunk '
                         'per file) or positive.')
  if not (audio_io.MIN_SAMPLE_RATE <= sample_rate <=
          audio_io.MAX_SAMPLE_RATE):
    raise ParameterError(
        f'sample_rate ({sample_rate:g}) must be in {audio_io.MIN_SAMPLE_RATE}'
        f'..{audio_io.MAX_SAMPLE_RATE} Hz.')
  if sample_rate != int(sample_rate) or frame_rate != int(frame_rate):
    raise ParameterError(f'sample_rate ({sample_rate:g}) and frame_rate '
                         f'({frame_rate:g}) must be whole numbers of Hz.')
  try:
    f0_lib.frame_hop(sample_rate, frame_rate)
  except ValueError as e:
    raise ParameterError(str(e)) from e
  rate_16k, n_fft = features.CREPE_SAMPLE_RATE, features.LOUDNESS_N_FFT
  if rate_16k % frame_rate:
    raise ParameterError(f'frame_rate ({frame_rate}) must divide '
                         f'{rate_16k}: f0 and loudness are computed on '
                         'the 16 kHz audio.')
  if rate_16k // frame_rate > n_fft:
    raise ParameterError(f'frame_rate ({frame_rate}) must be at least '
                         f'{int(np.ceil(rate_16k / n_fft))}: '
                         f'the loudness frame is {n_fft} samples at 16 '
                         'kHz and may not be shorter than the hop.')
  frames = example_secs * frame_rate
  if abs(frames - round(frames)) > 1e-6:
    raise ParameterError(
        f'example_secs ({example_secs}) must be positive and a whole number '
        f'of frames at frame_rate {frame_rate} (example_secs * frame_rate = '
        f'{frames:g}).')
  if hop_secs * frame_rate < 0.5:
    raise ParameterError(f'hop_secs ({hop_secs}) must be at least one frame '
                         f'(1 / frame_rate = {1 / frame_rate:g} s).')
  if chunk_secs and chunk_secs < example_secs:
    raise ParameterError(f'chunk_secs ({chunk_secs}) must be 0 or at least '
                         f'example_secs ({example_secs}).')
  if not 0 <= eval_split_fraction < 1:
    raise ParameterError(
        f'eval_split_fraction ({eval_split_fraction}) must be in [0, 1).')
  if f0_estimator not in f0_lib.ESTIMATORS:
    raise ParameterError(f'Unknown f0_estimator {f0_estimator!r}; choose one '
                         f'of {", ".join(f0_lib.ESTIMATORS)}.')
  if num_shards is not None and (isinstance(num_shards, bool) or not
                                 isinstance(num_shards, (int, np.integer))
                                 or num_shards < 0):
    raise ParameterError(f'num_shards ({num_shards}) must be None, 0 '
                         '(automatic) or a positive whole number.')


def existing_outputs(output_tfrecord_path):
  """Shards of a dataset at this prefix (any split), its metadata and notes."""
  directory, prefix = filesystem.split(
      filesystem.abspath(output_tfrecord_path))
  pattern = tfrecords.shard_pattern(prefix)
  found = sorted(filesystem.join(directory, name)
                 for name in (filesystem.listdir(directory)
                              if filesystem.isdir(directory) else [])
                 if pattern.match(name))
  beside = (artifacts.tfrecord_metadata_path(output_tfrecord_path),
            artifacts.tfrecord_notes_path(output_tfrecord_path))
  return found + [path for path in beside if filesystem.exists(path)]


def refuse_existing(output_tfrecord_path):
  """Raises OutputExistsError if a dataset, whole or not, is at the prefix.

  Args:
    output_tfrecord_path: TFRecord prefix.

  Raises:
    OutputExistsError: Saying what is there (a dataset, or shards without
      metadata: an interrupted run) and what to do.
  """
  output_tfrecord_path = filesystem.abspath(output_tfrecord_path)
  tfrecords.refuse_existing(
      existing_outputs(output_tfrecord_path), output_tfrecord_path,
      artifacts.tfrecord_metadata_path(output_tfrecord_path),
      'TFRecord dataset', '--output_tfrecord_path')


def split_inputs(input_audio_paths):
  """Input paths -> (paths to read, skipped records for the others).

  Directories, broken symbolic links, symbolic link loops, missing paths,
  non-regular files and second paths to the same file (e.g. through a
  linked folder matched by `**`) are skipped, each with a warning naming it.

  Args:
    input_audio_paths: Iterable of paths (e.g. matched by file patterns).

  Returns:
    (paths, skipped): sorted unique paths to read; [{'path', 'reason'}].
  """
  paths, skipped, seen = [], [], {}
  for path in sorted(dict.fromkeys(os.fspath(p) for p in input_audio_paths)):
    reason = audio_io.path_problem(path)
    if reason is None:
      real = path if filesystem.is_url(path) else os.path.realpath(path)
      if real in seen:
        reason = f'the same file as {seen[real]}'
      else:
        seen[real] = path
    if reason is None:
      paths.append(path)
    else:
      logging.warning("Skipping input '%s': %s.", path, reason)
      skipped.append({'path': path, 'reason': reason})
  return paths, skipped


def _as_number(x):
  """1.0 -> 1 (TFRecordProvider needs integer lengths), 0.5 stays."""
  return int(x) if float(x).is_integer() else float(x)


def _read_json_lines(path):
  if not filesystem.exists(path):
    return []
  with filesystem.open(path, 'r') as f:
    return [json.loads(line) for line in f if line.strip()]


def _run_with_fallback(work_dir, options, can_fall_back, **run_args):
  """Runs the pipeline; reruns it in_memory if multi_processing failed.

  Returns:
    (the Beam options of the run that succeeded, its counters).
  """
  def empty_work_dir():
    filesystem.rmtree(work_dir)
    filesystem.makedirs(work_dir)

  return beam_runner.run_with_fallback(
      lambda o: _run_pipeline(work_dir=work_dir, pipeline_options=o,
                              **run_args),
      options, can_fall_back, before_retry=empty_work_dir)


def _instrument_counts(parts):
  """{instrument: examples} of labelled parts, sorted by name ({} if none)."""
  counts = {}
  for part in parts:
    if part.get('instrument') is not None:
      counts[part['instrument']] = (counts.get(part['instrument'], 0) +
                                    part['n_examples'])
  return dict(sorted(counts.items()))


def _read_summary(work_dir, prefix, split_names):
  """Reads what the pipeline wrote beside the shards in `work_dir`."""
  summary_path = filesystem.join(stages.work_dirs(work_dir)['summary'],
                                 'summary.jsonl')
  records = {'skipped': [], 'files': [], 'parts': [], 'shards': [],
             'phrases': [], 'counts': []}
  for record in _read_json_lines(summary_path):
    records[record.pop('summary')].append(record)
  skipped, shards = records['skipped'], records['shards']
  # In one order whatever the runner's: float sums are exactly the same.
  parts = sorted(records['parts'], key=lambda p: (p['path'],
                                                  p['chunk_index']))
  splits = {}
  for name in split_names:
    split_parts = [p for p in parts if p['split'] == name]
    split_shards = sorted((s for s in shards if s['split'] == name),
                          key=lambda s: s['shard'])
    splits[name] = {
        'file_pattern': prefix + ('' if name == 'all' else f'-{name}') + '*',
        'shards': [s['shard'] for s in split_shards],
        # What readers check each shard against (`core.tfrecords`).
        'shard_counts': {s['shard']: {'n_examples': s['n_examples'],
                                      'n_bytes': s['n_bytes']}
                         for s in split_shards},
        'n_examples': sum(p['n_examples'] for p in split_parts),
        'n_examples_dropped': sum(p.get('n_dropped', 0) for p in split_parts),
        'n_chunks': len(split_parts),
        'instruments': _instrument_counts(split_parts),
        'audio_secs': float(sum(p['audio_secs'] for p in split_parts)),
        'training_controls': control_ranges.from_histogram(
            control_ranges.merge(p['controls'] for p in split_parts)),
    }
    follow = descriptors_lib.solve_regression(
        descriptors_lib.merge_regression_stats(
            p.get('descriptor_stats') for p in split_parts))
    if follow and splits[name]['training_controls']:
      splits[name]['training_controls']['descriptor_follow'] = follow
  files = sorted(records['files'], key=lambda f: f['path'])
  return {
      'splits': splits,
      'counters': stages.sum_counts(r['counters'] for r in records['counts']),
      'phrases': records['phrases'],
      'files': files,
      'file_warnings': [{'path': f['path'], 'reason': f['warning']}
                        for f in files if f.get('warning')],
      'skipped_files': sorted((s for s in skipped if 'chunk_index' not in s),
                              key=lambda s: s['path']),
      'skipped_chunks': sorted((s for s in skipped if 'chunk_index' in s),
                               key=lambda s: (s['path'], s['chunk_index'])),
  }


def _stage_shards(work_dir, staging):
  """Moves the shards the pipeline wrote in `work_dir` into `staging`."""
  shard_dir = stages.work_dirs(work_dir)['shards']
  for shard in sorted(filesystem.listdir(shard_dir)):
    filesystem.replace(filesystem.join(shard_dir, shard),
                       filesystem.join(staging, shard))


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
                     pipeline_options=(),
                     highpass_hz=0.0,
                     write_notes=True,
                     instrument=None,
                     descriptors=True):
  """Prepares TFRecords for ddsp training and writes their metadata JSON.

  Args:
    input_audio_paths: Iterable of audio file paths (directories, broken
      symbolic links and link loops among them are skipped and listed).
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
    overwrite: Replace a dataset already at this prefix (also an incomplete
      one an interrupted run left).
    pipeline_options: Beam options, e.g. ['--runner=DirectRunner',
      '--direct_running_mode=in_memory']; default
      `beam_runner.default_options()` (falls back to in_memory if
      multi_processing fails).
    highpass_hz: 0 (off), or the cut-off of a 2nd-order Butterworth
      high-pass (`audio_io.highpass`) applied to the audio before f0,
      loudness and writing: e.g. 20 removes a recording's DC offset and
      rumble, which the harmonic and noise synthesizers cannot play and
      which otherwise draw noise into the model's lowest band.
    write_notes: Also write the note dataset
      (`artifacts.tfrecord_notes_path`, `expression.note_dataset`): each
      chunk's controls and the notes `expression.segmentation.Segmenter`
      (its defaults, or gin bindings) finds in them.
    instrument: None (no labels); a name written into every example as its
      'instrument' feature; or 'from_directory'
      (`prepare_tfrecord_write.INSTRUMENT_FROM_DIRECTORY`): each file's
      examples are labelled with the name of its folder, so that
      `data/<instrument>/*.wav` prepares a multi-instrument set in one run.
      The metadata counts the examples per instrument ('instruments').
    descriptors: Also compute the frame-level timbre descriptors of
      `core.descriptors` (spectral centroid, flatness, periodicity, odd/even
      harmonic ratio) and store them in every example; their percentiles
      join the metadata's 'training_controls' ('descriptors').

  Returns:
    The metadata dict written to `artifacts.tfrecord_metadata_path(...)`.

  Raises:
    ParameterError: Bad parameters or no input paths (a ValueError).
    OutputExistsError: Outputs exist and `overwrite` is False (a
      FileExistsError).
    filesystem.RemoteFilesystemError: The output is a URL that cannot be
      written (no filesystem for its scheme, no bucket, no credentials).
    publish.OutputBusyError: Another run is writing this prefix.
    environment.CrepeNotInstalledError: 'crepe' without the crepe package.
    NoExamplesError: Every input file was skipped.
  """
  validate_parameters(sample_rate, frame_rate, example_secs, hop_secs,
                      eval_split_fraction, chunk_secs, f0_estimator,
                      num_shards, highpass_hz)
  if instrument is not None and (not isinstance(instrument, str) or
                                 not instrument.strip()):
    raise ParameterError(f'instrument ({instrument!r}) must be a name, '
                         f"'{write.INSTRUMENT_FROM_DIRECTORY}' or None.")
  paths, skipped_inputs = split_inputs(input_audio_paths)
  if not paths and not skipped_inputs:
    raise ParameterError('No input audio files.')
  example_secs = _as_number(example_secs)
  hop_frames = stages.frames(hop_secs, frame_rate)
  if abs(hop_frames - hop_secs * frame_rate) > 1e-6:
    logging.warning(
        'hop_secs=%g is %g frames at frame_rate %d: using %d frames (%g s) so '
        'that audio and features stay aligned.', hop_secs,
        hop_secs * frame_rate, frame_rate, hop_frames, hop_frames / frame_rate)
  hop_secs = _as_number(hop_frames / frame_rate)
  chunk_secs = _as_number(chunk_secs or 0)
  highpass_hz = _as_number(highpass_hz)
  output_tfrecord_path = filesystem.abspath(output_tfrecord_path)
  output_dir, prefix = filesystem.split(output_tfrecord_path)
  if not prefix or filesystem.isdir(output_tfrecord_path):
    raise ParameterError(
        f'output_tfrecord_path ({output_tfrecord_path}) must be a file '
        'prefix, e.g. data/train.tfrecord, not a folder.')
  # A URL that cannot be written fails here, in one line, before any work.
  filesystem.check_writable(output_dir, '--output_tfrecord_path')
  metadata_path = artifacts.tfrecord_metadata_path(output_tfrecord_path)
  notes_path = artifacts.tfrecord_notes_path(output_tfrecord_path)
  segmenter = segmentation.Segmenter() if write_notes else None
  if not overwrite:  # Before the lock: a refused run writes nothing.
    refuse_existing(output_tfrecord_path)
  if f0_estimator == 'crepe':
    environment.require_crepe()
  options, explicit = beam_runner.resolve_options(pipeline_options)

  with publish.output_set(
      output_dir, prefix, manifest=filesystem.basename(metadata_path),
      replaces=lambda: existing_outputs(output_tfrecord_path),
      what=f'The TFRecord dataset {output_tfrecord_path}',
      before_manifest=(filesystem.basename(notes_path),)) as staging:
    if not overwrite:  # Again under the lock: another run may have finished.
      refuse_existing(output_tfrecord_path)
    work_dir = filesystem.join(staging, 'work')
    filesystem.makedirs(work_dir)
    logging.info('Preparing TFRecords from %d files into %s (work dir %s), '
                 'Beam options %s.', len(paths), output_tfrecord_path,
                 work_dir, options)
    beam_counters = None
    if paths:
      options, beam_counters = _run_with_fallback(
          work_dir, options, not explicit, input_audio_paths=paths,
          prefix=prefix, num_shards=num_shards, sample_rate=sample_rate,
          frame_rate=frame_rate, example_secs=example_secs,
          hop_secs=hop_secs, eval_split_fraction=eval_split_fraction,
          chunk_secs=chunk_secs, center=center, f0_estimator=f0_estimator,
          highpass_hz=highpass_hz, segmenter=segmenter,
          instrument=instrument, descriptors=descriptors)
    split_names = ('train', 'eval') if eval_split_fraction else ('all',)
    summary = _read_summary(work_dir, prefix, split_names)
    counters = summary['counters']
    check_summary_complete(beam_counters, counters)
    summary['skipped_files'] = sorted(
        summary['skipped_files'] + skipped_inputs, key=lambda s: s['path'])
    splits, files = summary['splits'], summary['files']
    n_examples = sum(s['n_examples'] for s in splits.values())
    n_dropped = sum(s['n_examples_dropped'] for s in splits.values())
    n_inputs = len(paths) + len(skipped_inputs)
    if not n_examples:
      reasons = '; '.join(
          f"{s['path']}: {s['reason']}"
          for s in summary['skipped_files'] + summary['skipped_chunks'])
      raise NoExamplesError(
          f'No examples from {n_inputs} input path(s); nothing was written. '
          f'Skipped: {reasons or "none"}'
          + (f'; {n_dropped} example(s) dropped for NaN/Inf features'
             if n_dropped else '') + '.')
    _stage_shards(work_dir, staging)
    filesystem.rmtree(work_dir)
    notes = None
    if segmenter is not None:
      notes = note_dataset.write(
          filesystem.join(staging, filesystem.basename(notes_path)),
          summary['phrases'], frame_rate, segmenter, prefix)
    record = artifacts.write_json(
        filesystem.join(staging, filesystem.basename(metadata_path)),
        kind=METADATA_KIND,
        format_version=METADATA_FORMAT_VERSION,
        payload={
            'tfrecord_prefix': prefix,
            'splits': splits,
            # Percentiles of the audible f0 and loudness the model will be
            # trained on (the training split's, else all): the sampler's
            # default levels and range warnings.
            'training_controls': splits.get('train', splits.get(
                'all', {})).get('training_controls'),
            'n_examples': n_examples,
            'n_examples_dropped': n_dropped,
            'sample_rate': sample_rate,
            'frame_rate': frame_rate,
            'example_secs': example_secs,
            'hop_secs': hop_secs,
            'hop_frames': hop_frames,
            'chunk_secs': chunk_secs,
            'center': bool(center),
            'eval_split_fraction': eval_split_fraction,
            'f0_estimator': f0_estimator,
            'highpass_hz': highpass_hz,
            'notes_file': (filesystem.basename(notes_path) if notes else None),
            'n_notes': notes['n_notes'] if notes else None,
            'f0_fmin_hz': f0_lib.FMIN_HZ if f0_estimator != 'crepe' else None,
            'f0_fmax_hz': f0_lib.FMAX_HZ if f0_estimator != 'crepe' else None,
            'loudness_n_fft': features.LOUDNESS_N_FFT,
            'silence_threshold_db': SILENCE_THRESHOLD_DB,
            'n_samples_per_example': int(round(example_secs * sample_rate)),
            'n_samples_16k_per_example': int(
                round(example_secs * features.CREPE_SAMPLE_RATE)),
            'n_frames_per_example': (stages.frames(example_secs, frame_rate) +
                                     (1 if center else 0)),
            'features': list(FEATURES) + (
                list(stages.DESCRIPTORS) if descriptors else []) + (
                    [write.INSTRUMENT_KEY] if instrument else []),
            'descriptors': (descriptors_lib.describe() if descriptors
                            else None),
            'instrument_labels': instrument,
            'instruments': stages.sum_counts(
                split['instruments'] for split in splits.values()),
            'n_files': n_inputs,
            'n_files_used': len(files),
            'n_files_skipped': len(summary['skipped_files']),
            'n_paths_not_files': len(skipped_inputs),
            'n_files_padded': sum(f['padded'] for f in files),
            'n_files_with_warnings': len(summary['file_warnings']),
            'audio_secs': float(sum(f['duration_secs'] for f in files)),
            'limits': {'min_sample_rate': audio_io.MIN_SAMPLE_RATE,
                       'max_sample_rate': audio_io.MAX_SAMPLE_RATE,
                       'max_file_secs': audio_io.MAX_DURATION_SECS,
                       'max_peak': audio_io.MAX_PEAK},
            'files': files,
            'file_warnings': summary['file_warnings'],
            'skipped_files': summary['skipped_files'],
            'skipped_chunks': summary['skipped_chunks'],
            'counters': counters,
        },
        extra_provenance={'pipeline_options': options})
  logging.info('Stage counters: %s.', ', '.join(
      f'{k}: {v}' for k, v in counters.items()))
  logging.info('Wrote %d examples (%s) from %d of %d files to %s; skipped %d '
               'files; metadata %s.', n_examples,
               ', '.join(f"{k}: {v['n_examples']}" for k, v in splits.items()),
               len(files), n_inputs, output_tfrecord_path,
               len(summary['skipped_files']), metadata_path)
  return record
