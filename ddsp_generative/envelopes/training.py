# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Training an EnvelopeVae on the envelopes of ddsp TFRecords.

`ddsp_generative_train_envelopes` is its command line. Gin configures the
model (`EnvelopeVae.latent_dims = 64`, `EnvelopeVae.beta = 0.01`, ...) and
the optimisation (`train_envelope_vae.learning_rate`, `.hop_frames`).

A run saving to a directory holds the lock of that directory (`lock`) from
reading the data to saving, so a second run training into the same directory
is refused at once; a non-finite loss stops training with a one-line
`EnvelopeTrainingError` instead of saving a NaN model.
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
from ddsp_generative.core import tfrecords
from ddsp_generative.envelopes import data
from ddsp_generative.envelopes import normalize
from ddsp_generative.envelopes import saving
from ddsp_generative.envelopes.model import EnvelopeVae

LOSS_NAMES = ('total', 'reconstruction', 'kl', 'mse')


class EnvelopeTrainingError(errors.UserError, ValueError):
  """Training cannot go on as asked (a non-finite loss, a bad save_dir)."""


def check_frame_rate(file_pattern, frame_rate):
  """Raises DatasetMismatchError if the TFRecords' frame rate differs.

  The rate comes from the metadata JSON beside the TFRecords, else from the
  first record; when neither tells it, the model's is trusted.

  Args:
    file_pattern: TFRecord pattern.
    frame_rate: The model's frame rate (Hz).
  """
  for source, geometry in tfrecords.dataset_geometry(file_pattern):
    found = geometry.get('frame_rate')
    if found is not None and int(round(found)) != int(frame_rate):
      raise tfrecords.DatasetMismatchError(
          f'The TFRecords {file_pattern!r} have {found} frames per second '
          f'(from {source}) but the envelope model is set to {frame_rate}: '
          f'set --gin_param="EnvelopeVae.frame_rate={found}" (and '
          'EnvelopeVae.n_frames to the window length at that rate).')


def evaluate(model, windows, batch_size=256):
  """Reconstruction error of posterior means over all windows.

  Args:
    model: EnvelopeVae.
    windows: Dict from `data.load_windows`.
    batch_size: Windows per forward pass.

  Returns:
    Dict: 'f0_rmse_cents' (relative pitch, all frames) and
    'loudness_mae_db'.
  """
  errors = []
  envelopes, pitches = windows['envelopes'], windows['midi_pitch']
  for start in range(0, len(envelopes), batch_size):
    target = envelopes[start:start + batch_size]
    output = model.reconstruct(target, pitches[start:start + batch_size])
    errors.append(np.asarray(output) - target)
  errors = np.concatenate(errors)
  return dict(
      f0_rmse_cents=float(np.sqrt(np.mean(np.square(errors[..., 0]))) *
                          normalize.F0_SCALE_SEMITONES * 100.0),
      loudness_mae_db=float(np.mean(np.abs(errors[..., 1])) *
                            normalize.LOUDNESS_SCALE_DB))


@gin.configurable(module='ddsp_generative.envelopes')
def train_envelope_vae(tfrecord_pattern, save_dir=None, steps=2000,
                       batch_size=16, seed=0, learning_rate=1e-3,
                       hop_frames=None, log_every=100, progress=True,
                       overwrite=False):
  """Trains an EnvelopeVae (gin-configured) and optionally saves it.

  Args:
    tfrecord_pattern: TFRecords in ddsp's schema, e.g.
      'data/train.tfrecord*'.
    save_dir: Where to save the model (`saving.save_model`); None: do not.
    steps: Optimisation steps.
    batch_size: Windows per step.
    seed: Seed of the initial weights, the shuffling and the latent noise;
      the same seed gives the same model on the same machine.
    learning_rate: Adam's learning rate.
    hop_frames: Frames between windows within an example (default: the
      window length; see `data`).
    log_every: Log the losses every this many steps.
    progress: Show a progress bar.
    overwrite: Replace a model saved in save_dir.

  Returns:
    (model, summary): the trained EnvelopeVae and a dict of the data stats,
    the losses ('history': per step; 'initial', 'final': means over the
    first and last min(10, steps) steps), the evaluation and the settings.

  Raises:
    tfrecords.DatasetMismatchError: No TFRecords match, or their frame
      rate is not the model's.
    data.EnvelopeDataError: No usable window.
    EnvelopeTrainingError: A non-finite loss, or save_dir is a file.
    FileExistsError: A model is saved in save_dir and overwrite is False.
    ValueError: Non-positive steps or batch_size.
    publish.OutputBusyError: Another run trains into save_dir.
  """
  if int(steps) < 1 or int(batch_size) < 1:
    raise ValueError(f'steps ({steps}) and batch_size ({batch_size}) must be '
                     'positive.')
  if save_dir:
    if os.path.lexists(save_dir) and not os.path.isdir(save_dir):
      raise EnvelopeTrainingError(
          f'{save_dir} is not a directory (a file, or a broken symbolic '
          'link): choose another save_dir (--save_dir).')
    _check_not_saved(save_dir, overwrite)
  tf.keras.utils.set_random_seed(int(seed))
  model = gin.get_configurable(EnvelopeVae)()
  check_frame_rate(tfrecord_pattern, model.frame_rate)
  with errors.stage(f'reading the envelopes of {tfrecord_pattern}'):
    windows = data.load_windows(tfrecord_pattern, model.n_frames, hop_frames)
  settings = dict(tfrecord_pattern=tfrecord_pattern, steps=int(steps),
                  batch_size=int(batch_size), seed=int(seed),
                  learning_rate=float(learning_rate), hop_frames=hop_frames)
  if not save_dir:
    return _fit(model, windows, settings, log_every, progress)
  with lock(save_dir):
    _check_not_saved(save_dir, overwrite)
    model, summary = _fit(model, windows, settings, log_every, progress)
    history = summary.pop('history')
    with errors.stage(f'saving the envelope model in {save_dir}'):
      summary['model_path'] = saving.save_model(model, save_dir,
                                                training=summary,
                                                overwrite=overwrite)
    summary['history'] = history
    return model, summary


