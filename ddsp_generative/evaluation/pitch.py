# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Score f0 estimators against ground-truth f0 (validating data preparation).

For each audio file with a ground-truth sidecar (`f0_truth`: `<name>.f0.json`
from `ddsp_generative_render_dataset`, or `<name>.f0.csv`), each estimator of
`ddsp_generative.core.f0` runs on the audio at 16 kHz
(`features.CREPE_SAMPLE_RATE`) on ddsp's frame grid, exactly as in
`ddsp_generative_prepare_tfrecord`; its f0 (interpolated in log frequency)
and confidence (linearly) are read at the truth's frame times and scored
with `mir_eval.melody`:

* pitch, on the truth's audible frames (a note is on and began at least
  `onset_skip_secs` ago): raw pitch accuracy (RPA: within 50 cents), raw
  chroma accuracy (RCA: within 50 cents, octave errors forgiven), median and
  mean absolute error in cents;
* voicing, on the frames where it is scored (not next to a note-on or in a
  release): precision and recall of `confidence >= voicing_threshold`
  against 'a note is on';
* speed: seconds of audio per second of estimation (one core).

Totals pool the frames of all files. Results go to a versioned JSON artefact
and, per file, a PNG of the estimates against the truth: the PNGs are one set
in their folder, published first, the JSON its own set, published last
(`report_files`); the run holds the JSON's lock throughout, so a second run
writing the same report is refused at once. An existing report, or a plot it
would write, is only replaced with `overwrite` (`check_not_written`).
"""

import os
import time

import mir_eval
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative import environment
from ddsp_generative.core import errors
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import f0_truth
from ddsp_generative.core import features
from ddsp_generative.core import publish
from ddsp_generative.evaluation import report_files

KIND = 'pitch_evaluation'
FORMAT_VERSION = 1
CENT_TOLERANCE = 50.0
COUNTS = ('n_audible', 'n_pitch_correct', 'n_chroma_correct', 'n_scored',
          'voicing_tp', 'voicing_fp', 'voicing_fn')
PLOT_SUFFIX = '.pitch.png'


class PitchEvalError(errors.UserError, ValueError):
  """An input of the pitch evaluation cannot be used (named in the message)."""


def describe(output_path):
  """How errors name the report whose JSON is `output_path`."""
  return f'The pitch report {output_path}'


def plot_path(plot_dir, audio_path):
  """The PNG of an audio file's estimates in plot_dir."""
  return os.path.join(plot_dir, os.path.splitext(
      os.path.basename(audio_path))[0] + PLOT_SUFFIX)


def output_paths(audio_paths, output_path, plot_dir=None):
  """Every file a report writes: its JSON, and a plot per audio file.

  Args:
    audio_paths: The audio files scored.
    output_path: The report's JSON.
    plot_dir: The plots' folder, or None for no plots.

  Returns:
    The paths, the JSON first.
  """
  paths = [os.fspath(output_path)]
  if plot_dir:
    paths += [plot_path(plot_dir, os.fspath(p)) for p in audio_paths]
  return paths


def check_not_written(audio_paths, output_path, plot_dir=None,
                      overwrite=False):
  """Refuses to replace an existing report or its plots without overwrite.

  Args:
    audio_paths: The audio files to score.
    output_path: The report's JSON.
    plot_dir: The plots' folder, or None for no plots.
    overwrite: Whether --overwrite was given.

  Raises:
    report_files.ReportExistsError: A file of the report exists and
      overwrite is False (one line naming it and the fix).
  """
  output_path = os.fspath(output_path)
  plots_only = plot_dir and not os.path.lexists(output_path)
  report_files.check_not_written(
      output_paths(audio_paths, output_path, plot_dir), output_path,
      overwrite, choose='--output or --plot_dir' if plots_only else '--output')


def _old_plots(output_path):
  """The plots the report now at output_path lists (it is being replaced)."""
  try:
    record = artifacts.read_json(output_path, KIND, [FORMAT_VERSION])
  except artifacts.ArtifactError:
    return []
  return [f['plot'] for f in record.get('files', ())
          if isinstance(f, dict) and isinstance(f.get('plot'), str)
          and f['plot'].endswith(PLOT_SUFFIX)]


def default_estimators():
  """pyin and yin, and crepe when it is installed."""
  return ['pyin', 'yin'] + (['crepe'] if environment.crepe_available() else [])


