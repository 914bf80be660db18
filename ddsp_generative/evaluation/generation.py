# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""How real audio generated from a prior's z sounds, per sampling mode.

The controls are the held-out real examples' own f0 and loudness, so every
set of clips below has the same pitches and dynamics as the real audio it is
compared with:

* 'real': the recordings (their Fréchet distance and precision/recall are of
  the first half of the examples, in file order, against the second half:
  the sampling noise of the metric at half the size; a noise floor, not a
  strict bound);
* 'resynthesis': the autoencoder on the recordings (`reconstruct`; its z
  from the encoder): the floor a prior can reach;
* one set per prior and sampling mode ('<prior type>:<mode>'), z from
  `prior.sample` (`sampler.synthesize`; a conditional prior is given the
  controls);
* 'random_z': z ~ N(0, r^2 I), independently per frame and dimension, with
  r the root mean square of z under the (first) prior, sqrt(mean_d E[z_d^2])
  from its frame distribution's mean and variance (for a prior fitted on a z
  dataset: that dataset's RMS): z of the right magnitude but none of its
  structure (mean, correlations, dynamics). The ceiling.

Clip i of every generated set uses seed `seed + i` (prior and synthesizer
noise); the resynthesis runs in batches of `RESYNTHESIS_BATCH` clips, each
batch's noise seeded by seed + its first clip's index. Metrics (`evaluation.metrics`, frames where the requested loudness is
>= `audible_db`): Fréchet distance to the real frames in the MFCC embedding
and `gap_closed = (FD_random - FD) / (FD_random - FD_resynthesis)` (1: as
close as resynthesis, 0: no better than random z); k-NN precision and recall;
f0 consistency (re-estimated pitch within 50 cents of the requested f0, on
voiced audible frames, and median |cents|); loudness L1 (dB, all frames);
timbre flux (mean cosine distance of consecutive mel spectra) and spectral
flatness, each also as a ratio to the real audio's.

Optionally a gin control source (e.g. a `Melody`) gives contours with no
matching real audio: those clips get the per-clip metrics only.

Those are relative measures (a set against resynthesis and random z). The
report's first section, 'realism' (`realism_sets.section`, protocol in
`evaluation.realism`), is absolute: every generated set's 1 s clips against
real held-out clips, unpaired, by classifier two-sample tests, a Fréchet
distance of clip features and what separates them, next to the floor of one
half of the real clips against the other (`realism_sets` says what the
halves are). Resynthesis, every mode and random z are paired with the real
clips (made from their controls): their clips from half A's controls are
compared with half B. With MIDI files of held-out tunes (`midi_set`) a set
'midi' is added: the tunes played whole, z from the first prior's default
mode, all its clips against half B; and, with the transcriber installed,
their note F1 beside that of the tunes' own recordings.

A model without z (e.g. gin/harmonic_noise.gin) is evaluated too: its sets
are the real audio and the model on the real controls ('resynthesis', kind
'no_z'); no priors, no random z, no gap closed, no best mode.
"""

import numpy as np
from tqdm import tqdm

from ddsp_generative.core import errors
from ddsp_generative.core import tfrecords
from ddsp_generative.evaluation import metrics as metrics
from ddsp_generative.evaluation import midi_set
from ddsp_generative.evaluation import realism_sets
from ddsp_generative.sampling import sampler

REPORT_KIND = 'generation_evaluation'
# 2: the 'realism' section (and 'midi'), models without z ('no_z').
REPORT_FORMAT_VERSION = 2
GAP_CLOSED_TARGET = 0.8
REAL, RESYNTHESIS, RANDOM_Z = 'real', 'resynthesis', 'random_z'
RESYNTHESIS_BATCH = 16
MIDI = midi_set.NAME
# The set a model without z makes from a control source.
NO_Z = 'no_z'


class GenerationEvalError(errors.UserError, ValueError):
  """The model, modes or eval data cannot be evaluated as asked."""


def set_names(priors, modes=None):
  """The generated sets: [(name, prior_index, mode)], one per prior and mode.

  Args:
    priors: List of fitted priors.
    modes: Modes to evaluate (each prior evaluates those it supports); None
      for all of each prior's `SAMPLE_MODES`.

  Returns:
    List of (name, prior_index, mode), name '<prior type>:<mode>' (with
    '#<index>' when two priors share a type).

  Raises:
    GenerationEvalError: A requested mode that no prior supports.
  """
  if modes:
    unknown = [m for m in modes
               if not any(m in p.SAMPLE_MODES for p in priors)]
    if unknown:
      supported = sorted({m for p in priors for m in p.SAMPLE_MODES})
      raise GenerationEvalError(f'No prior supports the modes {unknown}; '
                                f'they support {supported}.')
  types = [p.TYPE for p in priors]
  names = []
  for index, prior in enumerate(priors):
    label = prior.TYPE
    if types.count(label) > 1:
      label += f'#{index}'
    for mode in prior.SAMPLE_MODES:
      if not modes or mode in modes:
        names.append((f'{label}:{mode}', index, mode))
  return names


def random_z_scale(prior):
  """Root mean square of z under the prior's frame distribution: float."""
  distribution = prior.distribution
  mean = np.asarray(distribution.mean(), np.float64)
  variance = np.asarray(distribution.variance(), np.float64)
  return float(np.sqrt(np.mean(variance + mean ** 2)))


