# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""An Autoencoder whose encoder adds its own loss terms (e.g. a VAE's KL).

ddsp's `Trainer` minimises `losses['total_loss']`, the sum of the model's
losses dict, and logs every entry of that dict to TensorBoard
(`losses/<name>`); it ignores Keras' `Layer.add_loss`. ddsp's `Autoencoder`
fills the dict from its reconstruction losses only. `VaeAutoencoder` also adds
the encoder's `get_losses_dict(outputs)` (summed into the total) and
`get_metrics_dict(outputs)` (logged, not summed), computed from the encoder's
outputs in the same forward pass. With an encoder that has neither (or none)
it is exactly ddsp's Autoencoder.
"""

from ddsp.training import models
import gin


@gin.register(module='ddsp_generative.training.models')
class VaeAutoencoder(models.Autoencoder):
  """ddsp's Autoencoder plus the encoder's regularisation losses.

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
      training: Whether this is a training pass (the encoder then samples z
        and its KL is added to the losses).

    Returns:
      Dict of outputs, with 'audio_synth' [batch, n_samples].
    """
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
