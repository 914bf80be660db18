# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Stages of the prepare_tfrecord Beam pipeline: small dict -> dict functions.

Memory is bounded by a chunk, not by a file:

1. `scan_file` streams a file once, block by block, and emits one light
   descriptor per chunk (frame range, SHA-256 of its audio) -- no audio.
2. `load_chunk` reads only its chunk (plus `CONTEXT_SECS` of audio on each
   side, seeking in the file) and resamples it to `sample_rate` and 16 kHz.
   The context makes the resampled chunk equal to a resampled whole file and
   gives the features at the chunk's edges real audio to look at.
3. `add_f0_estimate`, `add_loudness` and (optionally) `add_descriptors`
   compute every feature on the same grid: frame i is centred on sample
   i * hop of the chunk, in both `center` modes (`center=False` has one
   frame fewer per example, the last one).
4. `prepare_tfrecord_write.write_examples` cuts the chunk into examples and
   writes them to a part file of its own; `write_shard` concatenates part
   files into shards.

Between stages only descriptors and part-file records travel, so no runner
ever holds a dataset's audio or examples in memory.
"""

import contextlib
import hashlib
import math
import threading
import time
import types

from absl import logging
import apache_beam as beam
import numpy as np
import soundfile as sf

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import descriptors
from ddsp_generative.core import features
from ddsp_generative.core import filesystem
from ddsp_generative import environment
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.expression import note_dataset

SILENCE_THRESHOLD_DB = -60.0
COUNTER_NAMESPACE = 'prepare-tfrecord'
FEATURES = ('audio', 'audio_16k', 'f0_hz', 'f0_confidence', 'loudness_db')
# Frame-level features an example may hold besides ddsp's (`add_descriptors`).
DESCRIPTORS = descriptors.DESCRIPTOR_KEYS
FRAME_FEATURES = ('f0_hz', 'f0_confidence', 'loudness_db') + DESCRIPTORS
SKIPPED = 'skipped'
FILES = 'files'
CHUNKS = 'chunks'
# Records of the counters a stage incremented for one element (`Counted`).
COUNTS = 'counts'
# Audio read on each side of a chunk: half a pitch frame (1024 samples at
# 16 kHz) and the resampler's filter (20 ms) fit in it.
CONTEXT_SECS = 0.064
SCAN_BLOCK_SECS = 10.0


_COLLECTING = threading.local()


def count(name, n=1):
  """Increments a Beam counter, and the totals `collect_counts` gathers."""
  beam.metrics.Metrics.counter(COUNTER_NAMESPACE, name).inc(n)
  totals = getattr(_COLLECTING, 'totals', None)
  if totals is not None:
    totals[name] = totals.get(name, 0) + int(n)


@contextlib.contextmanager
def collect_counts():
  """{name: total} of the `count` calls made in this thread meanwhile."""
  outer = getattr(_COLLECTING, 'totals', None)
  totals = _COLLECTING.totals = {}
  try:
    yield totals
  finally:
    _COLLECTING.totals = outer
    if outer is not None:
      for name, n in totals.items():
        outer[name] = outer.get(name, 0) + n


class Counted:
  """A stage function whose outputs, and counters, travel as (tag, value).

  Runners differ in what they support: Beam's DaskRunner sends every output
  of a multi-output ParDo (`with_outputs`) to every consumer and reports no
  metrics. So each stage emits one PCollection of (tag, value) pairs: its
  main outputs under `main`, `TaggedOutput`s under their tag, and last a
  (COUNTS, {name: n}) record of the counters it incremented for the element
  (the Beam counters are incremented too). `select` takes one tag out.

  Args:
    fn: The stage function: returns a value, or yields values and
      `beam.pvalue.TaggedOutput`s.
    main: Tag of its plain outputs.
    star: Call fn(*element, ...) (the element is a tuple of arguments).
    **kwargs: fn's other arguments (Beam passes a callable object only the
      element).
  """

  def __init__(self, fn, main=CHUNKS, star=False, **kwargs):
    self.fn, self.main, self.star, self.kwargs = fn, main, star, kwargs

  def __call__(self, element):
    with collect_counts() as totals:
      out = (self.fn(*element, **self.kwargs) if self.star else
             self.fn(element, **self.kwargs))
      outputs = list(out) if isinstance(out, types.GeneratorType) else [out]
    for value in outputs:
      if isinstance(value, beam.pvalue.TaggedOutput):
        yield value.tag, value.value
      else:
        yield self.main, value
    if totals:
      yield COUNTS, totals


def select(tagged, tag):
  """The values of (tag, value) pairs with this tag (a FlatMap function)."""
  if tagged[0] == tag:
    yield tagged[1]


def sum_counts(records):
  """{name: total} of COUNTS records' {name: n}, sorted by name."""
  totals = {}
  for record in records:
    for name, n in record.items():
      totals[name] = totals.get(name, 0) + int(n)
  return dict(sorted(totals.items()))