def random_z(n_frames, z_dims, scale, seed):
  """z ~ N(0, scale^2 I) per frame: float32 [1, n_frames, z_dims]."""
  rng = np.random.default_rng(seed)
  return (scale * rng.standard_normal([1, n_frames, z_dims])).astype(
      np.float32)


def decode_random_z(trained, f0_hz, loudness_db, scale, seed):
  """One clip from random z, decoded as `sampler.synthesize` decodes.

  Args:
    trained: `model_io.TrainedModel` with z.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness.
    scale: Standard deviation of z (`random_z_scale`).
    seed: Seed of z and of the synthesizers' noise.

  Returns:
    float32 [n_frames * hop_size] audio.
  """
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  z = random_z(len(f0_hz), trained.z_dims, scale, seed)[0]
  return streaming.decode_audio(trained, np.asarray(f0_hz, np.float32),
                                np.asarray(loudness_db, np.float32), z,
                                seed=seed)


def gap_closed(fd, fd_random, fd_resynthesis):
  """Share of the random-z-to-resynthesis FD gap a set closes (None if no gap).

  Args:
    fd: The set's Fréchet distance.
    fd_random: That of random z (ceiling).
    fd_resynthesis: That of the resynthesis (floor).

  Returns:
    float (1 at the floor, 0 at the ceiling, < 0 above it), or None when
    fd_random <= fd_resynthesis.
  """
  gap = fd_random - fd_resynthesis
  if not gap > 0:
    return None
  return float((fd_random - fd) / gap)


def _mean(values):
  values = np.concatenate([np.ravel(v) for v in values]) if values else []
  return float(np.mean(values)) if len(values) else None


def clip_features(clips, f0_hz, loudness_db, voiced, sample_rate, frame_rate,
                  f0_estimator, audible_db, progress=False, desc=''):
  """Per-clip embedding and the per-frame values of the per-clip metrics.

  Args:
    clips: [n, n_samples] audio.
    f0_hz: [n, n_frames] requested f0.
    loudness_db: [n, n_frames] requested loudness.
    voiced: bool [n, n_frames] frames whose f0 is scored, or None for all.
    sample_rate: Audio sample rate.
    frame_rate: Control frame rate.
    f0_estimator: `ddsp_generative.core.f0` estimator.
    audible_db: Requested loudness at or above which a frame counts.
    progress: Show a progress bar.
    desc: Its label.

  Returns:
    Dict of lists with one entry per clip: 'embedding' [n_audible, dims],
    'flux', 'flatness' and 'cents' (float arrays), and 'loudness_l1' [n]
    (dB, mean over frames).
  """
  out = {'embedding': [], 'flux': [], 'flatness': [], 'cents': []}
  for i in tqdm(range(len(clips)), desc=desc, unit='clip',
                disable=not progress):
    clip = clips[i]
    embedding = metrics.frame_embedding(clip, sample_rate)
    audible = metrics.audible_mask(loudness_db[i], frame_rate, len(embedding),
                                   audible_db)
    out['embedding'].append(embedding[audible])
    out['flux'].append(metrics.frame_flux(clip, sample_rate, audible))
    out['flatness'].append(metrics.frame_flatness(clip, sample_rate, audible))
    out['cents'].append(metrics.f0_consistency(
        clip, sample_rate, frame_rate, f0_hz[i], loudness_db[i], audible_db,
        None if voiced is None else voiced[i], f0_estimator))
  out['loudness_l1'] = np.mean(
      metrics.loudness_l1(clips, sample_rate, frame_rate, loudness_db), axis=1)
  return out


