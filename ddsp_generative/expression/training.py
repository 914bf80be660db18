# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Training an ExpressionVae on a note dataset.

`ddsp_generative_train_expression` is its command line. The data are the
phrases of the note dataset `ddsp_generative_prepare_tfrecord` wrote beside
the TFRecords (`note_dataset`): each phrase's controls, taken every
`ExpressionVae.hop` frames, are cut into windows of `window_secs` (every
`window_hop_secs`, the last ending at the phrase's end; a phrase shorter
than one window is padded to one with its last context held and silence);
each frame gets its context (`context.features`) and
targets (`context.frame_targets`). Gin configures the model
(`ExpressionVae.units = 128`, ...) and the optimisation
(`train_expression_vae.learning_rate`, `.window_secs`).

A run saving to a directory holds that directory's lock from reading the
data to saving; a non-finite loss stops training with a one-line
`ExpressionTrainingError` and nothing saved.
"""

import os
import time

from absl import logging
import gin
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from ddsp_generative.core import errors
from ddsp_generative.core import publish
from ddsp_generative.expression import context
from ddsp_generative.expression import note_dataset
from ddsp_generative.expression import saving
from ddsp_generative.expression import transitions
from ddsp_generative.expression import vibrato as vibrato_lib
from ddsp_generative.expression.model import ExpressionVae

LOSS_NAMES = ('total', 'f0', 'loudness', 'kl', 'vibrato', 'dip')
VIBRATO_MODES = ('measured', 'f0')


class ExpressionTrainingError(errors.UserError, ValueError):
  """Training cannot go on as asked (no data, a non-finite loss, ...)."""


def phrase_arrays(phrase, frame_rate, hop):
  """A phrase at the model's rate: context, note ids, targets, f0 mask.

  Args:
    phrase: From `note_dataset.read`.
    frame_rate: The controls' frame rate.
    hop: Control frames per model frame.

  Returns:
    dict of 'context' [t, N_CONTEXT], 'note_ids' int [t], 'targets' [t, 2],
    'mask' [t], 'vibrato' [t, vibrato.N_TARGETS], 'dips'
    [t, transitions.N_TARGETS] (t = ceil(n_frames / hop)).
  """
  index = np.arange(0, phrase['n_frames'], hop)
  times = index / frame_rate
  ctx, ids = context.features(phrase['notes'], times)
  conf = phrase['f0_confidence']
  targets, mask = context.frame_targets(
      phrase['notes'], times, phrase['f0_hz'][index],
      phrase['loudness_db'][index], None if conf is None else conf[index])
  measured = vibrato_lib.targets(targets[:, 0], mask, phrase['notes'],
                                 times, frame_rate / hop)
  dips = transitions.targets(phrase['loudness_db'], frame_rate,
                             phrase['notes'], times)
  return {'context': ctx, 'note_ids': ids, 'targets': targets, 'mask': mask,
          'vibrato': measured, 'dips': dips}


def make_windows(phrases, frame_rate, hop, window_secs, window_hop_secs,
                 max_notes):
  """Training windows of every phrase (module docstring).

  Returns:
    dict of stacked 'context' [n, w, N_CONTEXT], 'note_ids' int32 [n, w]
    (from 0 within each window, at most max_notes - 1), 'targets'
    [n, w, 2], 'mask' [n, w], 'vibrato' [n, w, vibrato.N_TARGETS], 'dips'
    [n, w, transitions.N_TARGETS] (the transitions whole in the window,
    `transitions.window`), and 'stats' (phrases, windows, notes, the
    frames with a measured vibrato, the transitions with a measured dip).
  """
  model_rate = frame_rate / hop
  width = max(1, int(round(window_secs * model_rate)))
  step = max(1, int(round(window_hop_secs * model_rate)))
  out = {k: [] for k in ('context', 'note_ids', 'targets', 'mask',
                         'vibrato', 'dips')}
  n_short = 0
  for phrase in phrases:
    arrays = phrase_arrays(phrase, frame_rate, hop)
    n = len(arrays['note_ids'])
    if n < width:
      n_short += 1
      pad = width - n
      arrays = {k: np.concatenate([v, np.repeat(v[-1:], pad, axis=0)])
                for k, v in arrays.items()}
      arrays['targets'][n:, 1] = context.scale_loudness(
          context.LOUDNESS_FLOOR_DB)
      arrays['mask'][n:] = 0.0
      arrays['vibrato'][n:, 3] = 0.0
      arrays['dips'][n:] = 0.0
      n = width
    starts = list(range(0, n - width + 1, step))
    if starts[-1] != n - width:
      starts.append(n - width)
    for s in starts:
      ids = arrays['note_ids'][s:s + width]
      out['note_ids'].append(np.minimum(ids - ids[0], max_notes - 1))
      for k in ('context', 'targets', 'mask', 'vibrato'):
        out[k].append(arrays[k][s:s + width])
      out['dips'].append(transitions.window(arrays['dips'], s, width,
                                            max_notes))
  if not out['mask']:
    raise ExpressionTrainingError('The note dataset has no phrase to train '
                                  'on.')
  windows = {k: np.stack(v).astype(np.int32 if k == 'note_ids' else
                                   np.float32) for k, v in out.items()}
  windows['stats'] = {
      'phrases': len(phrases), 'windows': len(out['mask']),
      'short_phrases_padded': n_short, 'window_frames': width,
      'notes': int(sum(len(p['notes']) for p in phrases)),
      'vibrato_frame_fraction': round(float(np.mean(
          windows['vibrato'][..., 3])), 4),
      'measured_dips': int(sum(len(set(d[:, 1][d[:, 1] > 0].tolist()))
                               for d in windows['dips'])),
      'median_dip_db': _median_dip_db(windows['dips'])}
  return windows


def _median_dip_db(dips):
  """Median measured dip (dB) over the windows' transitions, or None."""
  around = dips[..., 1] > 0
  if not around.any():
    return None
  return round(float(np.median(dips[..., 2][around])) *
               context.LOUDNESS_SCALE_DB, 2)