def frames(secs, frame_rate):
  """Whole frames in `secs` seconds."""
  return int(round(secs * frame_rate))


def _sha1(text):
  return hashlib.sha1(text.encode('utf-8')).hexdigest()


def work_dirs(work_dir):
  """Folders of a run's work dir: decoded files, parts, shards, summary."""
  return {name: filesystem.join(work_dir, name)
          for name in ('decoded', 'parts', 'shards', 'summary')}


# ------------------------------------------------------------ Chunking ----
def chunk_bounds(total_frames, chunk_frames, example_frames):
  """Frame ranges of a file's chunks; a short tail joins the chunk before.

  Args:
    total_frames: Frames in the file (already at least `example_frames`).
    chunk_frames: Frames per chunk; 0 for one chunk per file.
    example_frames: Frames per example: no chunk is shorter.

  Returns:
    List of [start, end) frame pairs covering [0, total_frames).
  """
  size = chunk_frames or total_frames
  bounds = [[s, min(s + size, total_frames)]
            for s in range(0, total_frames, size)]
  if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < example_frames:
    bounds[-2][1] = bounds[-1][1]
    bounds.pop()
  return [tuple(b) for b in bounds]


def _sample_at(frame, rate, frame_rate):
  """First sample at or after the start of `frame`, at `rate`."""
  return -(-frame * rate // frame_rate)


def _scan_blocks(blocks, bounds, rate, frame_rate):
  """One pass over a file's blocks: length, peak, and per-chunk hash/peak.

  Raises:
    audio_io.BadAudioError: The file holds more than
      `audio_io.MAX_DURATION_SECS` of audio (whatever its header said).
  """
  edges = [(_sample_at(s, rate, frame_rate), _sample_at(e, rate, frame_rate))
           for s, e in bounds]
  hashes = [hashlib.sha256() for _ in bounds]
  peaks = [0.0] * len(bounds)
  n, peak = 0, 0.0
  for block in blocks:
    audio_io.check_duration(n + len(block), rate)
    peak = max(peak, float(np.max(np.abs(block))))
    for i, (a, b) in enumerate(edges):
      lo, hi = max(a, n), min(b, n + len(block))
      if lo < hi:
        piece = block[lo - n:hi - n]
        hashes[i].update(piece.tobytes())
        peaks[i] = max(peaks[i], float(np.max(np.abs(piece))))
    n += len(block)
  return n, peak, [h.hexdigest() for h in hashes], peaks


def _file_bounds(n_samples, rate, sample_rate, frame_rate, example_secs,
                 chunk_secs):
  """(total frames after padding, padded?, chunk bounds) of a file."""
  hop = sample_rate // frame_rate
  # Whole frames of the file resampled to `sample_rate` (as librosa does).
  n_resampled = -(-n_samples * sample_rate // rate)
  total = -(-n_resampled // hop)
  example_frames = frames(example_secs, frame_rate)
  padded = total < example_frames
  total = max(total, example_frames)
  return total, padded, chunk_bounds(total, frames(chunk_secs, frame_rate),
                                     example_frames)


def _decode_whole(path, decoded_dir):
  """Decodes a file that cannot be streamed to a float WAV in decoded_dir."""
  audio, info = audio_io.load_audio(path)
  source = filesystem.join(decoded_dir,
                           _sha1(filesystem.abspath(path)) + '.wav')
  with artifacts.atomic_path(source) as tmp:
    sf.write(tmp, audio, info['original_sample_rate'], subtype='FLOAT',
             format='WAV')
  return audio, info, source


def scan_file(path, sample_rate, frame_rate, example_secs, chunk_secs,
              decoded_dir):
  """Path -> a descriptor per chunk (no audio), its file record, or skipped.

  Streams the file once (one block in memory); files that cannot be streamed
  (MP3, formats only audioread decodes) are decoded whole once and written
  as float WAV to `decoded_dir`, from which their chunks are read. Files
  whose header claims an absurd sample rate or length are skipped before
  anything is decoded, and files with NaN/Inf samples or samples above
  `audio_io.MAX_PEAK` while scanning (see `core.audio_io`); float files
  above full scale but within the limit are kept, with a warning in their
  FILES record.

  Args:
    path: Audio file path.
    sample_rate: Output sample rate in Hz.
    frame_rate: Feature frame rate in Hz.
    example_secs: Example length; shorter files are padded to it.
    chunk_secs: Chunk length (0: one chunk per file).
    decoded_dir: Folder for whole-decoded copies.

  Yields:
    Chunk descriptors {'path', 'source', 'chunk_index', 'start_frame',
    'end_frame', 'original_sample_rate', 'original_n_samples', 'key'}; a
    FILES record (with 'peak' and 'warning', None or a reason); SKIPPED
    records for the file or its silent chunks.
  """
  count('scan-file')
  try:
    info = audio_io.audio_info(path)
    if audio_io.streams(info):
      rate, source = info['original_sample_rate'], path
      n_header = info['original_n_samples']
      read_blocks = lambda: audio_io.read_mono_blocks(  # pylint: disable=g-long-lambda
          path, int(SCAN_BLOCK_SECS * rate))
    else:
      audio, info, source = _decode_whole(path, decoded_dir)
      count('decoded-whole-file')
      rate, n_header = info['original_sample_rate'], len(audio)
      read_blocks = lambda: [audio]
    total, padded, bounds = _file_bounds(n_header, rate, sample_rate,
                                         frame_rate, example_secs, chunk_secs)
    n, peak, keys, peaks = _scan_blocks(read_blocks(), bounds, rate,
                                        frame_rate)
    if n != n_header:  # The header promised more (or fewer) samples.
      total, padded, bounds = _file_bounds(n, rate, sample_rate, frame_rate,
                                           example_secs, chunk_secs)
      n, peak, keys, peaks = _scan_blocks(read_blocks(), bounds, rate,
                                          frame_rate)
    if not n:
      raise audio_io.BadAudioError('file holds no audio samples')
    if audio_io.is_silent(np.array([peak]), SILENCE_THRESHOLD_DB):
      raise audio_io.BadAudioError(
          f'silent (peak {audio_io.peak_db(np.array([peak])):.1f} dBFS < '
          f'{SILENCE_THRESHOLD_DB:.0f} dBFS)')
  except Exception as e:  # pylint: disable=broad-except
    # One bad file must not stop the job: skip it and record why.
    reason = (str(e) if isinstance(e, audio_io.BadAudioError) else
              f'unexpected error: {type(e).__name__}: {e}')
    logging.warning("Skipping '%s': %s", path, reason)
    count('skipped-file')
    yield beam.pvalue.TaggedOutput(SKIPPED, {'path': path, 'reason': reason})
    return

  count('padded-short-file', int(padded))
  count('downmixed-file', int(info['channels'] > 1))
  count('resampled-file', int(rate != sample_rate))
  warning = audio_io.peak_warning(peak)
  if warning:
    logging.warning("Keeping '%s': %s.", path, warning)
    count('over-full-scale-file')
  logging.info("Scanned '%s': %.1f s at %d Hz, %d channel(s): %d chunk(s).",
               path, n / rate, rate, info['channels'], len(bounds))
  yield beam.pvalue.TaggedOutput(FILES, {
      'path': path, 'duration_secs': n / rate, 'original_sample_rate': rate,
      'channels': info['channels'], 'format': info['format'],
      'subtype': info['subtype'], 'reader': info['reader'],
      'streamed': source == path, 'padded': padded, 'n_chunks': len(bounds),
      'peak': peak, 'warning': warning})
  for i, ((start, end), key, chunk_peak) in enumerate(zip(bounds, keys,
                                                          peaks)):
    if audio_io.is_silent(np.array([chunk_peak]), SILENCE_THRESHOLD_DB):
      count('skipped-silent-chunk')
      yield beam.pvalue.TaggedOutput(SKIPPED, {
          'path': path, 'chunk_index': i, 'start_secs': start / frame_rate,
          'end_secs': end / frame_rate,
          'reason': f'silent chunk (peak < {SILENCE_THRESHOLD_DB:.0f} dBFS)'})
      continue
    count('chunk')
    yield {'path': path, 'source': source, 'chunk_index': i,
           'start_frame': start, 'end_frame': end,
           'original_sample_rate': rate, 'original_n_samples': n, 'key': key}


def chunk_key(desc):
  return desc['key']


def make_plan(keys, eval_split_fraction):
  """All chunk keys -> {'threshold', 'n_chunks', 'start_time'}.

  The chunks with the smallest keys (SHA-256 of their audio) go to eval: the
  split is a function of the audio, and identical chunks share a split.
  """
  keys = sorted(keys)
  n_eval = int(round(len(keys) * eval_split_fraction))
  n_eval = min(max(n_eval, 1), len(keys) - 1) if len(keys) > 1 else 0
  threshold = keys[n_eval - 1] if eval_split_fraction and n_eval else ''
  return {'threshold': threshold, 'n_chunks': len(keys),
          'eval': bool(eval_split_fraction), 'start_time': time.time()}


def plan_for_all(_):
  """Every chunk descriptor under one key: the plan needs all their keys."""
  return 0


def plan_chunks(key_and_descs, eval_split_fraction):
  """(key, all chunk descriptors) -> (index, (descriptor, plan)) per chunk.

  The plan (`make_plan`) travels with each descriptor instead of as a side
  input (Beam's DaskRunner recomputes a side input's whole upstream in
  every task that reads it). Descriptors are numbered in the order of their
  keys, and that whole-number index spreads them over the workers
  (`reshuffle`).
  """
  descs = sorted(key_and_descs[1], key=lambda d: (d['key'], d['path'],
                                                  d['chunk_index']))
  plan = make_plan([d['key'] for d in descs], eval_split_fraction)
  for i, desc in enumerate(descs):
    yield i, (desc, plan)


class Reshuffle(beam.PTransform):
  """(whole-number key, value) -> the values, spread over the workers.

  A GroupByKey, which every runner distributes (Beam's DaskRunner runs
  `beam.Reshuffle` as a no-op). Keys are whole numbers: Python hashes of
  strings differ between processes unless PYTHONHASHSEED is set.
  """

  def expand(self, pcoll):
    return (pcoll
            | 'group' >> beam.GroupByKey()
            | 'values' >> beam.FlatMap(lambda key_values: key_values[1]))


def _split_name(key, plan):
  if not plan['eval']:
    return 'all'
  return 'eval' if key <= plan['threshold'] else 'train'


# ----------------------------------------------------------- Features ----
def skip_chunk(ex, stage, error):
  """A SKIPPED record for a chunk whose `stage` raised `error`."""
  reason = f'{stage} failed: {type(error).__name__}: {error}'
  logging.exception("Skipping chunk %d of '%s': %s", ex['chunk_index'],
                    ex['path'], reason)
  count('skipped-failed-chunk')
  return beam.pvalue.TaggedOutput(SKIPPED, {
      'path': ex['path'], 'chunk_index': ex['chunk_index'], 'reason': reason})


def _read_resampled(desc, first_frame, last_frame, rates, frame_rate,
                    highpass_hz=0.0):
  """Audio of frames [first_frame, last_frame) at each of `rates`.

  With `highpass_hz` > 0 each rate's audio goes through
  `audio_io.highpass` (DC offset and rumble removed).
  """
  rate, n = desc['original_sample_rate'], desc['original_n_samples']
  start = first_frame * rate // frame_rate  # Exact: see `load_chunk`.
  stop = min(_sample_at(last_frame, rate, frame_rate), n)
  raw = audio_io.read_mono(desc['source'], start, max(start, stop))
  out = {}
  for target in rates:
    if target not in out:
      length = (last_frame - first_frame) * (target // frame_rate)
      audio = audio_io.resample(raw, from_rate=rate, to_rate=target)[:length]
      if highpass_hz:
        audio = audio_io.highpass(audio, target, highpass_hz)
      out[target] = np.pad(audio, (0, length - len(audio)))
  return [out[target] for target in rates]


def load_chunk(desc, plan, sample_rate, frame_rate, highpass_hz=0.0):
  """Descriptor -> chunk with its audio (and context) at both sample rates.

  Reads frames [start - context, end + context) of the file, where the
  context is at least `CONTEXT_SECS` and the first frame starts on a whole
  sample of the file (e.g. every 5th frame at 44.1 kHz and 250 Hz), so that
  the chunk's samples are those of the whole file resampled at once.

  Args:
    desc: Chunk descriptor from `scan_file`.
    plan: From `make_plan` (train/eval threshold, number of chunks).
    sample_rate: Rate of 'audio' in Hz.
    frame_rate: Feature frame rate in Hz.
    highpass_hz: 0, or the cut-off of a high-pass applied to the audio at
      both rates (before f0 and loudness; the context absorbs its start).

  Yields:
    {'path', 'chunk_index', 'key', 'split', 'start_frame', 'n_frames',
    'context_frames', 'ends_file' (the chunk's end is its file's),
    'audio_ctx' [n_ctx_frames * hop], 'audio_16k_ctx', 'start_time'}, or a
    SKIPPED record.
  """
  start_time = time.time()
  rate = desc['original_sample_rate']
  grid = frame_rate // math.gcd(rate, frame_rate)
  context = -(-int(math.ceil(CONTEXT_SECS * frame_rate)) // grid) * grid
  first = max(0, desc['start_frame'] - context) // grid * grid
  last = desc['end_frame'] + context
  ex = {'path': desc['path'], 'chunk_index': desc['chunk_index'],
        'key': desc['key'], 'split': _split_name(desc['key'], plan),
        'n_chunks_total': plan['n_chunks'], 'plan_time': plan['start_time'],
        'start_frame': desc['start_frame'],
        'n_frames': desc['end_frame'] - desc['start_frame'],
        'context_frames': desc['start_frame'] - first,
        'ends_file': _sample_at(desc['end_frame'], rate, frame_rate) >= (
            desc['original_n_samples']),
        'start_time': start_time}
  try:
    audio, audio_16k = _read_resampled(
        desc, first, last, (sample_rate, features.CREPE_SAMPLE_RATE),
        frame_rate, highpass_hz)
  except Exception as e:  # pylint: disable=broad-except
    yield skip_chunk(ex, 'loading', e)
    return
  count('load-chunk')
  yield dict(ex, audio_ctx=audio, audio_16k_ctx=audio_16k)


def _feature_frames(ex, center):
  """(first, last) of the chunk's feature frames in the context frames."""
  first = ex['context_frames']
  return first, first + ex['n_frames'] + (1 if center else 0)


def add_f0_estimate(ex, frame_rate, center, f0_estimator):
  """Adds 'f0_hz' and 'f0_confidence', estimated on 'audio_16k_ctx'."""
  audio = ex['audio_16k_ctx']
  n_ctx = len(audio) // (features.CREPE_SAMPLE_RATE // frame_rate) + 1
  first, last = _feature_frames(ex, center)
  try:
    f0_hz, f0_confidence = f0_lib.estimate_f0(
        audio, features.CREPE_SAMPLE_RATE, frame_rate, n_ctx, f0_estimator)
  except environment.CrepeNotInstalledError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    yield skip_chunk(ex, 'f0 estimation', e)
    return
  count('estimate-f0')
  yield dict(ex, f0_hz=f0_hz[first:last],
             f0_confidence=f0_confidence[first:last])


def add_loudness(ex, frame_rate, center):
  """Adds 'loudness_db': ddsp's `compute_loudness`, frames centred on i*hop."""
  audio = ex['audio_16k_ctx']
  n_ctx = len(audio) // (features.CREPE_SAMPLE_RATE // frame_rate) + 1
  first, last = _feature_frames(ex, center)
  try:
    loudness_db = features.loudness_db(audio, features.CREPE_SAMPLE_RATE,
                                       frame_rate, n_ctx, pad_db=-120.0)
  except Exception as e:  # pylint: disable=broad-except
    yield skip_chunk(ex, 'loudness', e)
    return
  count('compute-loudness')
  yield dict(ex, loudness_db=loudness_db[first:last].astype(np.float32))


def add_descriptors(ex, frame_rate, center):
  """Adds the timbre descriptors of `core.descriptors` (same frame grid).

  Computed on 'audio_16k_ctx' with the chunk's f0 (for the odd/even
  harmonic ratio); the context gives the edge frames real audio.
  """
  audio = ex['audio_16k_ctx']
  n_ctx = len(audio) // (features.CREPE_SAMPLE_RATE // frame_rate) + 1
  first, last = _feature_frames(ex, center)
  f0_ctx = np.zeros(n_ctx, np.float32)
  f0_ctx[first:last] = ex['f0_hz']  # The context frames have no f0.
  try:
    values = descriptors.compute(audio, f0_ctx, frame_rate, n_ctx)
  except Exception as e:  # pylint: disable=broad-except
    yield skip_chunk(ex, 'descriptors', e)
    return
  count('compute-descriptors')
  yield dict(ex, **{k: v[first:last] for k, v in values.items()})


def segment_notes(ex, frame_rate, segmenter):
  """Chunk -> its phrase for the note dataset: controls and notes.

  Non-finite control frames (their examples are dropped from the
  TFRecords) are silent and unvoiced in the phrase, and counted.

  Args:
    ex: Chunk from `add_loudness`.
    frame_rate: Frames per second.
    segmenter: An `expression.segmentation.Segmenter`.

  Returns:
    `expression.note_dataset.phrase`'s record.
  """
  controls = {}
  for key, silent in (('f0_hz', 0.0), ('f0_confidence', 0.0),
                      ('loudness_db', features.LOUDNESS_PAD_DB)):
    values = np.asarray(ex[key], np.float64)
    bad = ~np.isfinite(values)
    if np.any(bad):  # Frames whose examples are dropped: silence here.
      count('notes-non-finite-frame', int(bad.sum()))
      values = np.where(bad, silent, values)
    controls[key] = values
  record = note_dataset.phrase(
      ex['path'], ex['chunk_index'], ex['split'], ex['start_frame'],
      frame_rate, controls, segmenter, last_chunk=ex['ends_file'])
  count('segment-notes')
  count('notes', len(record['notes']))
  return record