def clip_metrics(features, real=None):
  """Per-clip metrics of a set (means over its frames) as a dict."""
  accuracy, median, frames = metrics.f0_agreement(
      np.concatenate([np.ravel(c) for c in features['cents']]))
  result = {
      'f0_accuracy_50_cents': accuracy,
      'f0_median_abs_cents': median,
      'f0_frames': frames,
      'loudness_l1_db': float(np.mean(features['loudness_l1'])),
      'timbre_flux': _mean(features['flux']),
      'spectral_flatness': _mean(features['flatness']),
  }
  for key in ('timbre_flux', 'spectral_flatness'):
    ref = None if real is None else real[key]
    result[f'{key}_vs_real'] = (
        result[key] / ref if ref and result[key] is not None else None)
  return result


def _generate(trained, priors, names, data, seed, progress):
  """{set name: [n, n_samples]} for the references and every mode."""
  n = len(data['audio'])

  def clips(desc):
    return tqdm(range(n), desc=desc, unit='clip', disable=not progress)

  # In batches: the eager encoder and decoder cost about as much for 16
  # clips as for one. A batch's noise is seeded by seed + its first index.
  starts = range(0, n, RESYNTHESIS_BATCH)
  sets = {REAL: data['audio'], RESYNTHESIS: np.concatenate([
      trained.reconstruct(*(data[k][i:i + RESYNTHESIS_BATCH]
                            for k in ('audio', 'f0_hz', 'loudness_db')),
                          seed=seed + i)
      for i in tqdm(starts, desc=RESYNTHESIS, unit='batch',
                    disable=not progress)])}
  for name, index, mode in names:
    sets[name] = np.stack([sampler.synthesize(
        trained, priors[index], data['f0_hz'][i], data['loudness_db'][i],
        seed=seed + i, mode=mode) for i in clips(name)])
  if trained.z_dims is None:
    return sets, None
  scale = random_z_scale(priors[0])
  sets[RANDOM_Z] = np.stack([
      decode_random_z(trained, data['f0_hz'][i], data['loudness_db'][i],
                      scale, seed + i) for i in clips(RANDOM_Z)])
  return sets, scale


def pick_examples(n_available, n_examples):
  """Indices of n_examples evenly spread over n_available (file order)."""
  if not n_examples or n_examples >= n_available:
    return np.arange(n_available)
  return np.unique(np.round(np.linspace(0, n_available - 1,
                                        n_examples)).astype(int))


