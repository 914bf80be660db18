# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""One model, many instruments: an instrument embedding and a timbre latent.

`TimbreEncoder` gives the decoder a per-clip timbre vector, constant over the
example's frames ('timbre', [batch, n_frames, embedding_dims + timbre_dims]),
the concatenation of

* a learned embedding of the example's instrument (`instrument_id`, from the
  'instrument' label `prepare_tfrecord --instrument` writes, read by
  `InstrumentTFRecordProvider`); magenta/ddsp#276's one-hot instrument
  suggestion, learned; and
* a KL-regularised timbre latent of the whole example (seed 002, Exercise
  2): MFCC -> GRU -> mean over time -> Gaussian posterior
  q(t | audio) = N(mean, diag(exp(logvar))), a reparameterised sample while
  training and the mean at inference, with beta * KL(q || N(0, I)) added to
  ddsp's losses by `models.VaeAutoencoder` ('kl_loss'; 'kl_nats' logged).

Either part may be off (`embedding_dims=0` or `timbre_dims=0`). At sampling
time no audio is needed: `sampling.timbre` builds the vector from an
instrument's embedding and its timbre prior (a named instrument, a blend of
two, a morph along a phrase, or a new instrument drawn from the prior).

The instrument vocabulary is the gin macro INSTRUMENTS (the names, in id
order); `training.data.checked_tfrecord_provider` refuses TFRecords holding an
instrument outside it before training starts, naming the binding to use.
"""

from ddsp import spectral_ops
from ddsp.training import nn
import gin
import tensorflow as tf

from ddsp_generative.training import data as training_data
from ddsp_generative.training import encoders

tfkl = tf.keras.layers

INSTRUMENT_KEY = 'instrument'  # The TFRecords' label (bytes).
INSTRUMENT_ID_KEY = 'instrument_id'  # Its index in INSTRUMENTS (int32).
TIMBRE_KEY = 'timbre'  # The decoder's input, [batch, n_frames, dims].
EMBEDDING_KEY = 'instrument_embedding'  # [batch, embedding_dims].
TIMBRE_MEAN_KEY = 'timbre_mean'  # Posterior mean, [batch, timbre_dims].
TIMBRE_LOGVAR_KEY = 'timbre_logvar'  # Its log-variance.
UNKNOWN_ID = -1


class InstrumentTFRecordProvider(training_data.DerivedTFRecordProvider):
  """A TFRecordProvider's examples, plus each one's 'instrument_id'.

  Built by `training.data.checked_tfrecord_provider` (its `instruments`
  argument) from the `TFRecordProvider` gin configured, so that users set
  `TFRecordProvider.file_pattern` as for every other model. Reads the
  'instrument' label (`prepare_tfrecord --instrument`) and maps it to its
  index in `instruments`; ddsp's own features are read unchanged.
  """

  def __init__(self, provider, instruments):
    """Constructor.

    Args:
      provider: The `ddsp.training.data.TFRecordProvider` to extend.
      instruments: The instrument names, in id order (the INSTRUMENTS macro).
    """
    super().__init__(provider)
    self.instruments = tuple(instruments)

  @property
  def features_dict(self):
    features = dict(super().features_dict)
    features[INSTRUMENT_KEY] = tf.io.FixedLenFeature([], dtype=tf.string,
                                                     default_value='')
    return features

  def get_dataset(self, shuffle=True):
    """The examples, with 'instrument_id' [] (int32) instead of the name."""
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(self.instruments or ('',), tf.string),
            tf.range(max(len(self.instruments), 1), dtype=tf.int32)),
        default_value=UNKNOWN_ID)

    def add_id(ex):
      ex = dict(ex)
      ex[INSTRUMENT_ID_KEY] = table.lookup(ex.pop(INSTRUMENT_KEY))
      return ex

    return super().get_dataset(shuffle).map(
        add_id, num_parallel_calls=tf.data.AUTOTUNE)


@gin.register(module='ddsp_generative.training.timbre')
class TimbreEncoder(nn.DictLayer):
  """Instrument embedding + KL-regularised per-clip timbre latent."""

  def __init__(self,
               instruments=(),
               embedding_dims=8,
               timbre_dims=8,
               rnn_channels=256,
               beta=0.01,
               **kwargs):
    """Constructor.

    Args:
      instruments: Instrument names in id order (INSTRUMENTS); required when
        embedding_dims > 0.
      embedding_dims: Size of the learned instrument embedding; 0: none.
      timbre_dims: Size of the per-clip timbre latent; 0: none.
      rnn_channels: Units of the timbre encoder's GRU.
      beta: Weight of the timbre latent's KL in the total loss.
      **kwargs: Keras layer arguments, e.g. name.

    Raises:
      ValueError: Both parts off, an embedding without instruments, or a
        negative size or beta.
    """
    self.instruments = tuple(instruments)
    self.embedding_dims = int(embedding_dims)
    self.timbre_dims = int(timbre_dims)
    input_keys = ['audio', 'f0_scaled']
    if self.embedding_dims:
      input_keys.append(INSTRUMENT_ID_KEY)
    super().__init__(input_keys=input_keys, output_keys=[TIMBRE_KEY],
                     **kwargs)
    if min(self.embedding_dims, self.timbre_dims, beta) < 0:
      raise ValueError('embedding_dims, timbre_dims and beta must be >= 0.')
    if not self.embedding_dims and not self.timbre_dims:
      raise ValueError('TimbreEncoder needs embedding_dims or timbre_dims > 0.')
    if self.embedding_dims and not self.instruments:
      raise ValueError(
          'TimbreEncoder.instruments is empty: set the instruments, e.g. '
          "--gin_param=\"INSTRUMENTS=['cello', 'violin']\".")
    self.beta = float(beta)
    if self.embedding_dims:
      self.embedding = tfkl.Embedding(len(self.instruments),
                                      self.embedding_dims)
    if self.timbre_dims:
      self.z_norm = nn.Normalize('instance')
      self.rnn = nn.Rnn(rnn_channels, 'gru')
      self.dense_out = tfkl.Dense(2 * self.timbre_dims)

  @property
  def dims(self):
    """Size of the timbre vector the decoder reads."""
    return self.embedding_dims + self.timbre_dims

  def posterior(self, audio):
    """The timbre latent's posterior of each clip.

    Args:
      audio: [batch, n_samples].

    Returns:
      mean, logvar: [batch, timbre_dims] each.
    """
    mfccs = spectral_ops.compute_mfcc(
        audio, lo_hz=20.0, hi_hz=8000.0, fft_size=1024, mel_bins=128,
        mfcc_bins=30, overlap=0.5, pad_end=True)
    x = self.z_norm(mfccs[:, :, tf.newaxis, :])[:, :, 0, :]
    x = tf.reduce_mean(self.rnn(x), axis=1)
    mean, logvar = tf.split(self.dense_out(x), 2, axis=-1)
    return mean, logvar

  def embed(self, instrument_id):
    """[batch] int ids -> [batch, embedding_dims] embeddings."""
    return self.embedding(tf.reshape(tf.cast(instrument_id, tf.int32), [-1]))

  def call(self, audio, f0_scaled, instrument_id=None, training=None):
    """Encodes each clip's timbre.

    Args:
      audio: [batch, n_samples].
      f0_scaled: [batch, n_frames, 1]; only its number of frames is used.
      instrument_id: [batch] (or [batch, 1]) int ids, when embedding_dims > 0.
      training: True samples the latent from its posterior; else its mean.

    Returns:
      Dict with 'timbre' [batch, n_frames, dims], and 'instrument_embedding',
      'timbre_mean', 'timbre_logvar' [batch, ...] for the parts present.
    """
    n_frames = tf.shape(f0_scaled)[1]
    parts, out = [], {}
    if self.embedding_dims:
      out[EMBEDDING_KEY] = self.embed(instrument_id)
      parts.append(out[EMBEDDING_KEY])
    if self.timbre_dims:
      mean, logvar = self.posterior(audio)
      out[TIMBRE_MEAN_KEY], out[TIMBRE_LOGVAR_KEY] = mean, logvar
      latent = mean
      if training:
        latent = mean + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mean))
      parts.append(latent)
    vector = tf.concat(parts, axis=-1)
    out[TIMBRE_KEY] = tf.tile(vector[:, tf.newaxis, :], [1, n_frames, 1])
    return out

  def _kl_per_dim(self, outputs):
    return tf.reduce_mean(encoders.gaussian_kl(outputs[TIMBRE_MEAN_KEY],
                                               outputs[TIMBRE_LOGVAR_KEY]),
                          axis=0)

  def get_losses_dict(self, outputs):
    """{'kl_loss': beta * KL of the timbre latent per clip}, or {} without."""
    if not self.timbre_dims:
      return {}
    return {encoders.KL_LOSS_KEY:
                self.beta * tf.reduce_sum(self._kl_per_dim(outputs))}

  def get_metrics_dict(self, outputs):
    """{'kl_nats': KL(q || N(0, I)) per clip}, logged only."""
    if not self.timbre_dims:
      return {}
    return {encoders.KL_NATS_KEY: tf.reduce_sum(self._kl_per_dim(outputs))}
