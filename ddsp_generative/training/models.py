# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ddsp's Autoencoder, guarded against non-finite data and losses.

`CheckedAutoencoder` is ddsp's `Autoencoder` (the model of every shipped gin
file, `get_model.model = @models.CheckedAutoencoder()`) that, in a training
pass, checks with `tf.debugging.check_numerics`

* every float input feature ('audio', 'f0_hz', 'loudness_db', ...): a NaN or
  an infinity in the TFRecords stops `ddsp_run` with an error naming the
  feature and the fix (re-run ddsp_generative_prepare_tfrecord, which drops
  non-finite examples);
* every loss term and `total_loss`: a non-finite loss stops `ddsp_run` with
  an error naming the loss.

Without the checks `ddsp_run` trains on NaN losses (the weights become NaN),
saves the checkpoints and exits 0. With them the raised
`tf.errors.InvalidArgumentError` ends `ddsp_run`'s training loop
(ddsp/training/train_util.py's `train()` has no `finally`): it exits
non-zero and saves no checkpoint on the way out (checkpoints saved at
earlier `steps_per_save` steps stay). The checks are identities on finite
values and inactive at inference (`training=False`), so sampling is
unchanged. Its constructor is `Autoencoder`'s: the gin bindings of
`Autoencoder` (`Autoencoder.encoder = ...`) configure it.

`VaeAutoencoder` (gin/harmonic_noise_vae_z.gin) is a `CheckedAutoencoder`
whose encoder adds its own loss terms. ddsp's `Trainer` minimises
`losses['total_loss']`, the sum of the model's losses dict, and logs every
entry of that dict to TensorBoard (`losses/<name>`); it ignores Keras'
`Layer.add_loss`. ddsp's `Autoencoder` fills the dict from its
reconstruction losses only. `VaeAutoencoder` also adds the encoder's
`get_losses_dict(outputs)` (summed into the total) and
`get_metrics_dict(outputs)` (logged, not summed), computed from the
encoder's outputs in the same forward pass. With an encoder that has neither
(or none) it is exactly `CheckedAutoencoder`.
"""

from ddsp.training import models
import gin
import tensorflow as tf

PREPARE_HINT = ('re-run ddsp_generative_prepare_tfrecord on the audio (it '
                'drops non-finite examples) and train again')
LOSS_HINT = ('the model diverged or the data holds extreme values: lower '
             'the learning rate (e.g. --gin_param=learning_rate=1e-4), '
             'check the TFRecords, then train again from the last finite '
             'checkpoint')


def feature_message(key):
  """The error message of a non-finite training feature."""
  return (f"Non-finite training feature '{key}' in the TFRecords "
          f'(TFRecordProvider.file_pattern): {PREPARE_HINT}')


def loss_message(name):
  """The error message of a non-finite loss."""
  return f"Non-finite loss '{name}' in a training step: {LOSS_HINT}"


def check_finite_features(features):
  """Returns features with every float tensor checked for NaN and infinity.

  Args:
    features: Dict of input tensors, e.g. 'audio' [batch, n_samples],
      'f0_hz' and 'loudness_db' [batch, n_frames].

  Returns:
    A new dict with the same keys; float values pass through
    `tf.debugging.check_numerics` (the identity on finite values), others
    unchanged.
  """
  checked = dict(features)
  for key in sorted(features):
    value = features[key]
    if not tf.is_tensor(value):
      continue
    if value.dtype.is_floating:
      checked[key] = tf.debugging.check_numerics(value, feature_message(key))
  return checked


@gin.register(module='ddsp_generative.training.models')
class CheckedAutoencoder(models.Autoencoder):
  """ddsp's Autoencoder that stops training on non-finite data or losses.

  Same constructor as `ddsp.training.models.Autoencoder`; arguments not
  passed are taken from the gin bindings of `Autoencoder`.
  """

  def __init__(self, **kwargs):
    super().__init__(**kwargs)

  def call(self, features, training=True):
    """Like `Autoencoder.call`, the features checked when training.

    Args:
      features: Dict of input tensors ('audio' [batch, n_samples], 'f0_hz'
        and 'loudness_db' [batch, n_frames]).
      training: Whether this is a training pass.

    Returns:
      Dict of outputs, with 'audio_synth' [batch, n_samples].
    """
    if training:
      features = check_finite_features(features)
    return super().call(features, training=training)

  def sum_losses(self, losses_dict):
    """The total loss; each term and the total checked for NaN/infinity."""
    checked = [tf.debugging.check_numerics(value, loss_message(name))
               for name, value in losses_dict.items()]
    total = super().sum_losses(dict(enumerate(checked)))
    return tf.debugging.check_numerics(total, loss_message('total_loss'))


@gin.register(module='ddsp_generative.training.models')
class VaeAutoencoder(CheckedAutoencoder):
  """CheckedAutoencoder plus the encoder's regularisation losses.

  Same constructor as `ddsp.training.models.Autoencoder`. Every argument is
  passed on explicitly, so that gin bindings of `Autoencoder` never leak into
  this class.
  """

  def __init__(self,
               preprocessor=None,
               encoder=None,
               decoder=None,
               processor_group=None,
               losses=None,
               **kwargs):
    super().__init__(preprocessor=preprocessor, encoder=encoder,
                     decoder=decoder, processor_group=processor_group,
                     losses=losses, **kwargs)
    self._metric_keys = set()

  def call(self, features, training=True):
    """Like `Autoencoder.call`, plus the encoder's losses when training.

    Args:
      features: Dict of input tensors ('audio' [batch, n_samples], 'f0_hz' and
        'loudness_db' [batch, n_frames]).
      training: Whether this is a training pass (the features are checked,
        the encoder then samples z and its KL is added to the losses).

    Returns:
      Dict of outputs, with 'audio_synth' [batch, n_samples].
    """
    if training:
      features = check_finite_features(features)
    features = self.encode(features, training=training)
    features.update(self.decoder(features, training=training))
    pg_out = self.processor_group(features, return_outputs_dict=True)
    outputs = pg_out['controls']
    outputs['audio_synth'] = pg_out['signal']
    if training:
      self._update_losses_dict(
          self.loss_objs, features['audio'], outputs['audio_synth'])
      if hasattr(self.encoder, 'get_losses_dict'):
        self._losses_dict.update(self.encoder.get_losses_dict(features))
      if hasattr(self.encoder, 'get_metrics_dict'):
        metrics = self.encoder.get_metrics_dict(features)
        self._metric_keys.update(metrics)
        self._losses_dict.update(metrics)
    return outputs

  def sum_losses(self, losses_dict):
    """Sums the losses, leaving out the logged-only metrics (e.g. kl_nats)."""
    return super().sum_losses({k: v for k, v in losses_dict.items()
                               if k not in self._metric_keys})