def evaluate(trained, priors, eval_tfrecord_pattern, modes=None,
             n_examples=64, seed=0, f0_estimator=None, voiced_threshold=0.5,
             audible_db=-60.0, k=3, max_points=4000, control_sources=(),
             n_control_samples=2, prior_paths=None, realism=True,
             c2st_folds=5, realism_split='random', midi_paths=(),
             progress=True):
  """Generates from the real examples' controls and scores every set.

  Args:
    trained: `model_io.TrainedModel`, with or without a z encoder.
    priors: List of priors matching the model (checked by the caller); empty
      for a model without z.
    eval_tfrecord_pattern: Held-out TFRecords of the model's geometry.
    modes: Sampling modes (None: all each prior supports).
    n_examples: Examples evenly spread over the eval set (None: all); at
      least 4 (the real set is split in two halves).
    seed: Seed of clip i is seed + i; also of the k-NN subsampling and of
      the realism tests.
    f0_estimator: 'pyin', 'yin' or 'crepe'; None: the TFRecords' own.
    voiced_threshold: Real f0 confidence at or above which f0 is scored.
    audible_db: Requested loudness (dB) at or above which a frame counts.
    k: Neighbour rank of the precision/recall manifolds.
    max_points: Frames per set (subsampled) for precision/recall.
    control_sources: Optional list of (name, source) gin control sources.
    n_control_samples: Clips per set and control source.
    prior_paths: Where the priors were loaded from, for the report.
    realism: Add the absolute 'realism' section (`realism_sets.section`).
    c2st_folds: Cross-validation folds of its tests.
    realism_split: How its real clips are halved, 'random' or 'ordered'
      (`realism.real_halves`).
    midi_paths: MIDI files of held-out tunes: the 'midi' set and its note
      scores (`midi_set.evaluate`; the report's 'midi').
    progress: Show progress bars.

  Returns:
    (report, sets): the report dict and {set name: [n, n_samples]} audio.

  Raises:
    tfrecords.DatasetMismatchError: Missing or mismatched TFRecords.
    GenerationEvalError: A model with z but no prior, unknown modes or too
      few examples.
    realism_sets.RealismSetsError: Too few clips for the realism tests.
    controls.midi.MidiFileError: A MIDI file that gives no melody.
  """
  has_z = trained.z_dims is not None
  if has_z and not priors:
    raise GenerationEvalError(f'The model in {trained.model_dir} decodes '
                              'from z: give it a prior.')
  names = set_names(priors, modes) if has_z else []
  n_frames = trained.example_frames
  n_samples = n_frames * trained.hop_size
  f0_estimator = f0_estimator or tfrecords.default_f0_estimator(
      eval_tfrecord_pattern)
  data = trained.read_tfrecords(eval_tfrecord_pattern)
  indices = pick_examples(len(data['audio']), n_examples)
  if len(indices) < 4:
    raise GenerationEvalError(
        f'Need at least 4 eval examples; {eval_tfrecord_pattern} has '
        f'{len(data["audio"])}.')
  data = {key: value[indices] for key, value in data.items()}
  sr = trained.sample_rate
  # Bad MIDI files and too few real clips are refused before any generation.
  midi_sources = [midi_set.midi_source(path) for path in midi_paths]
  real = None
  if realism:
    real = realism_sets.real_clips(
        data['audio'], sr, c2st_folds,
        more_examples='more eval examples (--n_examples=0: all)')
  sets, scale = _generate(trained, priors, names, data, seed, progress)
  rows, real_clip = _relative_rows(sets, data, trained, voiced_threshold,
                                   f0_estimator, audible_db, k, max_points,
                                   seed, progress)
  mode_names = [name for name, _, _ in names]
  kinds = {name: ('real' if name == REAL else 'mode' if name in mode_names
                  else 'reference' if has_z else NO_Z) for name in sets}
  half = len(indices) // 2
  report = {
      'model': trained.info(),
      'priors': [dict(sampler.describe_prior(p, path),
                      modes=[m for _, i, m in names if i == index])
                 for index, (p, path) in enumerate(zip(
                     priors, prior_paths or [None] * len(priors)))],
      'eval_tfrecord_pattern': eval_tfrecord_pattern,
      'n_examples': len(indices),
      'example_indices': indices.tolist(),
      'example_secs': n_samples / sr,
      'seed': seed,
      'settings': {
          'embedding': metrics.EMBEDDING,
          'standardization': 'each dimension / its std over the real frames',
          'frechet_eps': 1e-6,
          'knn_k': k,
          'knn_max_points': max_points,
          'f0_estimator': f0_estimator,
          'voiced_threshold': voiced_threshold,
          'audible_db': audible_db,
          'cents_tolerance': metrics.CENTS_TOLERANCE,
          'real_vs_real': f'examples [0, {half}) vs [{half}, {len(indices)})',
          'random_z': None if scale is None else {
              'distribution': 'N(0, scale^2 I), i.i.d. frames',
              'scale': scale,
              'scale_from': 'RMS of z under the first prior'},
          'clip_seed': 'seed + clip index (prior z and synthesizer noise); '
                       f'resynthesis in batches of {RESYNTHESIS_BATCH}, '
                       'seeded by seed + the first index',
      },
      'sets': {name: {'kind': kinds[name], 'metrics': row}
               for name, row in rows.items()},
      'best_mode': _best_mode(rows, mode_names),
  }
  extra = {}
  if midi_sources:
    extra[MIDI], report['midi'] = midi_set.evaluate(
        trained, priors[0] if has_z else None, midi_sources, seed, progress)
    kinds[MIDI] = MIDI
  if realism:
    generated = {name: audio for name, audio in sets.items() if name != REAL}
    report['realism'] = realism_sets.section(
        *real, dict(generated, **extra), sr, paired=tuple(generated),
        kinds={name: kinds[name] for name in list(generated) + list(extra)},
        seed=seed, folds=c2st_folds, split=realism_split, progress=progress,
        n_examples=len(indices),
        more_clips={MIDI: 'more or longer MIDI files (--midi_pattern)'})
  if control_sources:
    report['control_sources'] = _evaluate_sources(
        trained, priors, names, control_sources, n_control_samples, seed,
        scale, f0_estimator, audible_db, real_clip)
  return report, sets