def estimate(audio, estimator, frame_rate=250,
             sample_rate=features.CREPE_SAMPLE_RATE):
  """Runs an estimator on centred frames; times it.

  Args:
    audio: Mono audio at `sample_rate`, [n_samples].
    estimator: One of `f0.ESTIMATORS`.
    frame_rate: Frames per second.
    sample_rate: Rate of `audio`.

  Returns:
    dict of 'times', 'f0_hz', 'confidence' ([n_frames], frame i at i /
    frame_rate) and 'secs' (wall time of the estimation).
  """
  hop = f0_lib.frame_hop(sample_rate, frame_rate)
  n_frames = f0_lib.num_frames(len(audio), hop, center=True)
  start = time.perf_counter()
  f0_hz, confidence = f0_lib.estimate_f0(audio, sample_rate, frame_rate,
                                         n_frames, estimator)
  secs = time.perf_counter() - start
  return {'times': np.arange(n_frames) / frame_rate, 'f0_hz': f0_hz,
          'confidence': confidence, 'secs': secs}


def _cents(f0_hz):
  f0_hz = np.nan_to_num(np.asarray(f0_hz, np.float64))
  return mir_eval.melody.hz2cents(np.where(f0_hz > 0, f0_hz, 0.0))


def at_times(est, times):
  """An estimate's f0 (log-linear) and confidence (linear) at `times`."""
  f0_hz = np.nan_to_num(np.asarray(est['f0_hz'], np.float64))
  valid = f0_hz > 0
  if not valid.any():
    return np.zeros(len(times)), np.zeros(len(times))
  log_f0 = np.interp(times, est['times'][valid], np.log2(f0_hz[valid]))
  confidence = np.interp(times, est['times'], est['confidence'])
  return 2.0 ** log_f0, confidence


def score(truth, est, voicing_threshold=0.5):
  """Scores one estimate against one ground truth.

  Args:
    truth: From `f0_truth.read_truth`.
    est: From `estimate`.
    voicing_threshold: Frames with confidence at least this are voiced.

  Returns:
    dict of 'rpa', 'rca', 'median_abs_cents', 'mean_abs_cents',
    'voicing_precision', 'voicing_recall', the COUNTS, and 'cents_error'
    (estimate - truth on the audible frames, [n_audible]).
  """
  est_f0, confidence = at_times(est, truth['times'])
  ref_cent, est_cent = _cents(truth['f0_hz']), _cents(est_f0)
  audible = truth['audible'] & (truth['f0_hz'] > 0)
  est_voiced = confidence >= voicing_threshold
  rpa = mir_eval.melody.raw_pitch_accuracy(
      audible.astype(float), ref_cent, est_voiced.astype(float), est_cent,
      CENT_TOLERANCE)
  rca = mir_eval.melody.raw_chroma_accuracy(
      audible.astype(float), ref_cent, est_voiced.astype(float), est_cent,
      CENT_TOLERANCE)
  error = np.where(est_cent[audible] > 0,
                   est_cent[audible] - ref_cent[audible], np.inf)
  chroma = np.abs(np.mod(error + 600.0, 1200.0) - 600.0)
  scored = truth['voicing_scored']
  ref_v, est_v = truth['voiced'][scored], est_voiced[scored]
  counts = {
      'n_audible': int(audible.sum()),
      'n_pitch_correct': int(np.sum(np.abs(error) < CENT_TOLERANCE)),
      'n_chroma_correct': int(np.sum(chroma < CENT_TOLERANCE)),
      'n_scored': int(scored.sum()),
      'voicing_tp': int(np.sum(ref_v & est_v)),
      'voicing_fp': int(np.sum(~ref_v & est_v)),
      'voicing_fn': int(np.sum(ref_v & ~est_v)),
  }
  return dict(_metrics(counts, np.abs(error)), rpa=float(rpa),
              rca=float(rca), cents_error=error, **counts)


def _ratio(a, b):
  return float(a / b) if b else float('nan')


