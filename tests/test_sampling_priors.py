# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The sampler with temporal and conditional priors fitted on real z.

The sampler draws z through `Prior.stream` (block by block); a spy on it
records what each stream and each block was given.
"""

import json
import os

from ddsp_generative import controls
from ddsp_generative.sampling import model_io
from ddsp_generative import priors
from ddsp_generative.sampling import sampler as sampling
from ddsp_generative.core import z_dataset
import numpy as np
import pytest


@pytest.fixture(scope='module')
def trained(tiny_model_dir):
  return model_io.load_model(tiny_model_dir)


@pytest.fixture(scope='module')
def real_z(tiny_prior_path):
  """The tiny model's z dataset (extracted by Beam beside the session prior)."""
  return z_dataset.read_z_dataset(
      os.path.join(os.path.dirname(tiny_prior_path), 'z.tfrecord'))


class StreamSpy:
  """Wraps a prior's `stream` and records the arguments of each stream and
  of each of its `next` calls."""

  def __init__(self, prior):
    self.calls = []  # One dict per stream: its kwargs and 'next' calls.
    self._stream = prior.stream
    prior.stream = self

  def __call__(self, *args, **kwargs):
    record = dict(kwargs, next=[])
    self.calls.append(record)
    stream = self._stream(*args, **kwargs)
    next_block = stream.next

    def spy_next(n_frames, **next_kwargs):
      record['next'].append(dict(next_kwargs, n_frames=n_frames))
      return next_block(n_frames, **next_kwargs)

    stream.next = spy_next
    return stream


def test_generate_passes_the_controls_to_a_conditional_prior(
    trained, real_z, tmp_path):
  sequences, metadata = real_z
  prior = priors.ConditionalMixturePrior(n_components=2).fit(
      sequences, model_fingerprint=metadata['model_fingerprint'], seed=0)
  priors.check_compatible(prior, trained.z_dims, trained.fingerprint)
  spy = StreamSpy(prior)
  source = controls.Note(pitch=62, duration=0.4)
  f0_hz, loudness_db = source.generate(trained.frame_rate)
  paths = sampling.generate(trained, prior, source, n_samples=2, seed=5,
                            save_dir=str(tmp_path), progress=False)
  assert len(spy.calls) == 2
  for i, call in enumerate(spy.calls):
    assert (call['mode'], call['seed']) == ('temporal', 5 + i)
    # A 0.4 s clip is one block: its controls, nothing after them.
    (block,) = call['next']
    assert block['n_frames'] == len(f0_hz)
    assert not block.get('lookahead')
    np.testing.assert_allclose(block['f0_hz'], f0_hz, rtol=1e-6)
    np.testing.assert_allclose(block['loudness_db'], loudness_db, rtol=1e-6)
  with open(paths[0]['json']) as f:
    sidecar = json.load(f)
  assert sidecar['prior_conditioned_on'] == ['f0_hz', 'loudness_db']
  assert sidecar['prior']['type'] == 'conditional'
  assert sidecar['prior']['conditions'] == ['f0_hz', 'loudness_db']
  assert sidecar['prior_mode'] == 'temporal'


@pytest.mark.parametrize('mode', [None, 'independent'])
def test_generate_with_a_temporal_prior(trained, real_z, tmp_path, mode):
  sequences, _ = real_z
  prior = priors.HiddenMarkovPrior(n_components=2).fit(sequences, seed=0)
  spy = StreamSpy(prior)
  paths = sampling.generate(trained, prior, controls.Note(duration=0.2),
                            mode=mode, save_dir=str(tmp_path),
                            progress=False)
  assert spy.calls[0]['mode'] == (mode or 'temporal')
  # No controls for a prior over z alone.
  assert set(spy.calls[0]['next'][0]) <= {'n_frames', 'lookahead'}
  with open(paths[0]['json']) as f:
    sidecar = json.load(f)
  assert sidecar['prior_mode'] == (mode or 'temporal')
  assert sidecar['prior_conditioned_on'] is None