def level_stats(phrases):
  """Percentiles of the training notes' levels (dB) and pitches."""
  notes = np.concatenate([p['notes'] for p in phrases]) if phrases else (
      np.zeros((0, 5)))
  if not len(notes):
    raise ExpressionTrainingError('The note dataset holds no note: segment '
                                  'audio with notes in it.')
  q = (5, 10, 25, 50, 75, 90, 95)
  return {'level_db_percentiles': dict(zip(map(str, q), np.percentile(
              notes[:, context.LEVEL], q).round(2).tolist())),
          'pitch_range': [float(notes[:, context.PITCH].min()),
                          float(notes[:, context.PITCH].max())],
          'n_notes': int(len(notes))}


def _tensors(windows, with_vibrato=False):
  keys = ('context', 'targets', 'mask', 'note_ids') + (
      ('vibrato', 'dips') if with_vibrato else ())
  return tuple(tf.constant(windows[k]) for k in keys)


def evaluate(model, windows, batch_size=64):
  """Posterior-mean reconstruction: f0 RMSE (cents), loudness MAE (dB)."""
  sq_f0, n_f0, abs_loud, n_loud = 0.0, 0.0, 0.0, 0
  for i in range(0, len(windows['mask']), batch_size):
    part = {k: v[i:i + batch_size] for k, v in windows.items()
            if k != 'stats'}
    outputs, _, _ = model(_tensors(part))
    outputs = outputs.numpy()
    mask = part['mask']
    sq_f0 += float(np.sum(mask * (outputs[..., 0] - part['targets'][..., 0])
                          ** 2))
    n_f0 += float(mask.sum())
    abs_loud += float(np.sum(np.abs(outputs[..., 1] -
                                    part['targets'][..., 1])))
    n_loud += mask.size
  return {'f0_rmse_cents': 100 * float(np.sqrt(sq_f0 / max(n_f0, 1))),
          'loudness_mae_db': context.LOUDNESS_SCALE_DB * abs_loud / max(
              n_loud, 1)}


