# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for ddsp_generative.core.z_dataset: real TFRecords in a temp dir."""

import glob
import json
import os

from ddsp_generative.core import artifacts
from ddsp_generative.core import z_dataset
import numpy as np
import pytest

METADATA = {
    'frame_rate': 250,
    'model_dir': '/models/ae',
    'model_step': 1234,
    'model_fingerprint': 'f00dcafe',
    'source_tfrecord_pattern': '/data/train.tfrecord*',
}


def make_examples(n_frames=(5, 7, 3), z_dims=4, seed=0):
  rng = np.random.default_rng(seed)
  return [{'z': rng.normal(size=(n, z_dims)).astype(np.float32),
           'f0_hz': rng.uniform(100, 400, n).astype(np.float32),
           'loudness_db': rng.uniform(-80, 0, n).astype(np.float32)}
          for n in n_frames]


def assert_examples_equal(actual, expected):
  assert len(actual) == len(expected)
  for a, e in zip(actual, expected):
    for key in z_dataset.FEATURES:
      np.testing.assert_array_equal(a[key], e[key])
      assert a[key].dtype == np.float32


def test_write_read_round_trip(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  examples = make_examples()
  written = z_dataset.write_z_dataset(path, examples, METADATA)
  sequences, metadata = z_dataset.read_z_dataset(path)
  assert_examples_equal(sequences, examples)
  assert written['z_dims'] == metadata['z_dims'] == 4
  assert metadata['n_examples'] == 3
  assert metadata['n_frames'] == 15
  for key, value in METADATA.items():
    assert metadata[key] == value
  with open(z_dataset.z_metadata_path(path)) as f:
    record = json.load(f)
  assert record['kind'] == 'z_dataset'
  assert record['format_version'] == 1
  assert 'provenance' in record


def test_metadata_is_not_matched_by_the_tfrecord_pattern(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  z_dataset.write_z_dataset(path, make_examples(), METADATA)
  metadata_path = z_dataset.z_metadata_path(path + '*')
  assert os.path.basename(metadata_path) == 'metadata_z.z_dataset.json'
  assert os.path.exists(metadata_path)
  assert glob.glob(path + '*') == [path]
  # Not the audio dataset's metadata name either.
  assert metadata_path != artifacts.tfrecord_metadata_path(path)
  assert sorted(os.listdir(tmp_path)) == ['metadata_z.z_dataset.json',
                                          'z.tfrecord']


@pytest.mark.parametrize('given, prefix', [
    ('d/z.tfrecord', 'd/z.tfrecord'),
    ('d/z.tfrecord*', 'd/z.tfrecord'),
    ('d/z.tfrecord-*', 'd/z.tfrecord'),
    ('d/z.tfrecord-00001-of-00004', 'd/z.tfrecord'),
])
def test_tfrecord_prefix(given, prefix):
  assert z_dataset.tfrecord_prefix(given) == prefix
  assert z_dataset.z_metadata_path(given) == 'd/metadata_z.z_dataset.json'


def test_metadata_name_that_would_match_the_prefix_is_refused():
  with pytest.raises(ValueError, match='would match'):
    z_dataset.z_metadata_path('d/meta')


def test_shards_written_like_beam(tmp_path):
  prefix = str(tmp_path / 'z.tfrecord')
  examples = make_examples(n_frames=(2, 3, 4, 5))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  for shard in range(2):
    name = f'{prefix}-{shard:05d}-of-00002'
    with tf.io.TFRecordWriter(name) as writer:
      for example in examples[2 * shard:2 * shard + 2]:
        writer.write(z_dataset.serialize_example(example))
  z_dataset.write_z_metadata(prefix, {**METADATA, 'z_dims': 4,
                                      'n_examples': 4, 'n_frames': 14})
  for given in (prefix, prefix + '*', prefix + '-*-of-*'):
    sequences, metadata = z_dataset.read_z_dataset(given)
    assert_examples_equal(sequences, examples)
    assert metadata['n_frames'] == 14
  assert len(z_dataset.list_files(prefix)) == 2


def test_load_frames_and_stacked(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  examples = make_examples()
  z_dataset.write_z_dataset(path, examples, METADATA)
  frames = z_dataset.load_frames(path + '*')
  assert frames['z'].shape == (15, 4)
  assert frames['f0_hz'].shape == frames['loudness_db'].shape == (15,)
  np.testing.assert_array_equal(frames['example_index'],
                                [0] * 5 + [1] * 7 + [2] * 3)
  np.testing.assert_array_equal(frames['z'][5:12], examples[1]['z'])
  stacked, _ = z_dataset.read_z_dataset(path, stacked=True)
  np.testing.assert_array_equal(stacked['z'], frames['z'])


def test_load_without_metadata_and_read_with_missing_metadata(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  z_dataset.write_z_dataset(path, make_examples(), METADATA)
  os.remove(z_dataset.z_metadata_path(path))
  assert z_dataset.load_frames(path)['z'].shape == (15, 4)
  with pytest.raises(artifacts.ArtifactError, match='not found'):
    z_dataset.read_z_dataset(path)


def test_no_files(tmp_path):
  with pytest.raises(FileNotFoundError, match='ddsp_generative_extract_z'):
    z_dataset.load_frames(str(tmp_path / 'missing.tfrecord*'))


def test_misaligned_example_is_refused(tmp_path):
  example = make_examples(n_frames=(5,))[0]
  example['f0_hz'] = example['f0_hz'][:4]
  path = str(tmp_path / 'z.tfrecord')
  with pytest.raises(ValueError, match='aligned'):
    z_dataset.write_z_dataset(path, [example], METADATA)
  assert not os.listdir(tmp_path)


def test_bad_metadata_is_refused(tmp_path):
  path = str(tmp_path / 'z.tfrecord')
  with pytest.raises(ValueError, match='model_fingerprint'):
    z_dataset.write_z_dataset(
        path, make_examples(),
        {k: v for k, v in METADATA.items() if k != 'model_fingerprint'})
  with pytest.raises(ValueError, match='z_dims'):
    z_dataset.write_z_dataset(path, make_examples(),
                              {**METADATA, 'z_dims': 16})
  with pytest.raises(ValueError, match='z_dims'):
    z_dataset.write_z_dataset(
        path, make_examples(n_frames=(3,)) + make_examples((3,), z_dims=2),
        METADATA)
  with pytest.raises(ValueError, match='no examples'):
    z_dataset.write_z_dataset(path, [], METADATA)
