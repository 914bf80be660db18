# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Resynthesis and timbre transfer of any recording (ddsp's timbre transfer).

`transfer` takes an audio file and a model: the recording's f0 and loudness
(measured as `ddsp_generative_prepare_tfrecord` measures the training data:
on 16 kHz audio, `core.f0.estimate_f0` and `core.features.loudness_db`, frame
i centred on sample i * hop), shifted, and z either from the model's own
encoder on the recording (`z_source='encoder'`: resynthesis) or from a prior
given the shifted controls (`'prior'`: transfer into the model's instrument),
decoded to a 16-bit WAV, with a PNG of the input and output spectrograms
and a JSON sidecar, published together (`core.publish`).

Adjustments, as ddsp's timbre_transfer notebook does (`auto_adjust`):

* notes: ddsp's `postprocessing.detect_notes` (loudness and smoothed f0
  confidence against the clip's mean level, `note_threshold`);
* loudness: shifted so that the median loudness of the audible notes
  (audible frames when no note is found) lands on the training data's median
  (`sampler.training_controls`). ddsp maps the notes' loudness distribution
  onto the training data's with a quantile transform; a shift keeps the
  recording's dynamics and needs only the recorded percentiles;
* octave: the whole octaves that bring the notes' median pitch nearest the
  training median (ddsp: their mean, with an odd rounding). An explicit
  `octave_shift` replaces this choice (the user's register wins), while
  `loudness_shift_db` adds to the automatic level, as in ddsp;
* quiet: frames that are not notes are attenuated by up to `quiet_db`
  (`quiet_db * (1 - note_on_ratio)`, ddsp's 'quiet', default 20 dB).

f0 of audible frames must stay in (MIN_F0_HZ, Nyquist) once shifted; other
frames are clipped into it.

Memory is bounded by blocks, not by the recording: it is read in blocks of
ANALYSIS_BLOCK_SECS (seeking, with CONTEXT_SECS of context so that each
block's resampling and features equal the whole file's), only the frame-rate
controls (a few floats per frame: 10 minutes are 150,000 frames) are kept,
and the output is decoded block by block with the sampler's streaming
decoder and written as it comes. MP3 and formats only audioread decodes
cannot be read by seeking and are decoded whole once (as prepare does).

Encoder z: the encoder sees windows of the model's training example length
(`example_frames`, what its instance normalisation and GRU were trained on,
and what `ddsp_generative_extract_z` encodes), at a hop of half a window;
overlapping windows are cross-faded with triangular weights, so z has no
seams and is computed window by window for any length.
"""

import dataclasses
import math
import os

from absl import logging
import gin
import numpy as np
from tqdm import tqdm

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.controls import descriptor_curves as descriptor_curves_lib
from ddsp_generative.core import control_ranges
from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.core import errors
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import features
from ddsp_generative.core import plotting
from ddsp_generative.core import publish
from ddsp_generative.core import units
from ddsp_generative.core import weights
from ddsp_generative.sampling import sampler

TRANSFER_KIND = 'transfer'
TRANSFER_FORMAT_VERSION = 1
SUFFIX = '_transfer'
Z_SOURCES = ('prior', 'encoder')
ANALYSIS_BLOCK_SECS = 20.0
SCAN_BLOCK_SECS = 10.0
# Audio read on each side of a block: half a pitch frame (1024 samples at
# 16 kHz) and the resampler's filter fit in it (as prepare_tfrecord).
CONTEXT_SECS = 0.064
ENCODE_BATCH = 8
MIN_F0_HZ = 20.0
# ddsp's notebook defaults: 'quiet' (dB) and the note detector's threshold.
QUIET_DB = 20.0
NOTE_THRESHOLD = 1.0
# Loudness given to frames quieter than this (silence, ddsp's padding).
FLOOR_DB = features.LOUDNESS_PAD_DB


class TransferInputError(errors.UserError, ValueError):
  """A recording, model, prior or shift that cannot be transferred."""

  exit_code = 2


class SilentInputError(TransferInputError):
  """The recording has no audible frame."""


class TransferExistsError(errors.UserError, FileExistsError):
  """The output files exist and overwrite was not asked for."""


def output_name(input_path):
  """'<input stem>_transfer': the outputs' base name (and lock name)."""
  return os.path.splitext(os.path.basename(input_path))[0] + SUFFIX


def output_paths(save_dir, input_path):
  """{'wav', 'png', 'json'}: `<save_dir>/<output_name>.<ext>`."""
  stem = os.path.join(save_dir, output_name(input_path))
  return {ext: f'{stem}.{ext}' for ext in ('wav', 'png', 'json')}


def check_not_written(paths, overwrite):
  """Raises TransferExistsError when an output exists, unless overwrite."""
  existing = [p for p in paths.values() if os.path.lexists(p)]
  if existing and not overwrite:
    raise TransferExistsError(
        f'{existing[0]} exists: pass --overwrite or choose another '
        '--save_dir.')


def check_input(input_path):
  """Raises TransferInputError unless the file is there and its header sane.

  Args:
    input_path: --input_audio.

  Returns:
    `audio_io.audio_info` of the file.
  """
  try:
    return audio_io.audio_info(input_path)
  except audio_io.BadAudioError as e:
    raise TransferInputError(f'--input_audio={input_path}: {e}: pass a '
                             'readable audio file.') from e


def choose_z(trained, z_source=None, prior_path=None):
  """Where z comes from, and the prior when it is one.

  Default: the prior when a prior file exists (`prior_path`, else
  `<model_dir>/prior.json`), else the model's encoder.

  Args:
    trained: `model_io.TrainedModel`.
    z_source: 'prior', 'encoder' or None for the default.
    prior_path: Prior file; None for `<model_dir>/prior.json`.

  Returns:
    (z_source or None for a model without z, prior or None, prior path or
    None).

  Raises:
    TransferInputError: --z=encoder on a model without encoder, no prior
      file for --z=prior, or a prior that does not fit the model.
  """
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  if trained.z_dims is None:
    if z_source == 'encoder':
      raise TransferInputError(
          f'--z=encoder: the model in {trained.model_dir} has no z encoder '
          '(it decodes f0 and loudness alone): drop --z, or use a model with '
          'an encoder (e.g. gin/harmonic_noise_z.gin).')
    if z_source or prior_path:
      logging.warning('The model has no z: --z and --prior are ignored.')
    return None, None, None
  path = prior_path or os.path.join(trained.model_dir,
                                    sampler.DEFAULT_PRIOR_NAME)
  z_source = z_source or ('prior' if os.path.isfile(path) else 'encoder')
  if z_source == 'encoder':
    if prior_path:
      logging.warning('--z=encoder: --prior=%s is not used.', prior_path)
    return 'encoder', None, None
  if not os.path.isfile(path):
    raise TransferInputError(
        f'--z=prior: no prior at {path}: fit one with '
        'ddsp_generative_extract_z and ddsp_generative_fit_prior, pass '
        '--prior, or resynthesise with --z=encoder.')
  prior = priors.load_prior(path)
  try:
    priors.check_compatible(prior, trained.z_dims, trained.fingerprint,
                            frame_rate=trained.frame_rate,
                            sample_rate=trained.sample_rate)
  except priors.PriorMismatchError as e:
    raise TransferInputError(f'--prior={path} does not fit the model in '
                             f'{trained.model_dir}: {e}') from e
  return 'prior', prior, path


def default_f0_estimator(trained):
  """The estimator of the model's TFRecords (their metadata), else 'pyin'."""
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  pattern = sampler.training_file_pattern(trained)
  if pattern:
    try:
      return tfrecords.default_f0_estimator(pattern)
    except (OSError, ValueError, errors.UserError):
      pass  # The TFRecords are not here (a shared model directory).
  return 'pyin'


class _Source:
  """A recording's mono audio at its own rate, read by sample range."""

  def __init__(self, path):
    info = check_input(path)
    self.path, self._audio = path, None
    if audio_io.streams(info):
      self.rate = info['original_sample_rate']
      n, peak = 0, 0.0
      for block in audio_io.read_mono_blocks(path, SCAN_BLOCK_SECS * self.rate):
        audio_io.check_duration(n + len(block), self.rate)
        n, peak = n + len(block), max(peak, float(np.max(np.abs(block))))
    else:  # MP3, or what only audioread decodes: decoded whole, once.
      self._audio, info = audio_io.load_audio(path)
      self.rate = info['original_sample_rate']
      n = len(self._audio)
      peak = float(np.max(np.abs(self._audio))) if n else 0.0
    self.n_samples, self.peak = n, peak
    self.info = {'path': os.path.abspath(path), 'format': info['format'],
                 'subtype': info['subtype'], 'channels': info['channels'],
                 'sample_rate': self.rate, 'duration_secs': n / self.rate,
                 'peak': peak}

  def read(self, start, stop):
    """Samples [start, stop), zero-padded past the end."""
    if self._audio is None:
      return audio_io.read_mono(self.path, start, stop)
    part = self._audio[start:min(stop, self.n_samples)]
    return np.pad(part, (0, stop - start - len(part)))

  def frames(self, first, last, rates, frame_rate):
    """Audio of frames [lo, last + context) at each rate, and lo.

    lo <= first leaves CONTEXT_SECS of context and starts on a whole sample
    of the file, so that each block's resampling equals the whole file's.
    """
    grid = frame_rate // math.gcd(self.rate, frame_rate)
    context = -(-math.ceil(CONTEXT_SECS * frame_rate) // grid) * grid
    lo = max(0, first - context) // grid * grid
    hi = last + context
    raw = self.read(lo * self.rate // frame_rate,
                    -(-hi * self.rate // frame_rate))
    out = {}
    for rate in rates:
      length = (hi - lo) * (rate // frame_rate)
      audio = audio_io.resample(raw, self.rate, rate)[:length]
      out[rate] = np.pad(audio, (0, length - len(audio)))
    return out, lo


@dataclasses.dataclass
class Analysis:
  """A recording's controls on the model's frame grid.

  Attributes:
    source: The `_Source` it was read from.
    f0_hz: [n_frames] f0.
    confidence: [n_frames] f0 confidence.
    loudness_db: [n_frames] loudness (ddsp's scale).
    n_samples: Samples of the recording at the model's rate.
    head: [<= PLOT_SECS * sample_rate] its first audio at the model's rate.
    descriptors: {key: [n_frames]} the timbre descriptors the model decodes
      from (`core.descriptors`, measured as prepare_tfrecord does), {} for a
      model that reads none.
  """
  source: _Source
  f0_hz: np.ndarray
  confidence: np.ndarray
  loudness_db: np.ndarray
  n_samples: int
  head: np.ndarray
  descriptors: dict = dataclasses.field(default_factory=dict)


def analyse(input_path, trained, f0_estimator='pyin', progress=True):
  """Reads a recording block by block into f0, confidence and loudness.

  Args:
    input_path: Any audio file `core.audio_io` reads.
    trained: `model_io.TrainedModel` (rates).
    f0_estimator: One of `core.f0.ESTIMATORS`.
    progress: Show a progress bar.

  Returns:
    An `Analysis`.

  Raises:
    TransferInputError: The file cannot be read, or is silent.
  """
  try:
    source = _Source(input_path)
  except audio_io.BadAudioError as e:  # Found decoding, past the header.
    raise TransferInputError(f'--input_audio={input_path}: {e}: pass a '
                             'readable audio file.') from e
  warning = audio_io.peak_warning(source.peak)
  if warning:
    logging.warning('%s: %s.', input_path, warning)
  if not source.n_samples or audio_io.is_silent(np.array([source.peak])):
    raise SilentInputError(
        f'--input_audio={input_path} is silent (peak '
        f'{audio_io.peak_db(np.array([source.peak])):.1f} dBFS): pass a '
        'recording with sound in it.')
  rate, frame_rate, hop = trained.sample_rate, trained.frame_rate, (
      trained.hop_size)
  feature_rate = features.CREPE_SAMPLE_RATE
  if feature_rate % frame_rate:
    raise TransferInputError(
        f'The model runs at {frame_rate} frames/s, which does not divide the '
        f'{feature_rate} Hz its features are computed at: use a model '
        'trained on ddsp_generative_prepare_tfrecord data.')
  feature_hop = feature_rate // frame_rate
  n_samples = -(-source.n_samples * rate // source.rate)
  n_frames = max(1, -(-n_samples // hop))
  plot_samples = int(sampler.PLOT_SECS * rate)
  f0_hz, confidence, loudness_db = (np.zeros(n_frames, np.float32)
                                    for _ in range(3))
  measured = {k: np.zeros(n_frames, np.float32) for k in trained.descriptors}
  head = []
  block = int(ANALYSIS_BLOCK_SECS * frame_rate)
  with tqdm(total=round(n_frames / frame_rate, 2), unit='s audio',
            desc='analysing', disable=not progress) as bar:
    for first in range(0, n_frames, block):
      last = min(n_frames, first + block)
      plotted = first * hop < plot_samples
      audio, lo = source.frames(first, last, (feature_rate,) + (
          (rate,) if plotted else ()), frame_rate)
      clip = audio[feature_rate]
      n_ctx = len(clip) // feature_hop + 1
      f0, conf = f0_lib.estimate_f0(clip, feature_rate, frame_rate, n_ctx,
                                    f0_estimator)
      loud = features.loudness_db(clip, feature_rate, frame_rate, n_ctx)
      keep = slice(first - lo, last - lo)
      f0_hz[first:last], confidence[first:last] = f0[keep], conf[keep]
      loudness_db[first:last] = loud[keep]
      if measured:
        values = descriptors_lib.compute(clip, np.nan_to_num(f0), frame_rate,
                                         n_ctx)
        for key, out in measured.items():
          out[first:last] = values[key][keep]
      if plotted:
        head.append(audio[rate][(first - lo) * hop:(last - lo) * hop])
      bar.update(round((last - first) / frame_rate, 2))
  voiced = np.isfinite(f0_hz) & (f0_hz > 0)
  if not voiced.all():
    f0_hz = (f0_lib.fill_unvoiced(f0_hz, voiced) if voiced.any() else
             np.full_like(f0_hz, MIN_F0_HZ))
  loudness_db = np.where(np.isfinite(loudness_db), loudness_db, FLOOR_DB)
  if not control_ranges.audible(f0_hz, loudness_db).any():
    raise SilentInputError(
        f'--input_audio={input_path} has no audible frame (loudness above '
        f'{control_ranges.AUDIBLE_DB:g} dB on ddsp\'s scale; its loudest is '
        f'{float(np.max(loudness_db)):.1f} dB): pass a recording with sound '
        'in it, or amplify it.')
  head = np.concatenate(head)[:min(plot_samples, n_samples)]
  return Analysis(source, f0_hz, confidence, loudness_db, n_samples, head,
                  measured)


def descriptor_curves(measured, f0_hz, loudness_db, ranges, auto_adjust,
                      frame_rate, requests=()):
  """The descriptor curves a transfer decodes from, and what was done.

  Each descriptor the model reads follows the recording's own curve; with
  `auto_adjust` shifted (in semitones for the centroid, dB for flatness and
  the odd/even ratio, linearly for periodicity) so that its median over the
  audible frames lands on the training data's median, as the loudness is.
  A --descriptor request (`controls.descriptor_curves.parse`) replaces the
  curve.

  Args:
    measured: {key: [n_frames]} the recording's descriptors
      (`Analysis.descriptors`): those the model reads.
    f0_hz: [n_frames] the shifted f0.
    loudness_db: [n_frames] the adjusted loudness.
    ranges: `training_controls` (with 'descriptors'), or None.
    auto_adjust: Shift the recording's curves to the training medians.
    frame_rate: Frames per second (of the requests' ramps).
    requests: --descriptor values.

  Returns:
    ({key: float32 [n_frames]}, {key: description}).
  """
  medians = sampler.training_descriptor_medians(ranges)
  follow = sampler.training_descriptor_follow(ranges)
  # Checked as the sampler checks them (names the model reads, once each).
  descriptor_curves_lib.curves_for(tuple(measured), requests, medians,
                                   follow)
  requested = {c.key: c for c in (
      descriptor_curves_lib.parse(r, medians, follow) for r in requests)}
  audible = control_ranges.audible(f0_hz, loudness_db)
  n = len(f0_hz)
  curves, info = {}, {}
  for key, values in measured.items():
    if key in requested:
      curves[key] = requested[key].values(0, n, n, frame_rate, f0_hz,
                                          loudness_db)
      info[key] = dict(requested[key].describe(), source='request')
      continue
    shift = 0.0
    scaled = descriptors_lib.to_scale(key, values)
    if auto_adjust and key in medians and audible.any():
      shift = float(descriptors_lib.to_scale(key, [medians[key]])[0] -
                    np.median(scaled[audible]))
    curves[key] = descriptors_lib.from_scale(key, scaled + shift).astype(
        np.float32)
    info[key] = {'kind': 'recording', 'shift': round(shift, 3),
                 'shift_units': {descriptors_lib.CENTROID: 'semitones',
                                 descriptors_lib.FLATNESS: 'dB',
                                 descriptors_lib.ODD_EVEN: 'dB'}.get(key, ''),
                 'training_median': medians.get(key)}
  return curves, info


def encode_z(trained, analysis, progress=True):
  """The encoder's z of a recording, window by window (see module doc).

  Args:
    trained: `model_io.TrainedModel` with an encoder.
    analysis: From `analyse`.
    progress: Show a progress bar.

  Returns:
    float32 [n_frames, z_dims].
  """
  n_frames = len(analysis.f0_hz)
  length, hop = trained.example_frames, trained.hop_size
  step = max(1, length // 2)
  starts = list(range(0, max(1, n_frames - length + 1), step))
  if starts[-1] + length < n_frames:
    starts.append(n_frames - length)
  t = np.arange(length)
  weights = np.minimum(t + 1, length - t).astype(np.float32)
  total = np.zeros([n_frames, trained.z_dims], np.float32)
  norm = np.zeros(n_frames, np.float32)

  def window(x, start, pad):
    part = x[start:start + length]
    return np.pad(part, (0, length - len(part)), constant_values=pad)

  with tqdm(total=len(starts), unit='window', desc='encoding',
            disable=not progress) as bar:
    for i in range(0, len(starts), ENCODE_BATCH):
      batch = starts[i:i + ENCODE_BATCH]
      audio = []
      for start in batch:
        clip, lo = analysis.source.frames(start, start + length,
                                          (trained.sample_rate,),
                                          trained.frame_rate)
        first = (start - lo) * hop
        audio.append(clip[trained.sample_rate][first:first + length * hop])
      z = trained.encode(
          np.stack(audio),
          np.stack([window(analysis.f0_hz, s, analysis.f0_hz[-1])
                    for s in batch]),
          np.stack([window(analysis.loudness_db, s, FLOOR_DB)
                    for s in batch]))['z']
      for start, z_window in zip(batch, z):
        n = min(length, n_frames - start)
        total[start:start + n] += weights[:n, None] * z_window[:n]
        norm[start:start + n] += weights[:n]
      bar.update(len(batch))
  return total / norm[:, None]


def adjust_controls(f0_hz, confidence, loudness_db, ranges, nyquist,
                    octave_shift=None, loudness_shift_db=0.0,
                    auto_adjust=True, quiet_db=QUIET_DB,
                    note_threshold=NOTE_THRESHOLD):
  """The recording's controls, shifted for the model (see module doc).

  Args:
    f0_hz: [n_frames] f0 of the recording.
    confidence: [n_frames] its confidence in [0, 1].
    loudness_db: [n_frames] its loudness.
    ranges: The model's `training_controls`, or None when unknown (no
      automatic octave or level then).
    nyquist: Half the model's sample rate (Hz).
    octave_shift: Whole octaves; None lets auto_adjust choose (else 0).
    loudness_shift_db: dB added after the automatic level.
    auto_adjust: Choose octave and level from the training data, and
      attenuate frames that are not notes by up to quiet_db.
    quiet_db: See auto_adjust (ddsp's 'quiet').
    note_threshold: ddsp's `detect_notes` threshold.

  Returns:
    (f0_hz [n_frames], loudness_db [n_frames], facts): float32 controls for
    the decoder and a JSON-able dict of what was measured and applied.

  Raises:
    TransferInputError: The shifted f0 of audible frames leaves
      (MIN_F0_HZ, nyquist), or the loudness exceeds what the decoder takes.
  """
  from ddsp.training import postprocessing  # pylint: disable=g-import-not-at-top
  f0_hz = np.asarray(f0_hz, np.float64)
  loudness_db = np.asarray(loudness_db, np.float64)
  audible = control_ranges.audible(f0_hz, loudness_db)
  on, ratio = postprocessing.detect_notes(
      loudness_db.astype(np.float32), np.asarray(confidence, np.float32),
      note_threshold)
  reference, basis = on & audible, 'notes'
  if not reference.any():
    reference, basis = audible, 'audible frames'
  midi = float(np.median(units.hz_to_midi(f0_hz[reference])))
  level = float(np.median(loudness_db[reference]))
  auto_octave = auto_db = None
  if auto_adjust and ranges:
    target_midi = float(units.hz_to_midi(ranges['f0_hz']['p50']))
    auto_octave = int(np.round((target_midi - midi) / 12.0))
    auto_db = float(ranges['loudness_db']['p50']) - level
  elif auto_adjust:
    logging.warning('The training data\'s pitch and loudness are unknown: '
                    'octave and level are not adjusted (set --octave_shift '
                    'and --loudness_shift).')
  octave = octave_shift if octave_shift is not None else (auto_octave or 0)
  shift_db = (auto_db or 0.0) + float(loudness_shift_db)
  out_f0 = f0_hz * 2.0 ** octave
  bad = audible & ((out_f0 <= MIN_F0_HZ) | (out_f0 >= nyquist))
  if bad.any():
    lo, hi = f0_hz[audible].min(), f0_hz[audible].max()
    fits = (math.floor(math.log2(MIN_F0_HZ / lo)) + 1,
            math.ceil(math.log2(nyquist / hi)) - 1)
    how = ('--octave_shift' if octave_shift is not None else
           'the octave shift --auto_adjust chose')
    fix = (f'pass --octave_shift in [{fits[0]}, {fits[1]}]'
           if fits[0] <= fits[1] else 'no octave shift fits this model')
    raise TransferInputError(
        f'{how} ({octave:+d}) puts the f0 of {100 * bad.mean():.0f}% of the '
        f'audible frames outside ({MIN_F0_HZ:g} Hz, {nyquist:g} Hz) (the '
        f'recording plays {lo:.0f}-{hi:.0f} Hz): {fix}.')
  out_f0 = np.clip(out_f0, MIN_F0_HZ, nyquist * (1.0 - 1e-6))
  out_db = loudness_db + shift_db
  quiet = np.zeros_like(out_db)
  if auto_adjust and quiet_db:
    quiet = np.where(on, 0.0, quiet_db * (1.0 - np.clip(ratio, 0.0, 1.0)))
    out_db = out_db - quiet
  top = sampler.LOUDNESS_RANGE_DB[1]
  if out_db.max() > top:
    raise TransferInputError(
        f'The loudness shift ({shift_db:+.1f} dB in all) takes the loudness to '
        f'{out_db.max():.1f} dB, above the {top:g} dB the decoder takes: '
        'lower --loudness_shift.')
  out_db = np.maximum(out_db, FLOOR_DB)
  facts = {
      'auto_adjust': bool(auto_adjust),
      'reference_frames': basis, 'n_reference_frames': int(reference.sum()),
      'n_note_frames': int(on.sum()), 'n_audible_frames': int(audible.sum()),
      'input_median_midi': midi, 'input_median_loudness_db': level,
      'training_median_midi': (None if not ranges else float(
          units.hz_to_midi(ranges['f0_hz']['p50']))),
      'training_median_loudness_db': (None if not ranges else float(
          ranges['loudness_db']['p50'])),
      'octave_shift': {'requested': octave_shift, 'auto': auto_octave,
                       'applied': int(octave)},
      'loudness_shift_db': {'requested': float(loudness_shift_db),
                            'auto': auto_db, 'applied': shift_db},
      'quiet_db': float(quiet_db), 'note_threshold': float(note_threshold),
      'n_quieted_frames': int(np.sum(quiet > 0)),
      'output_median_loudness_db': float(np.median(out_db[reference])),
  }
  return out_f0.astype(np.float32), out_db.astype(np.float32), facts


def _decode_blocks(trained, prior, f0_hz, loudness_db, z, seed, mode):
  """(start, f0, loudness, z or None, last) per `sampler.BLOCK_FRAMES`."""
  n = len(f0_hz)
  bounds = [(s, min(n, s + sampler.BLOCK_FRAMES))
            for s in range(0, n, sampler.BLOCK_FRAMES)]
  if z is not None:  # The encoder's.
    for s, e in bounds:
      yield s, f0_hz[s:e], loudness_db[s:e], z[s:e], e == n
    return
  yield from sampler.z_blocks(
      trained, prior, ((s, f0_hz[s:e], loudness_db[s:e]) for s, e in bounds),
      seed, mode)


def _write_audio(path, trained, blocks, n_samples, seed, chunk_frames,
                 progress, curves=None):
  """Decodes blocks into a WAV; returns (head audio, peak, rms).

  `curves` ({key: [n_frames]}) are the descriptor curves of a model that
  decodes from descriptors.
  """
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  decoder = streaming.clip_decoder(trained, seed, chunk_frames)
  plot_samples = int(sampler.PLOT_SECS * trained.sample_rate)
  head, peak, power, written = [], 0.0, 0.0, 0
  with audio_io.wav_writer(path, trained.sample_rate) as write, tqdm(
      total=round(n_samples / trained.sample_rate, 2), unit='s audio',
      desc='transfer', disable=not progress) as bar:
    for start, f0_hz, loudness_db, z, last in blocks:
      if z is not None and not np.all(np.isfinite(z)):
        raise sampler.NonFiniteOutputError(
            f'The prior gave z that is not finite at '
            f'{start / trained.frame_rate:.2f} s: refit it with '
            'ddsp_generative_fit_prior; nothing was written.')
      values = ({k: v[start:start + len(f0_hz)] for k, v in curves.items()}
                if curves else None)
      for chunk in decoder.feed(f0_hz, loudness_db, z, last=last,
                                descriptors=values):
        chunk = chunk[:n_samples - written]
        if not np.all(np.isfinite(chunk)):
          raise sampler.NonFiniteOutputError(
              'The decoder\'s audio is not finite from '
              f'{written / trained.sample_rate:.2f} s: the controls or z drive '
              'the model outside what it can synthesize (try --auto_adjust, '
              'other shifts, or --z); nothing was written.')
        write(chunk)
        if written < plot_samples:
          head.append(chunk[:plot_samples - written])
        peak = max(peak, float(np.max(np.abs(chunk), initial=0.0)))
        power += float(np.sum(np.square(chunk, dtype=np.float64)))
        written += len(chunk)
        bar.update(round(len(chunk) / trained.sample_rate, 2))
  return np.concatenate(head), peak, math.sqrt(power / max(written, 1))


def _save_figure(path, panels, sample_rate, frame_rate, title):
  """PNG of log spectrograms, one row per (label, audio, f0) panel."""
  plt = plotting.plt
  fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.6 * len(panels)),
                           sharex=True, squeeze=False)
  for ax, (label, audio, f0_hz) in zip(axes[:, 0], panels):
    _, _, db = plotting.log_spectrogram(audio, sample_rate)
    top = float(db.max())
    ax.imshow(plotting.pool_columns(db, plotting.MAX_COLUMNS),
              origin='lower', aspect='auto', interpolation='nearest',
              extent=(0, len(audio) / sample_rate, 0, sample_rate / 2),
              vmin=top - 80, vmax=top, cmap='magma')
    ax.plot(np.arange(len(f0_hz)) / frame_rate, f0_hz, color='cyan', lw=0.8)
    ax.set_ylim(0, min(sample_rate / 2, 8000))
    ax.set_ylabel('Hz')
    ax.set_title(label, fontsize=8)
  axes[-1, 0].set_xlabel('time (s)')
  fig.suptitle(title, fontsize=9)
  fig.tight_layout()
  plotting.save_png(fig, path)


def transfer(trained, input_path, save_dir, z_source=None, prior=None,
             prior_path=None, octave_shift=None, loudness_shift_db=0.0,
             auto_adjust=True, quiet_db=QUIET_DB,
             note_threshold=NOTE_THRESHOLD, f0_estimator=None, seed=0,
             mode=None, chunk_frames=None, overwrite=False, progress=True,
             descriptors=()):
  """Resynthesises or transfers a recording; writes WAV, PNG and JSON.

  Args:
    trained: `model_io.TrainedModel`.
    input_path: Any audio file `core.audio_io` reads (resampled to the
      model's rate).
    save_dir: Output directory; the files are `output_paths`'.
    z_source: 'prior', 'encoder', or None for a model without z (see
      `choose_z`).
    prior: With 'prior': a prior that fits the model (`choose_z`).
    prior_path: Where it was loaded from, for the sidecar.
    octave_shift: Whole octaves (f0 * 2**k); None: auto_adjust chooses.
    loudness_shift_db: dB added to the (adjusted) loudness.
    auto_adjust: See `adjust_controls`.
    quiet_db: See `adjust_controls`.
    note_threshold: See `adjust_controls`.
    f0_estimator: One of `core.f0.ESTIMATORS`; None for the model's
      TFRecords' (`default_f0_estimator`).
    seed: Seeds the prior and the synthesizers' noise.
    mode: Prior sampling mode; None for the prior's default.
    chunk_frames: Frames decoded at a time; None for the default.
    overwrite: Replace existing output files.
    progress: Show progress bars.
    descriptors: --descriptor values replacing the recording's own curves,
      for a model that decodes from descriptors (`descriptor_curves`).

  Returns:
    {'wav', 'png', 'json'} paths written.

  Raises:
    TransferInputError: Unreadable or silent input, a z source the model
      cannot use, or shifts out of range (see `adjust_controls`).
    TransferExistsError: The outputs exist and overwrite is False.
    publish.OutputBusyError: Another run writes the same output.
  """
  if z_source not in (None,) + Z_SOURCES:
    raise ValueError(f'z_source must be one of {Z_SOURCES} or None, got '
                     f'{z_source!r}.')
  if (z_source is None) != (trained.z_dims is None) or (
      z_source == 'prior') != (prior is not None):
    raise ValueError(f'z_source={z_source!r} does not fit a model with '
                     f'z_dims={trained.z_dims} and prior={prior!r}: see '
                     'choose_z.')
  if prior is not None:
    mode = mode or prior.default_mode
  f0_estimator = f0_estimator or default_f0_estimator(trained)
  paths = output_paths(save_dir, input_path)
  name = output_name(input_path)
  with publish.lock(save_dir, name, what=paths['json']):
    check_not_written(paths, overwrite)
    analysis = analyse(input_path, trained, f0_estimator, progress)
    ranges, origin = sampler.training_controls(trained, prior)
    nyquist = trained.sample_rate / 2.0
    f0_hz, loudness_db, adjust = adjust_controls(
        analysis.f0_hz, analysis.confidence, analysis.loudness_db, ranges,
        nyquist, octave_shift, loudness_shift_db, auto_adjust, quiet_db,
        note_threshold)
    outside = control_ranges.outside(f0_hz, loudness_db, ranges) if (
        ranges) else []
    if outside:
      logging.warning('The shifted controls\' %s lie(s) outside what the '
                      'model was trained on (%s, from %s): set --octave_shift '
                      'or --loudness_shift, or keep --auto_adjust.',
                      '; '.join(outside), control_ranges.describe(ranges),
                      origin)
    curves, curve_info = descriptor_curves(
        analysis.descriptors, f0_hz, loudness_db, ranges, auto_adjust,
        trained.frame_rate, descriptors)
    z = encode_z(trained, analysis, progress) if z_source == 'encoder' else (
        None)
    input_info = dict(analysis.source.info,
                      sha256=weights.file_sha256(input_path))
    with publish.output_set(save_dir, name, manifest=name + '.json',
                            what=paths['json']) as staging:
      staged = {k: os.path.join(staging, os.path.basename(p))
                for k, p in paths.items()}
      head, peak, rms = _write_audio(
          staged['wav'], trained,
          _decode_blocks(trained, prior, f0_hz, loudness_db, z, seed, mode),
          analysis.n_samples, seed, chunk_frames, progress, curves)
      plot_frames = -(-len(head) // trained.hop_size)
      _save_figure(staged['png'], [
          (f'input: {os.path.basename(input_path)} ({f0_estimator} f0)',
           analysis.head, analysis.f0_hz[:plot_frames]),
          (f'output: octave {adjust["octave_shift"]["applied"]:+d}, loudness '
           f'{adjust["loudness_shift_db"]["applied"]:+.1f} dB, z from '
           f'{z_source or "none"}', head, f0_hz[:plot_frames])],
                   trained.sample_rate, trained.frame_rate,
                   f'{os.path.basename(paths["wav"])}  step={trained.step}' + (
                       f'  (first {sampler.PLOT_SECS:g} s)'
                       if analysis.n_samples > len(head) else ''))
      artifacts.write_json(staged['json'], TRANSFER_KIND,
                           TRANSFER_FORMAT_VERSION, {
          'audio': os.path.basename(paths['wav']),
          'spectrogram': os.path.basename(paths['png']),
          'input': input_info,
          'sample_rate': trained.sample_rate,
          'duration_secs': analysis.n_samples / trained.sample_rate,
          'peak': peak,
          'rms_db': 20.0 * math.log10(max(rms, 1e-10)),
          'seed': seed,
          'f0_estimator': f0_estimator,
          'model': trained.info(),
          'z_source': z_source,
          'encoder_window_frames': (trained.example_frames
                                    if z_source == 'encoder' else None),
          'prior': sampler.describe_prior(prior, prior_path),
          'prior_mode': mode,
          'adjustments': adjust,
          'descriptors': curve_info or None,
          'input_controls': control_ranges.from_controls(
              analysis.f0_hz, analysis.loudness_db),
          'output_controls': control_ranges.from_controls(f0_hz,
                                                          loudness_db),
          'training_controls': ranges,
          'training_controls_origin': origin,
          'outside_training_controls': outside,
          'gin_config': gin.config_str(),
      })
  return paths
