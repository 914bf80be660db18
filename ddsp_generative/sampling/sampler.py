# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Sampling library: controls + prior + decoder -> WAV, PNG and JSON files.

`python -m ddsp_generative.sample` is its command line. `generate` runs in
bounded memory for any duration: block after block of `BLOCK_FRAMES` frames,
the controls of the block (`controls.as_blocks`: computed per block, a MIDI
file's from its notes), its z from the prior's stream (`Prior.stream`, which
carries a temporal prior's state from block to block) and its audio from the
streaming decoder (`streaming.clip_decoder`, GRU and synth state carried),
written to the WAV as it comes. Only the first PLOT_SECS are kept, for the
spectrogram.

Nothing wrong is written: the controls are checked before any audio is made
(finite, f0 in (0, Nyquist], loudness in LOUDNESS_RANGE_DB), z and every
chunk of audio before it is written (finite), and the WAVs' size against
the free disk space and the WAV format's 4 GiB. Each sample's WAV, PNG and
JSON are staged and published together (`core.publish`, the JSON last), and
a run holds its --save_dir's lock throughout, so a second sampler on the
same directory is refused at once and a killed run leaves no JSON beside
files of another run; the next run removes what it left.
"""

import json
import math
import os
import re
import shutil

from absl import logging
import gin
import numpy as np
import soundfile
from tqdm import tqdm

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import control_ranges
from ddsp_generative.core import errors
from ddsp_generative.core import publish
from ddsp_generative.core import units
from ddsp_generative import controls
from ddsp_generative.controls import descriptor_curves as descriptor_curves_lib
from ddsp_generative.controls import midi  # pylint: disable=unused-import
from ddsp_generative.controls import sources
from ddsp_generative.core import plotting

SAMPLE_FORMAT_VERSION = 1
DEFAULT_PRIOR_NAME = 'prior.json'
# Spectrogram PNGs show at most the first PLOT_SECS of a sample.
PLOT_SECS = 60.0
# Frames of controls, z and audio made at a time (independent of the
# decoder's chunk_frames): 33 s at 250 frames/s.
BLOCK_FRAMES = 8192
# The lock a run holds on its --save_dir (`publish.lock`), and the prefix of
# the outputs (and of their staging) in it.
RUN_LOCK_NAME = 'sample'
SAMPLE_PREFIX = 'sample_'
# Loudness the decoder may be asked for (ddsp's scale: 0 dB full scale, the
# note sources' silence -80 dB).
LOUDNESS_RANGE_DB = (-200.0, 20.0)
# 16-bit mono WAV: bytes per sample, header, and the format's limit (RIFF
# sizes are 32-bit).
WAV_BYTES_PER_SAMPLE = 2
WAV_HEADER_BYTES = 44
MAX_WAV_BYTES = 2**32 - 1
# Disk space reserved per sample for its PNG and JSON.
SIDECAR_BYTES = 2 * 2**20
# What killed runs leave: a sample's staging or temporary files (group 1 its
# name), and the temporary files of earlier versions of the sampler (before
# the publish protocol: mkstemp names).
_LEFTOVER = re.compile(r'^\.(?:staging|tmp)-(' + SAMPLE_PREFIX + r'\d+)([-.])')
_OLD_TMP = re.compile(r'^\.tmp-[a-z0-9_]{8}\.(wav|png|json)$')


class SamplesExistError(errors.UserError, FileExistsError):
  """Sample files exist and --overwrite was not given."""


class BadControlsError(errors.UserError, ValueError):
  """A control source gave controls the decoder cannot play."""


class NonFiniteOutputError(errors.UserError, ValueError):
  """The prior's z or the decoder's audio is not finite."""


class OutputSpaceError(errors.UserError, OSError):
  """The WAVs would not fit on the disk, or in the WAV format."""


class SampleWriteError(errors.UserError, OSError):
  """Writing a sample failed (disk full, no permission, read-only)."""


def parse_control_config(gin_files=(), gin_params=(), defaults=()):
  """Parses the controls' gin config on top of a loaded model's.

  Registers every control source first, the envelope VAE's included (it
  imports TensorFlow, hence not at module import), so that bindings such as
  `control_source.source = @EnvelopeControl()` resolve.

  Args:
    gin_files: Gin files.
    gin_params: Gin bindings, parsed after the files.
    defaults: Bindings parsed before both, which they override.
  """
  from ddsp_generative.controls import envelope  # pylint: disable=g-import-not-at-top,unused-import
  with gin.unlock_config():
    gin.parse_config(list(defaults))
    gin.parse_config_files_and_bindings(list(gin_files), list(gin_params))


@gin.configurable(module='ddsp_generative.sampling')
def control_source(source=None):
  """The control generator (gin root); default a 2 s middle-C Note."""
  if source is not None:
    return source
  # The gin-configured Note (gin.register leaves the plain class unbound).
  return gin.get_configurable(controls.Note)()


def sample_name(index):
  """'sample_003': the base name of sample `index`'s files."""
  return f'{SAMPLE_PREFIX}{index:03d}'


def sample_paths(save_dir, index, with_midi=False):
  """Sample `index`'s files: WAV, PNG, JSON and (with_midi) the MIDI file."""
  stem = os.path.join(save_dir, sample_name(index))
  paths = {'wav': stem + '.wav', 'png': stem + '.png', 'json': stem + '.json'}
  if with_midi:
    paths['mid'] = stem + '.mid'
  return paths


def sample_sources(source, n_samples, seed):
  """The control source of each sample.

  A source with `for_seed` (a composed `controls.Phrase`) makes a new one
  per sample seed (another phrase each); any other plays in every sample.
  """
  if hasattr(source, 'for_seed'):
    return [source.for_seed(seed + i) for i in range(n_samples)]
  return [source] * n_samples


def describe_controls(source):
  return {'type': type(source).__name__,
          'settings': dict(getattr(source, 'config', {}))}


def describe_prior(prior, path=None):
  if prior is None:
    return None
  return {'path': None if path is None else os.path.abspath(path),
          'type': prior.TYPE, 'z_dims': prior.z_dims,
          'model_fingerprint': prior.model_fingerprint,
          'model_step': prior.model_step,
          'conditions': list(prior.CONDITIONS)}


def prior_conditions(prior, f0_hz, loudness_db, batch=True):
  """The controls a conditional prior samples z given, as `sample` kwargs.

  Args:
    prior: A Prior; its `CONDITIONS` name the controls it needs (e.g.
      ('f0_hz', 'loudness_db')), empty for priors over z alone.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness.
    batch: Add a batch axis (for `Prior.sample`); False for
      `PriorStream.next`.

  Returns:
    dict of [1, n_frames] (or [n_frames]) arrays, one per condition ({} for
    none).
  """
  available = {'f0_hz': f0_hz, 'loudness_db': loudness_db}
  missing = [c for c in prior.CONDITIONS if c not in available]
  if missing:
    raise ValueError(f'The {prior.TYPE} prior conditions on {missing}, which '
                     'the control sources do not generate.')
  arrays = {c: np.asarray(available[c], np.float32) for c in prior.CONDITIONS}
  if batch:
    arrays = {c: x[np.newaxis] for c, x in arrays.items()}
  return arrays


def sample_z(trained, prior, f0_hz, loudness_db, seed=0, mode=None):
  """z for one clip from the prior, given the controls when it conditions.

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior matching the model, or None for a model without z.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness.
    seed: Prior seed.
    mode: Prior sampling mode; None for the prior's default.

  Returns:
    [n_frames, z_dims] float32, or None for a model without z.
  """
  if trained.z_dims is None:
    return None
  if prior is None:
    raise ValueError('This model decodes from z: give it a prior.')
  z = prior.sample(len(f0_hz), seed=seed, mode=mode or prior.default_mode,
                   batch_size=1,
                   **prior_conditions(prior, f0_hz, loudness_db))
  return np.asarray(z, np.float32)[0]


def synthesize(trained, prior, f0_hz, loudness_db, seed=0, mode=None,
               chunk_frames=None, descriptors=None):
  """Audio of one clip from controls, z from the prior (no files written).

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior matching the model (None for a model without z).
    f0_hz: [n_frames] f0 in Hz.
    loudness_db: [n_frames] loudness in dB.
    seed: Seeds the prior and the synthesizers' noise.
    mode: Prior sampling mode; None for the prior's default.
    chunk_frames: Frames decoded at a time (see `streaming`); None for its
      default.
    descriptors: {key: [n_frames]} descriptor curves, for a model that
      decodes from descriptors.

  Returns:
    float32 [n_frames * hop_size] audio.
  """
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  z = sample_z(trained, prior, f0_hz, loudness_db, seed=seed, mode=mode)
  return streaming.decode_audio(trained, f0_hz, loudness_db, z, seed=seed,
                                chunk_frames=chunk_frames,
                                descriptors=descriptors)


_FILE_PATTERN = re.compile(
    # Gin wraps long bindings after the '=' with a backslash.
    r"^TFRecordProvider\.file_pattern\s*=\s*(?:\\\s*)?['\"]([^'\"]+)['\"]",
    re.M)


def training_file_pattern(trained):
  """The TFRecord pattern the model trained on (its operative config's
  `TFRecordProvider.file_pattern`), or None."""
  match = _FILE_PATTERN.search(trained.operative_config or '')
  return match.group(1) if match else None


def training_controls(trained, prior=None):
  """The percentiles of the pitch and loudness a model was trained on.

  Looked up, in order, in: the model directory's `manifest.json` (the
  embedded default model), the metadata of the TFRecords named by the
  model's operative config (`TFRecordProvider.file_pattern`, written by
  `ddsp_generative_prepare_tfrecord`), and the prior's fit (computed by
  `ddsp_generative_fit_prior` from the z dataset's controls, so a model
  directory shared with its `prior.json` carries them).

  Args:
    trained: `model_io.TrainedModel`.
    prior: The prior it samples with, or None.

  Returns:
    (ranges, origin): a `core.control_ranges` dict and the file it came
    from, or (None, None) when unknown.
  """
  candidates = [(os.path.join(trained.model_dir, 'manifest.json'),
                 lambda d: d.get('training_controls'))]
  pattern = training_file_pattern(trained)
  if pattern:
    prefix = re.sub(r'(-(train|eval))?[*?].*$', '', pattern)
    candidates.append((artifacts.tfrecord_metadata_path(prefix),
                       lambda d: d.get('training_controls')))
  for path, get in candidates:
    try:
      with open(path) as f:
        ranges = get(json.load(f))
    except (OSError, ValueError, AttributeError):
      continue
    if ranges:
      return ranges, path
  ranges = getattr(prior, 'fit_info', {}).get('training_controls')
  if ranges:
    return ranges, 'the prior\'s fit'
  return None, None


def training_descriptor_medians(ranges):
  """{descriptor: median} of the training data (`training_controls`)."""
  return {k: v['p50'] for k, v in ((ranges or {}).get('descriptors')
                                   or {}).items()}


def training_descriptor_follow(ranges):
  """{descriptor: fit on pitch and loudness} of the training data."""
  return dict((ranges or {}).get('descriptor_follow') or {})


# The note-based control sources whose `peak_db` sets their level.
LEVEL_SOURCES = ('Note', 'Melody', 'Glissando', 'MidiFile', 'Phrase')


def default_level_bindings(ranges):
  """Gin bindings that put the note sources' level inside the training data.

  The sources' generic default (-25 dB) can be far below what a model heard
  (a loud recording's notes peak near -3 dB): bound before the user's
  `--gin_param`/`--peak_db`, which override them.

  Args:
    ranges: From `training_controls`, or None.

  Returns:
    A tuple of bindings, empty when the ranges are unknown.
  """
  if not ranges:
    return ()
  peak = control_ranges.default_peak_db(ranges)
  return tuple(f'{name}.peak_db = {peak!r}' for name in LEVEL_SOURCES)


def warn_outside_training(found, ranges, origin):
  """Warns once when requested controls leave the training data's range.

  Args:
    found: What lies outside (`ControlSummary.outside`, or
      `control_ranges.outside` of a whole clip).
    ranges: From `training_controls`.
    origin: Where the ranges came from.

  Returns:
    found.
  """
  if found:
    logging.warning(
        'The requested %s lie(s) outside what the model was trained on (%s, '
        'from %s): expect sound unlike the instrument. Transpose the notes '
        '(e.g. --pitch) or set the level (--peak_db) inside that range.',
        '; '.join(found), control_ranges.describe(ranges), origin)
  return found


def check_controls(f0_hz, loudness_db, start, trained, source):
  """Raises BadControlsError unless a block of controls is playable.

  Args:
    f0_hz: [n] f0 (Hz) of frames start...
    loudness_db: [n] loudness (dB).
    start: The block's first frame.
    trained: `model_io.TrainedModel` (frame and sample rate).
    source: The control source, for the message.
  """
  nyquist = trained.sample_rate / 2.0
  lo_db, hi_db = LOUDNESS_RANGE_DB
  with np.errstate(invalid='ignore'):
    problems = [
        (~np.isfinite(f0_hz), 'f0 is not finite'),
        (~np.isfinite(loudness_db), 'loudness is not finite'),
        (f0_hz <= 0, 'f0 is not positive'),
        (f0_hz > nyquist, f'f0 is above the Nyquist frequency ({nyquist:g} '
         'Hz)'),
        ((loudness_db < lo_db) | (loudness_db > hi_db),
         f'loudness is outside [{lo_db:g}, {hi_db:g}] dB')]
  for bad, what in problems:
    if np.any(bad):
      i = int(np.argmax(bad))
      frame = start + i
      raise BadControlsError(
          f'The {type(source).__name__} control source gave unplayable '
          f'controls: {what} at {frame / trained.frame_rate:.2f} s (frame '
          f'{frame}: f0 {float(f0_hz[i]):g} Hz, loudness '
          f'{float(loudness_db[i]):g} dB). Check its settings (--gin_param, '
          '--peak_db, --pitch, the MIDI file); nothing was written.')


class ControlSummary:
  """What of a request lies outside the training controls, block by block.

  The same test as `control_ranges.outside` (which it calls when the clip is
  one block), accumulated over blocks with bounded memory: shares of
  audible frames beyond the pitch margins, the pitch extremes, and the
  loudness' 90th percentile from a 0.01 dB histogram.
  """

  _DB_STEP = 0.01

  def __init__(self, ranges):
    self.ranges = ranges
    self._blocks = 0
    self._first = None
    self._n = 0
    self._below = self._above = 0
    self._lo = np.inf
    self._hi = -np.inf
    self._loudness = {}
    if ranges:
      self._edges = control_ranges.pitch_edges(ranges)

  def add(self, f0_hz, loudness_db):
    """Adds a block of controls."""
    self._blocks += 1
    if not self.ranges:
      return
    if self._blocks == 1:
      self._first = (f0_hz, loudness_db)
    else:
      self._first = None
    keep = control_ranges.audible(f0_hz, loudness_db)
    if not keep.any():
      return
    pitch = units.hz_to_midi(np.asarray(f0_hz, np.float64)[keep])
    self._n += int(keep.sum())
    self._below += int(np.sum(pitch < self._edges[0]))
    self._above += int(np.sum(pitch > self._edges[1]))
    self._lo = min(self._lo, float(pitch.min()))
    self._hi = max(self._hi, float(pitch.max()))
    bins, counts = np.unique(
        np.round(np.asarray(loudness_db, np.float64)[keep] / self._DB_STEP)
        .astype(np.int64), return_counts=True)
    for b, c in zip(bins.tolist(), counts.tolist()):
      self._loudness[b] = self._loudness.get(b, 0) + c

  def outside(self):
    """`control_ranges.outside` of all the blocks added."""
    if not self.ranges:
      return []
    if self._blocks == 1:
      return control_ranges.outside(*self._first, self.ranges)
    if not self._n:
      return []
    bins = np.array(sorted(self._loudness))
    cumulative = np.cumsum([self._loudness[b] for b in bins])
    rank = int(np.searchsorted(cumulative, 0.9 * cumulative[-1]))
    level = float(bins[min(rank, len(bins) - 1)]) * self._DB_STEP
    return control_ranges.findings(self._lo, self._hi, self._below / self._n,
                                   self._above / self._n, level, self.ranges)


def scan_controls(blocks, trained, source, ranges, origin):
  """Checks every block of controls; warns when they leave the training data.

  Args:
    blocks: `controls.ControlBlocks`.
    trained: `model_io.TrainedModel`.
    source: The control source, for messages.
    ranges: From `training_controls`, or None.
    origin: Where the ranges came from.

  Returns:
    The list of what lies outside the training controls (empty when inside
    or unknown).

  Raises:
    BadControlsError: A block is not playable (`check_controls`).
  """
  summary = ControlSummary(ranges)
  for start, f0_hz, loudness_db in blocks:
    check_controls(f0_hz, loudness_db, start, trained, source)
    summary.add(f0_hz, loudness_db)
  return warn_outside_training(summary.outside(), ranges, origin)


def _size(n_bytes):
  """'1.2 GB' (decimal units)."""
  for unit in ('bytes', 'kB', 'MB', 'GB', 'TB', 'PB'):
    if n_bytes < 1000 or unit == 'PB':
      return (f'{n_bytes:.0f} {unit}' if unit == 'bytes' else
              f'{n_bytes:.1f} {unit}')
    n_bytes /= 1000.0
  return None


def _existing_ancestor(path):
  path = os.path.abspath(path)
  while not os.path.exists(path):
    path = os.path.dirname(path)
  return path


def check_output_space(save_dir, n_samples, n_frames, trained,
                       replaced_bytes=0):
  """Refuses WAVs that would not fit on the disk, or in a WAV file.

  Args:
    save_dir: Where the samples go (it may not exist yet).
    n_samples: Number of samples.
    n_frames: Frames per sample.
    trained: `model_io.TrainedModel` (hop size, sample rate).
    replaced_bytes: Bytes of existing files the samples replace.

  Returns:
    The bytes of one WAV.

  Raises:
    OutputSpaceError: Naming the sizes and the fix.
  """
  n_audio = n_frames * trained.hop_size
  wav_bytes = WAV_HEADER_BYTES + n_audio * WAV_BYTES_PER_SAMPLE
  secs = n_audio / trained.sample_rate
  need = n_samples * (wav_bytes + SIDECAR_BYTES)
  free = shutil.disk_usage(_existing_ancestor(save_dir)).free
  if need > free + replaced_bytes:
    raise OutputSpaceError(
        f'{n_samples} sample(s) of {secs:.6g} s need {_size(need)} of WAV in '
        f'{save_dir}, which has {_size(free)} free: shorten the clip '
        '(--duration, the MIDI file or MidiFile.duration), write fewer '
        'samples (--n_samples) or choose a --save_dir with more space.')
  if wav_bytes > MAX_WAV_BYTES:
    limit = ((MAX_WAV_BYTES - WAV_HEADER_BYTES) / WAV_BYTES_PER_SAMPLE /
             trained.sample_rate)
    raise OutputSpaceError(
        f'A sample of {secs:.6g} s is a {_size(wav_bytes)} WAV; the WAV format '
        f'holds at most 4 GiB ({limit / 3600:.1f} hours of 16-bit mono audio '
        f'at {trained.sample_rate} Hz): shorten the clip (--duration, the MIDI '
        'file or MidiFile.duration).')
  return wav_bytes


def _clean_leftovers(save_dir):
  """Removes what killed runs left in save_dir (call it under the run lock).

  The staging of any sample (`publish.clean_stale` per sample name, also of
  samples this run does not write), temporary files of its files, and those
  earlier versions of the sampler left.
  """
  names, files = set(), []
  for entry in os.listdir(save_dir):
    match = _LEFTOVER.match(entry)
    if match:
      names.add(match.group(1))
      if match.group(2) == '.':  # `artifacts.atomic_path`'s, of a file.
        files.append(entry)
    elif _OLD_TMP.match(entry):
      files.append(entry)
  removed = [path for name in sorted(names)
             for path in publish.clean_stale(save_dir, name)]
  files = [os.path.join(save_dir, name) for name in files]
  for path in files:
    try:
      os.remove(path)
    except FileNotFoundError:
      pass
  if files:
    logging.warning('Removed %d temporary file(s) of an interrupted run: %s.',
                    len(files), ', '.join(files))
  return removed + files


def _write_error(error, path, save_dir):
  """A SampleWriteError naming the file, the cause and the fix."""
  reason = getattr(error, 'strerror', None) or str(error) or type(
      error).__name__
  try:
    free = f'; {_size(shutil.disk_usage(_existing_ancestor(save_dir)).free)} free'
  except OSError:
    free = ''
  return SampleWriteError(
      f'Cannot write {path} ({reason}{free}): free disk space, or choose a '
      f'writable --save_dir (not {save_dir}); nothing of that sample was '
      'left behind.')


def generate(trained, prior, source, n_samples=1, seed=0, mode=None,
             save_dir='samples', overwrite=False, progress=True,
             prior_path=None, chunk_frames=None, descriptor_curves=None):
  """Samples audio files; returns a list of dicts of the paths written.

  Runs block by block (`BLOCK_FRAMES`), so any duration fits in bounded
  memory; each sample's WAV, PNG and JSON appear together, once complete
  (see the module doc).

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior from `ddsp_generative.priors` matching the model; a
      prior with `CONDITIONS` samples z given the generated f0/loudness.
    source: Control generator: a `controls.ControlSource` (block by block),
      or any object with `generate(frame_rate)`.
    n_samples: Number of files.
    seed: Sample i uses seed + i for the prior and the synthesizers' noise.
    mode: Prior sampling mode; None for the prior's default.
    save_dir: Output directory.
    overwrite: Replace existing files instead of failing.
    progress: Show a progress bar (seconds of audio written).
    prior_path: Where the prior was loaded from, for the sidecar.
    chunk_frames: Frames decoded at a time; None for the default.
    descriptor_curves: {key: `controls.descriptor_curves.DescriptorCurve`}
      for a model that decodes from descriptors (`descriptor_curves.
      curves_for`); None: the training medians.

  Returns:
    List of {'wav', 'png', 'json'} paths, one per sample.

  Raises:
    SamplesExistError: Files exist and overwrite is False.
    publish.OutputBusyError: Another run writes to save_dir.
    OutputSpaceError: The WAVs would not fit.
    BadControlsError: The controls are not playable.
    NonFiniteOutputError: z or the audio is not finite.
    SampleWriteError: Writing failed.
  """
  if prior is not None:
    mode = mode or prior.default_mode
  if trained.z_dims is not None and prior is None:
    raise ValueError('This model decodes from z: give it a prior.')
  per_sample = sample_sources(source, n_samples, seed)
  blocks = [sources.as_blocks(s, trained.frame_rate, BLOCK_FRAMES)
            for s in per_sample]
  planned = [sample_paths(save_dir, i, with_midi=hasattr(s, 'write_midi'))
             for i, s in enumerate(per_sample)]
  try:
    os.makedirs(save_dir, exist_ok=True)
    with publish.lock(save_dir, RUN_LOCK_NAME, what=f'--save_dir={save_dir}'):
      existing = [p for paths in planned for p in paths.values()
                  if os.path.exists(p)]
      if existing and not overwrite:
        raise SamplesExistError(
            f'{len(existing)} sample files already exist in {save_dir} (e.g. '
            f'{existing[0]}): pass --overwrite or choose another --save_dir.')
      check_output_space(save_dir, n_samples,
                         max(b.n_frames for b in blocks), trained,
                         sum(os.path.getsize(p) for p in existing))
      _clean_leftovers(save_dir)
      ranges, origin = training_controls(trained, prior)
      if trained.descriptors and descriptor_curves is None:
        descriptor_curves = descriptor_curves_lib.curves_for(
            trained.descriptors, (), training_descriptor_medians(ranges),
            training_descriptor_follow(ranges))
      outside = [scan_controls(b, trained, s, ranges, origin)
                 for b, s in _unique(zip(blocks, per_sample))]
      written = []
      total_secs = sum(b.n_frames for b in blocks) / trained.frame_rate
      # Seconds of audio, shown to 0.1 s (float sums print 19.7599...).
      with tqdm(total=round(total_secs, 2), unit='s audio',
                desc='sampling', disable=not progress,
                bar_format='{l_bar}{bar}| {n:.1f}/{total:.1f} '
                '[{elapsed}<{remaining}, {rate_fmt}]') as bar:
        for i in range(n_samples):
          facts = dict(source=per_sample[i], ranges=ranges,
                       outside=outside[min(i, len(outside) - 1)],
                       prior_path=prior_path, mode=mode,
                       chunk_frames=chunk_frames, paths=planned[i],
                       descriptor_curves=descriptor_curves or {})
          written.append(_write_sample(trained, prior, blocks[i], i,
                                       seed + i, save_dir, bar, facts))
  except OSError as e:  # Creating --save_dir or its lock.
    if isinstance(e, errors.UserError):
      raise
    raise _write_error(e, e.filename or save_dir, save_dir) from e
  return written


def _unique(pairs):
  """(blocks, source) pairs without repeats of one source (checked once)."""
  out = []
  for blocks, source in pairs:
    if not out or source is not out[-1][1]:
      out.append((blocks, source))
  return out


def z_blocks(trained, prior, blocks, sample_seed, mode):
  """Yields (start, f0_hz, loudness_db, z or None, last) per block.

  z comes from the prior's stream, given the block's controls and, for a
  prior that looks ahead (the network prior), the next block's first ones.
  """
  options = {}
  if mode == 'morph' and 'morph_frames' not in getattr(prior, 'selection',
                                                       {}):
    options['morph_frames'] = blocks.n_frames  # A timbre morph: the sample.
  stream = None if trained.z_dims is None else prior.stream(
      seed=sample_seed, mode=mode, **options)
  ahead = 0 if stream is None or not prior.CONDITIONS else (
      stream.lookahead_frames)
  iterator = iter(blocks)
  current = next(iterator, None)
  while current is not None:
    following = next(iterator, None)
    start, f0_hz, loudness_db = current
    z = None
    if stream is not None:
      lookahead = None
      if ahead and following is not None:
        lookahead = prior_conditions(prior, following[1][:ahead],
                                     following[2][:ahead], batch=False)
      z = stream.next(len(f0_hz), lookahead=lookahead,
                      **prior_conditions(prior, f0_hz, loudness_db,
                                         batch=False))
    yield start, f0_hz, loudness_db, z, following is None
    current = following


def _write_sample(trained, prior, blocks, index, sample_seed, save_dir, bar,
                  facts):
  """Stages and publishes sample `index`; returns its paths."""
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  name = sample_name(index)
  paths = facts['paths']
  mode = facts['mode']
  plot_samples = int(PLOT_SECS * trained.sample_rate)
  plot_frames = int(math.ceil(plot_samples / trained.hop_size))
  current = paths['wav']
  try:
    with publish.output_set(save_dir, name, manifest=name + '.json',
                            what=paths['json']) as staging:
      decoder = streaming.clip_decoder(trained, sample_seed,
                                       facts['chunk_frames'])
      head, head_f0, peak, n_written = [], [], 0.0, 0
      wav = os.path.join(staging, os.path.basename(paths['wav']))
      with audio_io.wav_writer(wav, trained.sample_rate) as write:
        for block, (start, f0_hz, loudness_db, z, last) in enumerate(
            z_blocks(trained, prior, blocks, sample_seed, mode)):
          if z is not None and not np.all(np.isfinite(z)):
            raise NonFiniteOutputError(
                f'{name}: the {prior.TYPE} prior gave z that is not finite '
                f'at {start / trained.frame_rate:.2f} s (block {block}): the '
                'prior file is broken; refit it with '
                'ddsp_generative_fit_prior. Nothing was written for this '
                'sample.')
          if start < plot_frames:
            head_f0.append(f0_hz[:plot_frames - start])
          values = descriptor_curves_lib.block_values(
              facts['descriptor_curves'], start, len(f0_hz), blocks.n_frames,
              trained.frame_rate, f0_hz, loudness_db)
          for chunk in decoder.feed(f0_hz, loudness_db, z, last=last,
                                    descriptors=values):
            if not np.all(np.isfinite(chunk)):
              bad = n_written + int(np.argmax(~np.isfinite(chunk)))
              raise NonFiniteOutputError(
                  f'{name}: the decoder\'s audio is not finite from '
                  f'{bad / trained.sample_rate:.2f} s (block {block}): the '
                  'prior\'s z or the controls drive the model outside what '
                  'it can synthesize; check the prior (refit it with '
                  'ddsp_generative_fit_prior) and the controls. Nothing was '
                  'written for this sample.')
            write(chunk)
            peak = max(peak, float(np.max(np.abs(chunk))))
            if n_written < plot_samples:
              head.append(chunk[:plot_samples - n_written])
            n_written += len(chunk)
            bar.update(round(len(chunk) / trained.sample_rate, 2))
      shown = np.concatenate(head)
      shown_frames = int(round(len(shown) / trained.hop_size))
      current = paths['png']
      plotting.save_spectrogram(
          os.path.join(staging, os.path.basename(paths['png'])), shown,
          trained.sample_rate, np.concatenate(head_f0)[:shown_frames],
          trained.frame_rate,
          title=f'{os.path.basename(paths["wav"])}  seed={sample_seed}  '
                f'mode={mode}  step={trained.step}' +
                (f'  (first {PLOT_SECS:g} s)' if n_written > len(shown)
                 else ''))
      if 'mid' in paths:
        current = paths['mid']
        facts['source'].write_midi(
            os.path.join(staging, os.path.basename(paths['mid'])))
      current = paths['json']
      artifacts.write_json(
          os.path.join(staging, os.path.basename(paths['json'])), 'sample',
          SAMPLE_FORMAT_VERSION, {
              'audio': os.path.basename(paths['wav']),
              'spectrogram': os.path.basename(paths['png']),
              'midi': (os.path.basename(paths['mid']) if 'mid' in paths
                       else None),
              'seed': sample_seed,
              'sample_rate': trained.sample_rate,
              'duration_secs': n_written / trained.sample_rate,
              'peak': peak,
              'model': trained.info(),
              'prior': describe_prior(prior, facts['prior_path']),
              'prior_mode': mode,
              # A multi-instrument model's timbre: instruments and weights.
              'timbre': (prior.describe(sample_seed)
                         if hasattr(prior, 'describe') else None),
              'prior_conditioned_on': (None if prior is None else
                                       list(prior.CONDITIONS) or None),
              'controls': describe_controls(facts['source']),
              # A model decoding from timbre descriptors: their curves.
              'descriptors': ({k: c.describe() for k, c in
                               facts['descriptor_curves'].items()} or None),
              'training_controls': facts['ranges'],
              'outside_training_controls': facts['outside'],
              'gin_config': gin.config_str(),
          })
  except (OSError, soundfile.SoundFileError) as e:
    if isinstance(e, errors.UserError):
      raise
    raise _write_error(e, current, save_dir) from e
  return paths