def lock(save_dir):
  """Holds the lock of the envelope model directory save_dir (a whole run).

  Args:
    save_dir: The model's directory.

  Returns:
    The `publish.directory_lock` context manager.
  """
  return publish.directory_lock(save_dir,
                                what=f'The envelope model in {save_dir}')


def _check_not_saved(save_dir, overwrite):
  if not overwrite and os.path.exists(
      os.path.join(save_dir, saving.MODEL_JSON)):
    raise FileExistsError(f'An envelope model is already saved in {save_dir};'
                          ' pass --overwrite to replace it.')


def _check_finite(losses, step, tfrecord_pattern):
  """Raises EnvelopeTrainingError when a loss of this step is not finite."""
  bad = [name for name in LOSS_NAMES if not np.isfinite(losses[name])]
  if bad:
    raise EnvelopeTrainingError(
        f'Non-finite envelope VAE loss ({", ".join(bad)}) at step {step}: '
        f'the TFRecords {tfrecord_pattern!r} may hold NaN or infinite f0 or '
        'loudness (re-run ddsp_generative_prepare_tfrecord: it drops '
        'non-finite examples), or lower '
        'train_envelope_vae.learning_rate; nothing was saved.')


def _fit(model, windows, settings, log_every, progress):
  """Trains model on the windows (see train_envelope_vae); (model, summary).

  Args:
    model: A fresh EnvelopeVae (seeded).
    windows: From `data.load_windows`.
    settings: Dict of tfrecord_pattern, steps, batch_size, seed,
      learning_rate and hop_frames, copied into the summary.
    log_every: Log the losses every this many steps.
    progress: Show a progress bar.

  Returns:
    (model, summary), summary with 'history' and without 'model_path'.
  """
  tfrecord_pattern, steps = settings['tfrecord_pattern'], settings['steps']
  seed, batch_size = settings['seed'], settings['batch_size']
  learning_rate = settings['learning_rate']
  stats = windows['stats']
  logging.info('Envelope windows: %s', stats)
  if stats['padded_windows']:
    logging.warning(
        '%d of %d examples are shorter than the %d-frame window and were '
        'padded with silence (see ddsp_generative.envelopes.data).',
        stats['padded_windows'], stats['examples'], model.n_frames)
  model.build_all()
  optimizer = tf.keras.optimizers.Adam(learning_rate)
  noise_seed = int(seed) & 0x7FFFFFFF

  @tf.function
  def train_step(batch, step):
    noise = tf.random.stateless_normal(
        [tf.shape(batch['envelopes'])[0], model.latent_dims],
        seed=tf.stack([tf.constant(noise_seed, tf.int64), step]))
    with tf.GradientTape() as tape:
      outputs = model(dict(batch, noise=noise), training=True)
      losses = model.compute_losses(batch['envelopes'], outputs)
    grads = tape.gradient(losses['total'], model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return losses

  dataset = data.make_dataset(windows, batch_size, seed=int(seed))
  history = {name: [] for name in LOSS_NAMES}
  start_time = time.time()
  with tqdm(total=int(steps), desc='envelope VAE',
            disable=not progress) as bar:
    for step, batch in enumerate(dataset.take(int(steps))):
      losses = train_step(batch, tf.constant(step, tf.int64))
      for name in LOSS_NAMES:
        history[name].append(float(losses[name]))
      _check_finite({n: history[n][-1] for n in LOSS_NAMES}, step + 1,
                    tfrecord_pattern)
      bar.update(1)
      bar.set_postfix(loss=f'{history["total"][-1]:.4g}')
      if (step + 1) % int(log_every) == 0 or step + 1 == int(steps):
        logging.info('step %d/%d: %s', step + 1, steps, ', '.join(
            f'{n}={history[n][-1]:.4g}' for n in LOSS_NAMES))
  n_mean = min(10, int(steps))
  summary = dict(
      settings, data=stats, train_seconds=round(time.time() - start_time, 2),
      initial_losses={n: float(np.mean(v[:n_mean]))
                      for n, v in history.items()},
      final_losses={n: float(np.mean(v[-n_mean:]))
                    for n, v in history.items()},
      evaluation=evaluate(model, windows))
  summary['history'] = history
  return model, summary