@gin.configurable(module='ddsp_generative.expression')
def train_expression_vae(note_dataset_path, save_dir=None, steps=2000,
                         batch_size=16, seed=0, learning_rate=1e-3,
                         window_secs=4.0, window_hop_secs=1.0, log_every=100,
                         progress=True, overwrite=False, vibrato='measured'):
  """Trains an ExpressionVae (gin-configured) and optionally saves it.

  Args:
    note_dataset_path: A note dataset (notes_<prefix>.json).
    save_dir: Where to save the model (`saving.save_model`); None: do not.
    steps: Optimisation steps.
    batch_size: Windows per step.
    seed: Seed of the weights, the shuffling and the latent noise.
    learning_rate: Adam's learning rate.
    window_secs: Window length.
    window_hop_secs: Hop between windows of a phrase.
    log_every: Log the losses every this many steps.
    progress: Show a progress bar.
    overwrite: Replace a model saved in save_dir.
    vibrato: 'measured': held notes' vibrato depth and rate fitted to the
      measured ones, their f0 term on the smooth curve (`vibrato`,
      `ExpressionVae.losses_of`), and the legato transitions' loudness dips
      fitted to the measured ones (`transitions`; weight
      `ExpressionVae.dip_weight`, 0 to leave them out); 'f0': the squared
      errors of the f0 and loudness alone (the first versions).

  Returns:
    (model, summary): the trained model and a dict of the data stats, the
    settings, the initial and final losses (means over the first and last
    min(10, steps) steps) and the evaluation on the train and eval phrases.

  Raises:
    note_dataset.NoteDatasetError: The note dataset is missing or bad.
    ExpressionTrainingError: No phrase or note, a frame-rate mismatch, a
      non-finite loss, bad settings or save_dir is a file.
    FileExistsError: A model is saved in save_dir and overwrite is False.
    publish.OutputBusyError: Another run trains into save_dir.
  """
  if int(steps) < 1 or int(batch_size) < 1 or not window_secs > 0 or not (
      window_hop_secs > 0):
    raise ExpressionTrainingError(
        f'steps ({steps}), batch_size ({batch_size}), window_secs '
        f'({window_secs}) and window_hop_secs ({window_hop_secs}) must be '
        'positive.')
  if vibrato not in VIBRATO_MODES:
    raise ExpressionTrainingError(
        f'vibrato must be one of {VIBRATO_MODES}, not {vibrato!r}.')
  if save_dir:
    if os.path.lexists(save_dir) and not os.path.isdir(save_dir):
      raise ExpressionTrainingError(
          f'{save_dir} is not a directory: choose another --save_dir.')
    _check_not_saved(save_dir, overwrite)
  data = note_dataset.read(note_dataset_path)
  tf.keras.utils.set_random_seed(int(seed))
  model = gin.get_configurable(ExpressionVae)()
  if int(round(data['frame_rate'])) != int(model.frame_rate):
    raise ExpressionTrainingError(
        f"{note_dataset_path} has {data['frame_rate']} frames per second "
        f'but the expression model is set to {model.frame_rate}: set '
        f"--gin_param='ExpressionVae.frame_rate = {data['frame_rate']}'.")
  train = [p for p in data['phrases'] if p['split'] in ('train', 'all')]
  held_out = [p for p in data['phrases'] if p['split'] == 'eval']
  with errors.stage(f'making the windows of {note_dataset_path}'):
    windows = make_windows(train, data['frame_rate'], model.hop,
                           window_secs, window_hop_secs, model.max_notes)
    eval_windows = (make_windows(held_out, data['frame_rate'], model.hop,
                                 window_secs, window_hop_secs,
                                 model.max_notes) if held_out else None)
  settings = dict(note_dataset=os.path.abspath(note_dataset_path),
                  steps=int(steps), batch_size=int(batch_size),
                  seed=int(seed), learning_rate=float(learning_rate),
                  window_secs=float(window_secs),
                  window_hop_secs=float(window_hop_secs), vibrato=vibrato,
                  notes=level_stats(train), segmenter=data['segmenter'])
  if not save_dir:
    return _fit(model, windows, eval_windows, settings, log_every, progress)
  with publish.directory_lock(save_dir,
                              what=f'The expression model in {save_dir}'):
    _check_not_saved(save_dir, overwrite)
    model, summary = _fit(model, windows, eval_windows, settings, log_every,
                          progress)
    with errors.stage(f'saving the expression model in {save_dir}'):
      summary['model_path'] = saving.save_model(model, save_dir,
                                                training=summary,
                                                overwrite=overwrite)
    return model, summary


