# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""How well a trained model resynthesises held-out audio.

For every example of the eval TFRecords the model runs on the recorded
features (audio, f0, loudness; a VAE encoder gives its posterior mean) and the
resynthesis is compared with the recording:

* multi-scale spectral distance: ddsp's `SpectralLoss` with the DDSP paper's
  settings (L1 of linear and of log magnitudes, FFT sizes 2048 ... 64, 75%
  overlap), whatever loss the model was trained with, so that models compare;
* loudness L1 (dB): mean |L_target - L_resynth| over frames, both computed by
  ddsp's `compute_loudness` as ddsp_generative_prepare_tfrecord computes the
  'loudness_db' feature (n_fft 512, frames centred on i * hop);
* f0 consistency: f0 re-estimated on the resynthesis (`ddsp_generative.core.f0`)
  against the input f0, on frames that are voiced (input f0 confidence >=
  `voiced_threshold`) and audible (target loudness >= `audible_db`): the
  share within 50 cents and the median absolute deviation in cents. The same
  estimator run on the target audio gives the ceiling
  ('f0_consistency_of_target'): a perfect resynthesis scores about that.

And, absolute (`realism_sets.section`, protocol in `evaluation.realism`):
can a classifier tell the resynthesis' 1 s clips from real ones? The eval
examples' clips are split into halves A and B (`realism_sets` says how);
the floor is A against B, and the resynthesis of half A's clips (paired:
clip i is made from real clip i, so only half A's are used) is compared with
half B.