def _metrics(counts, abs_error):
  """Pooled metrics from COUNTS and absolute cent errors."""
  finite = abs_error[np.isfinite(abs_error)]
  return {
      'rpa': _ratio(counts['n_pitch_correct'], counts['n_audible']),
      'rca': _ratio(counts['n_chroma_correct'], counts['n_audible']),
      'median_abs_cents': (float(np.median(abs_error)) if abs_error.size
                           else float('nan')),
      'mean_abs_cents_within_tolerance': (
          float(np.mean(finite[finite < CENT_TOLERANCE]))
          if np.any(finite < CENT_TOLERANCE) else float('nan')),
      'voicing_precision': _ratio(
          counts['voicing_tp'], counts['voicing_tp'] + counts['voicing_fp']),
      'voicing_recall': _ratio(
          counts['voicing_tp'], counts['voicing_tp'] + counts['voicing_fn']),
  }


def _json_safe(metrics):
  """NaN -> None, drops arrays."""
  return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
          for k, v in metrics.items() if not isinstance(v, np.ndarray)}


def _warm_up(estimators, frame_rate):
  """One short call each, so that JIT compilation is not timed."""
  noise = 0.1 * np.random.default_rng(0).standard_normal(
      features.CREPE_SAMPLE_RATE // 2)
  for estimator in estimators:
    estimate(noise.astype(np.float32), estimator, frame_rate)


def evaluate_pitch(audio_paths, output_path, estimators=None, frame_rate=250,
                   voicing_threshold=0.5, plot_dir=None, overwrite=False):
  """Scores estimators on audio files with ground-truth sidecars.

  Args:
    audio_paths: Audio files; each needs `f0_truth.find_sidecar(path)`.
    output_path: Versioned JSON artefact to write.
    estimators: Names from `f0.ESTIMATORS` (default `default_estimators()`).
    frame_rate: Estimator frame rate (the pipeline's default is 250).
    voicing_threshold: Confidence at and above which a frame is voiced.
    plot_dir: Folder for one PNG per file (None: no plots).
    overwrite: Replace an existing report and its plots; else refuse them
      before any estimation.

  Returns:
    The record written: 'files' (per file, per estimator metrics) and
    'totals' (per estimator, pooled over all files).

  Raises:
    ValueError: No audio paths, a file without a sidecar, unknown estimator.
    PitchEvalError: An audio file that cannot be read (a ValueError too).
    environment.CrepeNotInstalledError: 'crepe' without the crepe package.
    publish.OutputBusyError: Another run writes the same report.
    report_files.ReportExistsError: The report or one of its plots exists
      and overwrite is False.
  """
  estimators = list(estimators or default_estimators())
  for name in estimators:
    if name not in f0_lib.ESTIMATORS:
      raise ValueError(f'Unknown estimator {name!r}; choose from '
                       f'{", ".join(f0_lib.ESTIMATORS)}.')
    if name == 'crepe':
      environment.require_crepe()
  paths = sorted(dict.fromkeys(os.fspath(p) for p in audio_paths))
  if not paths:
    raise ValueError('No audio files to evaluate.')
  sidecars = {p: f0_truth.find_sidecar(p) for p in paths}
  missing = [p for p, s in sidecars.items() if s is None]
  if missing:
    raise ValueError(f'{len(missing)} file(s) have no ground-truth sidecar '
                     f'({" or ".join(f0_truth.SUFFIXES)}), e.g. {missing[0]}.')
  check_not_written(paths, output_path, plot_dir, overwrite)
  with report_files.lock(output_path, describe(output_path)):
    # Again under the lock: a run that just ended may have written it.
    check_not_written(paths, output_path, plot_dir, overwrite)
    return _evaluate_and_write(paths, sidecars, output_path, estimators,
                               frame_rate, voicing_threshold, plot_dir)


def _load(path):
  """An audio file at the pipeline's f0 rate; one not audio is named."""
  try:
    with errors.stage(f'reading the audio {path}'):
      audio, _ = audio_io.load_audio(path, features.CREPE_SAMPLE_RATE)
  except audio_io.BadAudioError as e:
    raise PitchEvalError(f'Cannot read the audio {path}: {e}.') from e
  return audio


def _read_truth(sidecar):
  """A ground-truth sidecar; one that cannot be parsed is named."""
  try:
    with errors.stage(f'reading the ground truth {sidecar}'):
      return f0_truth.read_truth(sidecar)
  except errors.UserError:
    raise  # Names the file already.
  except (ValueError, KeyError, TypeError, IndexError) as e:
    raise PitchEvalError(
        f'Cannot read the ground truth {sidecar}: {type(e).__name__}: {e} '
        '(expected ddsp_generative_render_dataset\'s .f0.json, or a CSV '
        'with columns time,f0_hz[,audible,voicing_scored]).') from e


def _evaluate_and_write(paths, sidecars, output_path, estimators, frame_rate,
                        voicing_threshold, plot_dir):
  """evaluate_pitch's work, under the report's lock."""
  _warm_up(estimators, frame_rate)

  files, pooled = [], {e: {'counts': dict.fromkeys(COUNTS, 0), 'errors': [],
                           'secs': 0.0} for e in estimators}
  plots = []  # (path, truth, estimates, title), drawn once all are scored.
  audio_secs = 0.0
  rate = features.CREPE_SAMPLE_RATE  # As the pipeline's f0, on 'audio_16k'.
  for path in paths:
    truth = _read_truth(sidecars[path])
    audio = _load(path)
    audio_secs += len(audio) / rate
    results, estimates = {}, {}
    for name in estimators:
      estimates[name] = estimate(audio, name, frame_rate)
      result = score(truth, estimates[name], voicing_threshold)
      result['realtime_factor'] = len(audio) / rate / max(
          estimates[name]['secs'], 1e-9)
      results[name] = _json_safe(result)
      pool = pooled[name]
      for key in COUNTS:
        pool['counts'][key] += result[key]
      pool['errors'].append(np.abs(result['cents_error']))
      pool['secs'] += estimates[name]['secs']
    record = {'audio': path, 'truth': sidecars[path],
              'duration_secs': len(audio) / rate,
              'estimators': results}
    if plot_dir:
      record['plot'] = plot_path(plot_dir, path)
      plots.append((record['plot'], truth, estimates, os.path.basename(path)))
    files.append(record)

  totals = {}
  for name, pool in pooled.items():
    abs_errors = (np.concatenate(pool['errors']) if pool['errors']
                  else np.zeros(0))
    totals[name] = _json_safe(dict(
        _metrics(pool['counts'], abs_errors), **pool['counts'],
        realtime_factor=audio_secs / max(pool['secs'], 1e-9),
        estimation_secs=pool['secs']))
  if plots:
    _write_plots(plot_dir, output_path, plots)
  name = os.path.basename(output_path)
  with report_files.report_set(output_path,
                               describe(output_path)) as staging:
    record = artifacts.write_json(
        os.path.join(staging, name), KIND, FORMAT_VERSION,
        payload={'estimators': estimators, 'frame_rate': frame_rate,
                 'sample_rate': rate,
                 'voicing_threshold': voicing_threshold,
                 'cent_tolerance': CENT_TOLERANCE, 'n_files': len(files),
                 'audio_secs': audio_secs, 'totals': totals, 'files': files})
  return record


def _write_plots(plot_dir, output_path, plots):
  """Publishes the plots as one set in plot_dir, replacing the old report's."""
  from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
  plot_dir = os.path.abspath(plot_dir)

  def replaced():
    return [p for p in _old_plots(output_path)
            if os.path.dirname(os.path.abspath(p)) == plot_dir]

  with errors.stage(f'writing the plots of {output_path} in {plot_dir}'):
    with publish.output_set(plot_dir, os.path.basename(output_path),
                            replaces=replaced,
                            what=f'The plots of {output_path}') as staging:
      for path, truth, estimates, title in plots:
        plotting.save_pitch_comparison(
            os.path.join(staging, os.path.basename(path)), truth, estimates,
            title=title)


def summary_table(record):
  """Markdown table of the totals of an `evaluate_pitch` record."""

  def pct(x):
    return '-' if x is None else f'{100 * x:.1f}%'

  lines = ['| estimator | RPA (50 c) | RCA | median abs cents | voicing '
           'precision | voicing recall | speed (x real time) |',
           '| --- | --- | --- | --- | --- | --- | --- |']
  for name, t in record['totals'].items():
    median = t['median_abs_cents']
    lines.append(
        f"| {name} | {pct(t['rpa'])} | {pct(t['rca'])} | "
        f"{'-' if median is None else f'{median:.1f}'} | "
        f"{pct(t['voicing_precision'])} | {pct(t['voicing_recall'])} | "
        f"{t['realtime_factor']:.1f} |")
  return '\n'.join(lines)
