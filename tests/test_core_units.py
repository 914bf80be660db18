# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""core.units, core.features and audio_io.resample."""

import os

from ddsp import spectral_ops
import numpy as np
import pytest
import tensorflow as tf

from ddsp_generative import controls
from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import features
from ddsp_generative.core import tfrecords
from ddsp_generative.core import units


def test_midi_hz_and_cents():
  np.testing.assert_allclose(units.midi_to_hz([57, 69, 81]),
                             [220.0, 440.0, 880.0])
  midi = np.linspace(units.MIN_MIDI, units.MAX_MIDI, 50)
  np.testing.assert_allclose(units.hz_to_midi(units.midi_to_hz(midi)), midi,
                             atol=1e-9)
  deviation = units.cents([440.0, 466.1638, 0.0], 440.0)
  np.testing.assert_allclose(deviation[:2], [0.0, 100.0], atol=0.01)
  assert np.isnan(deviation[2])
  # The controls' names are the units' (one definition).
  assert controls.midi_to_hz is units.midi_to_hz
  assert controls.clip_midi is units.clip_midi
  assert (controls.MIN_MIDI, controls.MAX_MIDI) == (12.0, 108.0)


def test_clip_midi_and_check_duration():
  np.testing.assert_array_equal(units.clip_midi([0.0, 60.0, 200.0]),
                                [units.MIN_MIDI, 60.0, units.MAX_MIDI])
  units.check_duration(0.5)
  for bad in (0.0, -1.0, float('nan'), float('inf')):
    with pytest.raises(ValueError, match='positive'):
      units.check_duration(bad)


def test_feature_constants_are_ddsps():
  assert features.CREPE_SAMPLE_RATE == spectral_ops.CREPE_SAMPLE_RATE


def test_loudness_on_ddsps_frame_grid():
  t = np.arange(8000) / 16000.0
  tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
  loudness = features.loudness_db(tone, 16000, 250, 125)
  assert loudness.shape == (125,) and loudness.dtype == np.float32
  padded = features.loudness_db(tone, 16000, 250, 130, pad_db=-120.0)
  np.testing.assert_array_equal(padded[:125], loudness)
  np.testing.assert_array_equal(padded[126:], -120.0)


def test_resample_names_both_rates():
  t = np.arange(22050) / 22050.0
  tone = np.sin(2 * np.pi * 440.0 * t)
  for method, dtype in (('soxr_hq', np.float32), ('polyphase', np.float64)):
    out = audio_io.resample(tone, from_rate=22050, to_rate=16000,
                            method=method)
    assert out.dtype == dtype and len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == 440  # 1 Hz bins over 1 s.
  with pytest.raises(ValueError, match='method'):
    audio_io.resample(tone, 22050, 16000, method='linear')


def _write_records(path, n_frames, with_confidence):
  with tf.io.TFRecordWriter(path) as writer:
    for i in range(3):
      feature = {
          'audio': np.full(4 * n_frames, i, np.float32),
          'f0_hz': np.arange(n_frames, dtype=np.float32) + i,
          'loudness_db': np.full(n_frames, -10.0 * i, np.float32),
      }
      if with_confidence:
        feature['f0_confidence'] = np.full(n_frames, 0.5, np.float32)
      example = tf.train.Example(features=tf.train.Features(feature={
          k: tf.train.Feature(float_list=tf.train.FloatList(value=v))
          for k, v in feature.items()}))
      writer.write(example.SerializeToString())


def test_read_examples_and_arrays(tmp_path):
  path = str(tmp_path / 'x.tfrecord')
  _write_records(path, 5, with_confidence=False)
  rows = list(tfrecords.read_examples(path, ('f0_hz', 'f0_confidence')))
  assert len(rows) == 3 and rows[2]['f0_hz'][0] == 2.0
  assert not len(rows[0]['f0_confidence'])
  data = tfrecords.read_arrays(path, 20, 5, max_examples=2)
  assert data['audio'].shape == (2, 20)
  np.testing.assert_array_equal(data['f0_confidence'], 1.0)
  np.testing.assert_array_equal(data['loudness_db'][1], -10.0)
  with pytest.raises(tfrecords.DatasetMismatchError, match='not 6'):
    tfrecords.read_arrays(path, 20, 6)