`evaluate()` returns the report; `write_report()` writes it as versioned JSON,
a PNG of target vs resynthesis spectrograms and, with the realism section,
the PNG of its long-term average spectra beside it, as one set
(`report_files.report_set`: staged, then published with the JSON last).
"""

import os

from absl import logging
import numpy as np
from tqdm import tqdm

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import features
from ddsp_generative.core import publish
from ddsp_generative.core import tfrecords
from ddsp_generative.core import units
from ddsp_generative.evaluation import metrics
from ddsp_generative.evaluation import realism as realism_lib
from ddsp_generative.evaluation import realism_sets
from ddsp_generative.evaluation import report_files
from ddsp_generative.evaluation import report_paths

REPORT_KIND = 'reconstruction_evaluation'
# 2: the 'realism' section and its LTAS figure.
REPORT_FORMAT_VERSION = 2
RESYNTHESIS = 'resynthesis'
SPECTRAL_FFT_SIZES = (2048, 1024, 512, 256, 128, 64)


def spectral_distance(target, audio, fft_sizes=SPECTRAL_FFT_SIZES):
  """Multi-scale spectral distance of each example (see module docstring).

  Args:
    target: [batch, n_samples] reference audio.
    audio: [batch, n_samples] resynthesis.
    fft_sizes: FFT sizes of the scales.

  Returns:
    [batch] float distances (0 for identical audio).
  """
  import ddsp  # pylint: disable=g-import-not-at-top
  loss = ddsp.losses.SpectralLoss(fft_sizes=tuple(fft_sizes), loss_type='L1',
                                  mag_weight=1.0, logmag_weight=1.0)
  return np.array([float(loss(target[i:i + 1], audio[i:i + 1]))
                   for i in range(len(target))])


def _summary(values):
  values = np.asarray(values, np.float64)
  return {'mean': float(np.mean(values)), 'median': float(np.median(values)),
          'std': float(np.std(values)), 'min': float(np.min(values)),
          'max': float(np.max(values))}


def evaluate(trained, eval_tfrecord_pattern, batch_size=8, max_examples=None,
             f0_estimator=None, voiced_threshold=0.5, audible_db=-60.0,
             seed=0, realism=True, c2st_folds=5, realism_split='random',
             progress=True):
  """Resynthesises the eval examples and measures the reconstruction.

  Args:
    trained: `model_io.TrainedModel`.
    eval_tfrecord_pattern: Eval TFRecords (ddsp schema) of the model's
      geometry.
    batch_size: Examples per model call.
    max_examples: Evaluate at most this many examples (None: all).
    f0_estimator: 'pyin', 'yin' or 'crepe'; None: the one that made the
      TFRecords' f0, else 'pyin'.
    voiced_threshold: Input f0 confidence at or above which a frame is voiced.
    audible_db: Target loudness (dB) at or above which a frame is audible.
    seed: Seed of the synthesizers' noise and of the realism tests.
    realism: Add the absolute 'realism' section.
    c2st_folds: Cross-validation folds of its tests.
    realism_split: How its real clips are halved, 'random' or 'ordered'
      (`realism.real_halves`).
    progress: Show a progress bar.

  Returns:
    (report, audio): the report dict (see `write_report`), and a dict of
    'target' and 'resynthesis' [n, n_samples] arrays.

  Raises:
    tfrecords.DatasetMismatchError: No eval TFRecords, or TFRecords
      whose sample rate, frame rate or example length differ from the model's.
    realism_sets.RealismSetsError: Too few clips for the realism tests.
  """
  n_frames = trained.example_frames
  n_samples = n_frames * trained.hop_size
  f0_estimator = f0_estimator or tfrecords.default_f0_estimator(
      eval_tfrecord_pattern)
  if f0_estimator not in f0_lib.ESTIMATORS:
    raise ValueError(f'Unknown f0 estimator {f0_estimator!r}; choose one of '
                     f'{", ".join(f0_lib.ESTIMATORS)}.')
  # Fails before any work when the data does not fit the model.
  data = trained.read_tfrecords(eval_tfrecord_pattern, max_examples)
  n_examples = len(data['audio'])
  real = None
  if realism:  # Refuses too few clips before any resynthesis.
    real = realism_sets.real_clips(
        data['audio'], trained.sample_rate, c2st_folds,
        more_examples='more eval examples (--max_examples)')
  logging.info('Evaluating %d examples of %s with %s.', n_examples,
               eval_tfrecord_pattern, trained.model_dir)

  resynthesis = []
  for start in tqdm(range(0, n_examples, batch_size), desc='resynthesis',
                    unit='batch', disable=not progress):
    stop = min(start + batch_size, n_examples)
    resynthesis.append(trained.reconstruct(
        data['audio'][start:stop], data['f0_hz'][start:stop],
        data['loudness_db'][start:stop], seed=seed + start,
        # A model decoding from descriptors gets the clip's own.
        descriptors={k: data[k][start:stop] for k in trained.descriptors}))
  resynthesis = np.concatenate(resynthesis)
  target = data['audio']

  distances = spectral_distance(target, resynthesis)
  sr, fr = trained.sample_rate, trained.frame_rate
  target_ld = features.loudness_db(target, sr, fr, n_frames)
  resynth_ld = features.loudness_db(resynthesis, sr, fr, n_frames)
  loudness_l1 = np.mean(np.abs(target_ld - resynth_ld), axis=1)

  mask = ((data['f0_confidence'] >= voiced_threshold) &
          (target_ld >= audible_db) & (data['f0_hz'] > 0))
  resynth_cents = np.full(mask.shape, np.nan)
  target_cents = np.full(mask.shape, np.nan)
  per_example = []
  for i in tqdm(range(n_examples), desc='f0', unit='example',
                disable=not progress):
    for audio, out in ((resynthesis[i], resynth_cents),
                       (target[i], target_cents)):
      estimate, _ = f0_lib.estimate_f0(audio, sr, fr, n_frames,
                                       estimator=f0_estimator)
      out[i] = np.where(mask[i], units.cents(estimate, data['f0_hz'][i]),
                        np.nan)
    accuracy, median, frames = metrics.f0_agreement(resynth_cents[i])
    per_example.append({
        'index': i,
        'spectral_distance': float(distances[i]),
        'loudness_l1_db': float(loudness_l1[i]),
        'f0_accuracy_50_cents': accuracy,
        'f0_median_abs_cents': median,
        'f0_frames': frames,
    })

  accuracy, median, frames = metrics.f0_agreement(resynth_cents)
  target_accuracy, target_median, _ = metrics.f0_agreement(target_cents)
  report = {
      'model': trained.info(),
      'eval_tfrecord_pattern': eval_tfrecord_pattern,
      'n_examples': n_examples,
      'example_secs': n_samples / sr,
      'settings': {
          'spectral_fft_sizes': list(SPECTRAL_FFT_SIZES),
          'loudness_n_fft': features.LOUDNESS_N_FFT,
          'f0_estimator': f0_estimator,
          'voiced_threshold': voiced_threshold,
          'audible_db': audible_db,
          'cents_tolerance': metrics.CENTS_TOLERANCE,
          'batch_size': batch_size,
          'seed': seed,
      },
      'metrics': {
          'spectral_distance': _summary(distances),
          'loudness_l1_db': _summary(loudness_l1),
          'f0_accuracy_50_cents': accuracy,
          'f0_median_abs_cents': median,
          'f0_frames_evaluated': frames,
          'f0_frames_total': int(mask.size),
      },
      'f0_consistency_of_target': {
          'f0_accuracy_50_cents': target_accuracy,
          'f0_median_abs_cents': target_median,
      },
      'per_example': per_example,
  }
  if realism:
    report['realism'] = realism_sets.section(
        *real, {RESYNTHESIS: resynthesis}, sr, paired=(RESYNTHESIS,),
        kinds={RESYNTHESIS: RESYNTHESIS}, seed=seed, folds=c2st_folds,
        split=realism_split, progress=progress, n_examples=n_examples)
  return report, {'target': target, 'resynthesis': resynthesis}


def figure_indices(report, n):
  """Examples to plot: the best, median and worst by spectral distance."""
  order = np.argsort([e['spectral_distance'] for e in report['per_example']])
  picks = [order[0], order[len(order) // 2], order[-1]]
  return list(dict.fromkeys(int(i) for i in picks))[:n] if n else []


def save_figure(path, report, audio, sample_rate, n_examples=3):
  """PNG of target vs resynthesis log spectrograms, one row per example.

  Args:
    path: PNG destination.
    report: Report from `evaluate`.
    audio: Dict of 'target' and 'resynthesis' arrays from `evaluate`.
    sample_rate: Audio sample rate.
    n_examples: Rows (best, median and worst example by spectral distance).
  """
  from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.plt
  rows = figure_indices(report, n_examples)
  fig, axes = plt.subplots(len(rows), 2, figsize=(10, 2.6 * len(rows)),
                           squeeze=False, sharey=True)
  for row, index in enumerate(rows):
    example = report['per_example'][index]
    for col, key in enumerate(('target', 'resynthesis')):
      clip = audio[key][index]
      _, _, db = plotting.log_spectrogram(clip, sample_rate)
      peak = db.max()
      ax = axes[row, col]
      ax.imshow(db, origin='lower', aspect='auto', cmap='magma',
                vmin=peak - 80, vmax=peak,
                extent=(0, len(clip) / sample_rate, 0, sample_rate / 2))
      ax.set_ylim(0, min(sample_rate / 2, 8000))
      title = f'example {index}: {key}'
      if key == 'resynthesis':
        title += (f"  (spectral {example['spectral_distance']:.2f}, "
                  f"loudness {example['loudness_l1_db']:.1f} dB)")
      ax.set_title(title, fontsize=8)
      if col == 0:
        ax.set_ylabel('Hz')
      if row == len(rows) - 1:
        ax.set_xlabel('s')
  model = report['model']
  fig.suptitle(f"{os.path.basename(os.path.normpath(model['model_dir']))} "
               f"step {model['step']}: target vs resynthesis", fontsize=9)
  fig.tight_layout()
  plotting.save_png(fig, path, dpi=80)


default_figure_path = report_paths.default_figure_path
ltas_figure_path = report_paths.ltas_figure_path
output_paths = report_paths.reconstruction_paths
describe = report_paths.describe_reconstruction
lock = report_paths.lock_reconstruction


def write_report(path, report, audio, sample_rate, figure_path=None,
                 n_figure_examples=3):
  """Writes the versioned JSON report and its figures.

  The JSON, the spectrogram figure and (with the realism section) the LTAS
  figure are one set, the JSON published last; figures in another folder
  than the JSON are published there first, as a set of their own.

  Args:
    path: JSON destination.
    report: Report from `evaluate`.
    audio: Audio dict from `evaluate`.
    sample_rate: Audio sample rate.
    figure_path: PNG destination; default the JSON path with '.png'. The
      LTAS figure goes beside it (`ltas_figure_path`).
    n_figure_examples: Examples in the spectrogram figure (0 for none).

  Returns:
    The record written; its 'figure' and 'ltas_figure' are the PNGs' paths
    relative to the JSON's folder.

  Raises:
    publish.OutputBusyError: Another run writes the report.
  """
  _, figure_path, ltas_path = output_paths(path, figure_path)
  directory = os.path.dirname(os.path.abspath(path))
  figure_dir = os.path.dirname(os.path.abspath(figure_path))
  together = figure_dir == directory
  figures = []  # (path, payload key, writer of the file at a path)
  if n_figure_examples:
    figures.append((figure_path, 'figure', lambda p: save_figure(
        p, report, audio, sample_rate, n_figure_examples)))
  if 'realism' in report:
    figures.append((ltas_path, 'ltas_figure', lambda p: (
        realism_lib.save_ltas_figure(p, report['realism']))))
  payload = dict(report)
  for figure, key, _ in figures:
    payload[key] = os.path.relpath(os.path.abspath(figure), directory)
  if n_figure_examples:
    payload['figure_examples'] = figure_indices(report, n_figure_examples)
  if figures and not together:
    name = os.path.basename(figure_path)
    with errors.stage(f'writing the figures {figure_path}'):
      with publish.output_set(
          figure_dir, name, what=f'The figure {figure_path}',
          replaces=[figure_path, ltas_path]) as staging:
        for figure, _, save in figures:
          save(os.path.join(staging, os.path.basename(figure)))
  with report_files.report_set(
      path, describe(path),
      replaces=[figure_path, ltas_path] if together else ()) as staging:
    if together:
      for figure, _, save in figures:
        save(os.path.join(staging, os.path.basename(figure)))
    record = artifacts.write_json(
        os.path.join(staging, os.path.basename(path)), REPORT_KIND,
        REPORT_FORMAT_VERSION, payload)
  return record