def _relative_rows(sets, data, trained, voiced_threshold, f0_estimator,
                   audible_db, k, max_points, seed, progress):
  """The relative metrics of every set: ({name: row}, the real clip row)."""
  sr, fr = trained.sample_rate, trained.frame_rate
  voiced = data['f0_confidence'] >= voiced_threshold
  features = {name: clip_features(
      audio, data['f0_hz'], data['loudness_db'], voiced, sr, fr,
      f0_estimator, audible_db, progress, name) for name, audio in sets.items()}
  half = len(data['audio']) // 2
  real_frames = features[REAL]['embedding']
  n_audible = min(len(np.concatenate(real_frames[:half])),
                  len(np.concatenate(real_frames[half:])))
  if n_audible <= max(k, 1):
    raise GenerationEvalError(
        f'Only {n_audible} audible embedding frames in a half of the real '
        f'examples (requested loudness >= {audible_db} dB): use more '
        'examples or a lower audible_db.')
  embedded = metrics.standardize(
      {name: np.concatenate(f['embedding']) for name, f in features.items()},
      np.concatenate(real_frames))
  halves = metrics.standardize(
      {'a': np.concatenate(real_frames[:half]),
       'b': np.concatenate(real_frames[half:])}, np.concatenate(real_frames))

  rows = {}
  for name in sets:
    if name == REAL:
      fd = metrics.frechet_distance(halves['a'], halves['b'])
      precision, recall = metrics.precision_recall(
          halves['b'], halves['a'], k, max_points, seed)
    else:
      fd = metrics.frechet_distance(embedded[name], embedded[REAL])
      precision, recall = metrics.precision_recall(
          embedded[REAL], embedded[name], k, max_points, seed)
    rows[name] = {'frechet_distance': fd, 'precision': precision,
                  'recall': recall, 'n_frames_embedded': len(embedded[name]),
                  'peak': float(np.max(np.abs(sets[name])))}
  real_clip = clip_metrics(features[REAL])
  for name in sets:
    rows[name].update(clip_metrics(features[name], real_clip))
  fd_random = rows.get(RANDOM_Z, {}).get('frechet_distance')
  fd_resynth = rows[RESYNTHESIS]['frechet_distance']
  for name in sets:
    rows[name]['gap_closed'] = (
        None if name == REAL or fd_random is None else
        gap_closed(rows[name]['frechet_distance'], fd_random, fd_resynth))
  return rows, real_clip


def _best_mode(rows, mode_names):
  """The mode closing most of the gap (else of lowest FD); None: no modes."""
  if not mode_names:
    return None
  scored = {n: rows[n]['gap_closed'] for n in mode_names
            if rows[n]['gap_closed'] is not None}
  best = max(scored, key=scored.get) if scored else min(
      mode_names, key=lambda n: rows[n]['frechet_distance'])
  return {'name': best, 'gap_closed': rows[best]['gap_closed'],
          'target': GAP_CLOSED_TARGET,
          'meets_target': bool((rows[best]['gap_closed'] or 0) >=
                               GAP_CLOSED_TARGET)}


def _evaluate_sources(trained, priors, names, sources, n_clips, seed, scale,
                      f0_estimator, audible_db, real_clip):
  """Per-clip metrics of clips generated from gin control sources."""
  results = {}
  for source_name, source in sources:
    f0_hz, loudness_db = source.generate(trained.frame_rate)
    f0_b = np.repeat(f0_hz[None], n_clips, 0)  # Per-clip metrics' controls.
    loud_b = np.repeat(loudness_db[None], n_clips, 0)
    sets = {name: np.stack([sampler.synthesize(
        trained, priors[index], f0_hz, loudness_db, seed=seed + i, mode=mode)
                            for i in range(n_clips)])
            for name, index, mode in names}
    if scale is None:  # A model without z: the model on the controls.
      sets[NO_Z] = np.stack([sampler.synthesize(
          trained, None, f0_hz, loudness_db, seed=seed + i)
                             for i in range(n_clips)])
    else:
      sets[RANDOM_Z] = np.stack([
          decode_random_z(trained, f0_hz, loudness_db, scale, seed + i)
          for i in range(n_clips)])
    results[source_name] = {
        'controls': sampler.describe_controls(source),
        'n_clips': n_clips,
        'secs': len(f0_hz) / trained.frame_rate,
        'sets': {name: clip_metrics(clip_features(
            audio, f0_b, loud_b, None, trained.sample_rate,
            trained.frame_rate, f0_estimator, audible_db), real_clip)
                 for name, audio in sets.items()}}
  return results
