# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Decoding from descriptors besides f0 and loudness (gin/*descriptors*.gin).

The TFRecords of `ddsp_generative_prepare_tfrecord` hold frame-level timbre
descriptors beside ddsp's features (`core.descriptors`). A model told to
decode from some of them (the DESCRIPTORS macro) reads them with a
`DescriptorTFRecordProvider` (built by `training.data.checked_tfrecord_
provider(descriptors=...)`, so that users still set
`TFRecordProvider.file_pattern`), and its `DescriptorPreprocessor` scales
them (`scaled`) into one decoder input, 'descriptors_scaled'
[batch, time_steps, n_descriptors], beside ddsp's 'f0_scaled' and
'ld_scaled'. At sampling time the same keys carry the requested curves.
"""

from ddsp.training import preprocessing
import gin
import tensorflow as tf

from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.training import data as training_data

SCALED_KEY = 'descriptors_scaled'


def scaled(key, values):
  """A descriptor mapped to about [0, 1] for a network's input.

  Centroid: its MIDI note number / 127 (as ddsp scales f0); flatness: its dB
  over [-80, 0]; periodicity: as is; odd/even ratio: over [-30, 30] dB.

  Args:
    key: One of `core.descriptors.DESCRIPTOR_KEYS`.
    values: Tensor or array of the descriptor's values, any shape.

  Returns:
    float32 tensor of the same shape.
  """
  values = tf.cast(values, tf.float32)
  if key == descriptors_lib.CENTROID:
    midi = 12.0 * tf.math.log(tf.maximum(values, 20.0) / 440.0) / tf.math.log(
        2.0) + 69.0
    return midi / 127.0
  if key == descriptors_lib.FLATNESS:
    db = 10.0 * tf.math.log(tf.maximum(values, 1e-8)) / tf.math.log(10.0)
    return tf.clip_by_value((db + 80.0) / 80.0, 0.0, 1.0)
  if key == descriptors_lib.PERIODICITY:
    return tf.clip_by_value(values, 0.0, 1.0)
  if key == descriptors_lib.ODD_EVEN:
    limit = descriptors_lib.ODD_EVEN_LIMIT_DB
    return tf.clip_by_value((values + limit) / (2 * limit), 0.0, 1.0)
  raise descriptors_lib.UnknownDescriptorError(
      f'unknown descriptor {key!r}')


@gin.register(module='ddsp_generative.training.descriptors')
class DescriptorPreprocessor(preprocessing.F0LoudnessPreprocessor):
  """ddsp's F0LoudnessPreprocessor, plus descriptors scaled for the decoder.

  Loudness always comes from the TFRecords (as in every shipped model), so
  that sampling needs no audio; gin/models/descriptors.gin binds its time
  steps and rates to the macros of gin/common/audio.gin.
  """

  def __init__(self, descriptors=(), time_steps=1000, frame_rate=250,
               sample_rate=16000, **kwargs):
    """Constructor.

    Args:
      descriptors: Keys (or short names) of `core.descriptors`, in the order
        of the decoder input's last axis (the DESCRIPTORS macro).
      time_steps: Frames per example the decoder sees (TIME_STEPS).
      frame_rate: Feature frames per second.
      sample_rate: Audio sample rate.
      **kwargs: Keras layer arguments (name, ...).
    """
    self.descriptors = tuple(descriptors_lib.resolve(d) for d in descriptors)
    if not self.descriptors:
      raise descriptors_lib.UnknownDescriptorError(
          'DescriptorPreprocessor needs at least one descriptor (set '
          'DESCRIPTORS, e.g. --gin_param="DESCRIPTORS=[\'centroid\']")')
    super().__init__(
        input_keys=['loudness_db', 'f0_hz'] + list(self.descriptors),
        output_keys=(['f0_hz', 'loudness_db', 'f0_scaled', 'ld_scaled'] +
                     list(self.descriptors) + [SCALED_KEY]),
        time_steps=time_steps, frame_rate=frame_rate, sample_rate=sample_rate,
        compute_loudness=False, **kwargs)

  def call(self, loudness_db, f0_hz, *values):
    """Resampled and scaled features.

    Args:
      loudness_db: [batch, frames] or [batch, frames, 1] dB.
      f0_hz: Same shape, Hz.
      *values: One tensor of the same shape per descriptor.

    Returns:
      {'f0_hz', 'loudness_db', 'f0_scaled', 'ld_scaled'} as ddsp's, each
      descriptor resampled [batch, time_steps, 1], and 'descriptors_scaled'
      [batch, time_steps, n_descriptors].
    """
    f0_hz, loudness_db, f0_scaled, ld_scaled = super().call(loudness_db, f0_hz)
    out = {'f0_hz': f0_hz, 'loudness_db': loudness_db, 'f0_scaled': f0_scaled,
           'ld_scaled': ld_scaled}
    columns = []
    for key, value in zip(self.descriptors, values):
      value = self.resample(value)
      out[key] = value
      columns.append(scaled(key, value))
    out[SCALED_KEY] = tf.concat(columns, axis=-1)
    return out


class DescriptorTFRecordProvider(training_data.DerivedTFRecordProvider):
  """A TFRecordProvider's examples, plus the descriptors a model decodes from.

  Built by `training.data.checked_tfrecord_provider` (its `descriptors`
  argument) from the `TFRecordProvider` gin configured.
  """

  def __init__(self, provider, descriptors):
    """Constructor.

    Args:
      provider: The `ddsp.training.data.TFRecordProvider` to extend.
      descriptors: Keys (or short names) of `core.descriptors`.
    """
    super().__init__(provider)
    self.descriptors = tuple(descriptors_lib.resolve(d) for d in descriptors)

  @property
  def features_dict(self):
    features = dict(super().features_dict)
    for key in self.descriptors:
      features[key] = tf.io.FixedLenFeature([self._feature_length],
                                            dtype=tf.float32)
    return features