def _check_not_saved(save_dir, overwrite):
  if not overwrite and os.path.exists(
      os.path.join(save_dir, saving.MODEL_JSON)):
    raise FileExistsError(f'An expression model is already saved in '
                          f'{save_dir}; pass --overwrite to replace it.')


def _fit(model, windows, eval_windows, settings, log_every, progress):
  """Trains model on the windows; returns (model, summary)."""
  steps, seed = settings['steps'], settings['seed']
  logging.info('Expression windows: %s', windows['stats'])
  model.build_for_weights()
  optimizer = tf.keras.optimizers.Adam(settings['learning_rate'])
  noise_seed = int(seed) & 0x7FFFFFFF

  @tf.function
  def train_step(batch, step):
    noise = tf.random.stateless_normal(
        [tf.shape(batch[0])[0], model.max_notes, model.latent_dims],
        seed=tf.stack([tf.constant(noise_seed, tf.int64), step]))
    with tf.GradientTape() as tape:
      losses = model.losses_of(batch, noise=noise)
    grads = tape.gradient(losses['total'], model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return losses

  dataset = tf.data.Dataset.from_tensor_slices(_tensors(
      windows, with_vibrato=settings['vibrato'] == 'measured')).shuffle(
      len(windows['mask']), seed=int(seed)).repeat().batch(
          settings['batch_size'])
  history = {name: [] for name in LOSS_NAMES}
  start_time = time.time()
  with tqdm(total=steps, desc='expression VAE', disable=not progress) as bar:
    for step, batch in enumerate(dataset.take(steps)):
      losses = train_step(batch, tf.constant(step, tf.int64))
      for name in LOSS_NAMES:
        history[name].append(float(losses[name]))
      bad = [n for n in LOSS_NAMES if not np.isfinite(history[n][-1])]
      if bad:
        raise ExpressionTrainingError(
            f'Non-finite expression VAE loss ({", ".join(bad)}) at step '
            f'{step + 1}: lower train_expression_vae.learning_rate; nothing '
            'was saved.')
      bar.update(1)
      bar.set_postfix(loss=f'{history["total"][-1]:.4g}')
      if (step + 1) % int(log_every) == 0 or step + 1 == steps:
        logging.info('step %d/%d: %s', step + 1, steps, ', '.join(
            f'{n}={history[n][-1]:.4g}' for n in LOSS_NAMES))
  n_mean = min(10, steps)
  summary = dict(
      settings, data=windows['stats'],
      train_seconds=round(time.time() - start_time, 2),
      initial_losses={n: float(np.mean(v[:n_mean]))
                      for n, v in history.items()},
      final_losses={n: float(np.mean(v[-n_mean:]))
                    for n, v in history.items()},
      evaluation={'train': evaluate(model, windows),
                  'eval': (evaluate(model, eval_windows)
                           if eval_windows else None)})
  return model, summary
