# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The prior stream API: one long clip's z, block by block, state carried.

For every prior type and sampling mode: (a) the first call is exactly
`sample(...)[0]`; (b) the same seed and call lengths give the same z; (c)
later calls continue the clip (temporal state carried across block
boundaries, the component kept, the network prior's receptive field filled
from the carried controls and the lookahead); (d) the state and the memory
retained do not grow with the number of calls.
"""

import gc
import tracemalloc

from ddsp_generative import priors
from ddsp_generative.priors import gaussian
import numpy as np
import pytest
import synthetic_z

SEED = 7
# Well separated clusters (as tests/test_priors.py), for the GMM.
CENTERS = np.array([[6., 0., 0., 0.],
                    [0., 6., 0., 0.],
                    [0., 0., 6., 6.]])
TINY_NET = dict(channels=8, dilations=(1, 2, 4), train_steps=150,
                batch_size=4, segment_frames=48)


@pytest.fixture(scope='module')
def temporal_data():
  return synthetic_z.temporal_examples(n_examples=12, n_frames=250, seed=0)


@pytest.fixture(scope='module')
def conditional_data():
  return synthetic_z.conditional_examples(n_examples=12, n_frames=250,
                                          seed=0)


@pytest.fixture(scope='module')
def controls():
  """A long control track (f0_hz, loudness_db) [3000] from unseen notes."""
  examples = synthetic_z.conditional_examples(n_examples=12, n_frames=250,
                                              seed=5)
  return (np.concatenate([s['f0_hz'] for s in examples]),
          np.concatenate([s['loudness_db'] for s in examples]))


@pytest.fixture(scope='module')
def fitted(temporal_data, conditional_data):
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 3, 2000)
  clustered = (CENTERS[labels] + 0.5 * rng.normal(size=(2000, 4))).astype(
      np.float32)
  return {
      'standard_normal': priors.StandardNormalPrior(z_dims=4).fit(
          clustered),
      'gmm': priors.GaussianMixturePrior(n_components=3).fit(clustered,
                                                              seed=0),
      'hmm': priors.HiddenMarkovPrior(n_components=3).fit(temporal_data,
                                                          seed=0),
      'conditional': priors.ConditionalMixturePrior(n_components=3).fit(
          conditional_data, seed=0),
      'conditional_net': priors.ConditionalNetworkPrior(**TINY_NET).fit(
          conditional_data, seed=0),
  }


CASES = [('standard_normal', 'independent'),
         ('gmm', 'independent'), ('gmm', 'component'),
         ('hmm', 'independent'), ('hmm', 'component'), ('hmm', 'temporal'),
         ('conditional', 'independent'), ('conditional', 'component'),
         ('conditional', 'temporal'),
         ('conditional_net', 'temporal'), ('conditional_net', 'independent'),
         ('conditional_net', 'mean')]


def block_controls(prior, controls, start, n_frames):
  """The controls of frames [start, start + n_frames) a prior needs."""
  if not prior.CONDITIONS:
    return {}
  f0_hz, loudness_db = controls
  return {'f0_hz': f0_hz[start:start + n_frames],
          'loudness_db': loudness_db[start:start + n_frames]}


def run_stream(prior, mode, controls, lengths, seed=SEED, lookahead=False,
               total=None):
  """Calls a fresh stream with blocks of `lengths`; returns the blocks.

  With lookahead, each call also gets the controls of the frames after it
  (up to `stream.lookahead_frames`, within the first `total` frames).
  """
  stream = prior.stream(seed=seed, mode=mode)
  total = total or sum(lengths)
  blocks, start = [], 0
  for n in lengths:
    ahead = None
    if lookahead and stream.lookahead_frames:
      end = start + n
      ahead = block_controls(prior, controls, end,
                             min(stream.lookahead_frames, total - end))
    blocks.append(stream.next(n, lookahead=ahead,
                              **block_controls(prior, controls, start, n)))
    start += n
  return blocks


# ------------------------------------------------------- (a) first call.
@pytest.mark.parametrize('name,mode', CASES)
def test_first_call_is_sample(fitted, controls, name, mode):
  prior = fitted[name]
  for n_frames in (1, 137):
    stream = prior.stream(seed=SEED, mode=mode)
    z = stream.next(n_frames, **block_controls(prior, controls, 0, n_frames))
    assert z.dtype == np.float32 and z.shape == (n_frames, 4)
    np.testing.assert_array_equal(
        z, prior.sample(n_frames, seed=SEED, mode=mode, batch_size=1,
                        **block_controls(prior, controls, 0, n_frames))[0])
  # The sampler's controls are [1, n_frames] float32: the same z.
  if prior.CONDITIONS:
    as_batch = {k: np.asarray(v, np.float32)[None] for k, v in
                block_controls(prior, controls, 0, 50).items()}
    np.testing.assert_array_equal(
        prior.stream(seed=SEED, mode=mode).next(50, **as_batch),
        prior.sample(50, seed=SEED, mode=mode, **as_batch)[0])


# ------------------------------------------------------ (b) reproducible.
@pytest.mark.parametrize('name,mode', CASES)
def test_same_seed_and_lengths_reproduce(fitted, controls, name, mode):
  prior = fitted[name]
  lengths = [40, 7, 1, 40, 60]
  first = run_stream(prior, mode, controls, lengths)
  again = run_stream(prior, mode, controls, lengths)
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
  assert [len(b) for b in first] == lengths
  assert all(np.all(np.isfinite(b)) for b in first)
  if mode == 'mean':
    return  # Deterministic given the controls.
  other = run_stream(prior, mode, controls, lengths, seed=SEED + 1)
  assert not np.array_equal(np.concatenate(first), np.concatenate(other))
  # Later calls draw afresh: blocks of the same controls differ.
  if not prior.CONDITIONS:
    assert not np.array_equal(first[0], first[3])


def test_seed_none_and_bad_calls_are_refused(fitted, controls):
  prior = fitted['conditional']
  f0_hz, loudness_db = controls
  a = prior.stream().next(30, f0_hz=f0_hz[:30], loudness_db=loudness_db[:30])
  b = prior.stream().next(30, f0_hz=f0_hz[:30], loudness_db=loudness_db[:30])
  assert not np.array_equal(a, b)
  stream = prior.stream(seed=0)
  with pytest.raises(ValueError, match='missing'):
    stream.next(30, f0_hz=f0_hz[:30])
  with pytest.raises(ValueError, match=r'f0_hz must be \[30\]'):
    stream.next(30, f0_hz=f0_hz[:31], loudness_db=loudness_db[:30])
  with pytest.raises(ValueError, match='n_frames'):
    stream.next(0, f0_hz=f0_hz[:0], loudness_db=loudness_db[:0])
  with pytest.raises(ValueError, match='unexpected'):
    fitted['hmm'].stream(seed=0).next(5, f0_hz=f0_hz[:5])
  with pytest.raises(ValueError, match='next()'):
    prior.stream(seed=0, f0_hz=f0_hz)
  with pytest.raises(ValueError, match='valid modes'):
    prior.stream(seed=0, mode='mean')
  assert stream.calls == 0 and stream.frames == 0


# ---------------------------------------------------- (c) continuation.
def step_ratio(blocks):
  """Median squared step across block boundaries / within blocks."""
  z = np.concatenate(blocks)
  steps = ((z[1:] - z[:-1]) ** 2).sum(-1)
  boundary = np.cumsum([len(b) for b in blocks])[:-1] - 1
  inside = np.ones(len(steps), bool)
  inside[boundary] = False
  return np.median(steps[boundary]) / np.median(steps[inside])


@pytest.mark.parametrize('name', ['hmm', 'conditional'])
def test_temporal_blocks_continue_the_clip(fitted, controls, name):
  prior = fitted[name]
  lengths = [12] * 240
  blocks = run_stream(prior, 'temporal', controls, lengths)
  # z moves as little across a block boundary as between any two frames
  # (of the stream, and of one long sample cut at the same frames).
  whole = prior.sample(sum(lengths), seed=SEED, mode='temporal',
                       **block_controls(prior, controls, 0, sum(lengths)))[0]
  cut = np.split(whole, np.cumsum(lengths)[:-1])
  assert step_ratio(blocks) == pytest.approx(1.0, abs=0.3)
  assert step_ratio(cut) == pytest.approx(1.0, abs=0.3)
  # Restarting at every block (independent clips) would jump: the test can
  # tell.
  restarted = [prior.sample(n, seed=i, mode='temporal',
                            **block_controls(prior, controls, 12 * i, n))[0]
               for i, n in enumerate(lengths)]
  assert step_ratio(restarted) > 2.5


def occupancy(prior, z):
  """Fraction of frames nearest (in likelihood) to each component."""
  log_p = np.stack([gaussian.mvn_log_pdf(z, prior.means[k],
                                         prior.scale_tril[k])
                    for k in range(prior.num_components)], -1)
  return np.bincount(np.argmax(log_p, -1), minlength=prior.num_components) / (
      len(z))


def test_hmm_stream_visits_components_as_the_chain_does(fitted, controls):
  prior = fitted['hmm']
  stream = np.concatenate(run_stream(prior, 'temporal', controls,
                                     [50] * 200))
  # One long clip of the same length, and the chain's stationary law.
  whole = prior.sample(len(stream), seed=SEED, mode='temporal')[0]
  values, vectors = np.linalg.eig(prior.transition_matrix.T)
  stationary = np.real(vectors[:, np.argmax(np.real(values))])
  stationary /= stationary.sum()
  np.testing.assert_allclose(occupancy(prior, stream),
                             occupancy(prior, whole), atol=0.12)
  np.testing.assert_allclose(np.sort(occupancy(prior, stream)),
                             np.sort(stationary), atol=0.15)
  np.testing.assert_allclose(stream.std(0), whole.std(0), rtol=0.25)


@pytest.mark.parametrize('name', ['gmm', 'hmm', 'conditional'])
def test_component_mode_keeps_the_first_blocks_component(fitted, controls,
                                                         name):
  prior = fitted[name]
  chosen = set()
  for seed in range(6):
    blocks = run_stream(prior, 'component', controls, [100] * 8, seed=seed)
    picks = set()
    for i, z in enumerate(blocks):
      if name == 'conditional':
        split = prior._prepared()  # pylint: disable=protected-access
        c = priors.condition_features(*(
            v for v in block_controls(prior, controls, 100 * i, 100).values()))
        c = np.clip(c, prior.condition_range[:, 0], prior.condition_range[:, 1])
        log_p = [gaussian.mvn_log_pdf(
            z, split['x_means'][k] + (c - split['c_means'][k]) @
            split['gain'][k].T, split['x_given_c_scale_tril'][k]).sum()
                 for k in range(prior.num_components)]
      else:
        log_p = [gaussian.mvn_log_pdf(z, prior.means[k],
                                      prior.scale_tril[k]).sum()
                 for k in range(prior.num_components)]
      picks.add(int(np.argmax(log_p)))
    assert len(picks) == 1, picks
    chosen |= picks
  assert len(chosen) > 1  # Different seeds, different components.


def test_network_blocks_with_lookahead_equal_one_sample(fitted, controls):
  prior = fitted['conditional_net']
  lengths = [37, 50, 1, 60, 52]
  total = sum(lengths)
  radius = prior.receptive_radius
  assert prior.stream(seed=0).lookahead_frames == radius == 7
  f0_hz, loudness_db = controls
  for mode in ('temporal', 'independent', 'mean'):
    whole = prior.sample(total, seed=SEED, mode=mode,
                         f0_hz=f0_hz[:total], loudness_db=loudness_db[:total])
    blocks = run_stream(prior, mode, controls, lengths, lookahead=True)
    # Equal but for float rounding: a convolution over another window length
    # and the AR recursion's blocks differ in the last bits.
    np.testing.assert_allclose(np.concatenate(blocks), whole[0], rtol=1e-5,
                               atol=1e-5)
    # Without the lookahead, only the last `radius` frames of each block
    # differ: they see the block's end as the clip's end.
    blind = np.concatenate(run_stream(prior, mode, controls, lengths))
    differs = np.abs(blind - whole[0]).max(-1) > 1e-4
    ends = np.cumsum(lengths)[:-1]
    near_end = np.zeros(total, bool)
    for end in ends:
      near_end[max(0, end - radius):end] = True
    assert not np.any(differs & ~near_end)
    assert np.any(differs)


def test_network_stream_has_the_residual_dynamics(fitted, controls):
  prior = fitted['conditional_net']
  lengths = [15] * 200
  blocks = run_stream(prior, 'temporal', controls, lengths, lookahead=True)
  f0_hz, loudness_db = controls
  mean, scale = prior.conditional_mean_and_scale(f0_hz[:3000],
                                                 loudness_db[:3000])
  # The standardised residuals move across block boundaries as within.
  e = (np.concatenate(blocks) - mean[0]) / scale[0]
  assert step_ratio(np.split(e, np.cumsum(lengths)[:-1])) == pytest.approx(
      1.0, abs=0.3)


# --------------------------------------------------------- (d) memory.
def own_bytes():
  """Bytes traced by tracemalloc in allocations made by ddsp_generative."""
  snapshot = tracemalloc.take_snapshot().filter_traces(
      [tracemalloc.Filter(True, '*/ddsp_generative/*')])
  return sum(stat.size for stat in snapshot.statistics('filename'))


@pytest.mark.parametrize('name,mode', CASES)
def test_memory_does_not_grow_with_calls(fitted, controls, name, mode):
  prior = fitted[name]
  stream = prior.stream(seed=SEED, mode=mode)
  n = 50

  def call(i):
    start = (i * n) % (len(controls[0]) - n)
    return stream.next(n, **block_controls(prior, controls, start, n))

  for i in range(5):
    call(i)
  state_bytes = stream.state_nbytes
  # A few hundred bytes at most (the network keeps its receptive radius of
  # controls, 7 frames here).
  assert state_bytes <= 8 * 4 * (prior.z_dims + 2 * 8) + 64
  tracemalloc.start()
  try:
    call(5)
    gc.collect()
    before = own_bytes()
    tracemalloc.reset_peak()
    for i in range(6, 18):
      call(i)
    peak = tracemalloc.get_traced_memory()[1]
    gc.collect()
    after = own_bytes()
  finally:
    tracemalloc.stop()
  # What the priors' own code keeps does not grow with the calls
  # (TensorFlow's eager caches fill during the first few hundred calls,
  # about 130 KB, then stay flat: not counted here).
  assert after - before < 8 * 1024, (before, after)
  # A call's working memory is about its block's, not the clip's.
  assert peak < 4 * 1024 * 1024, peak
  for i in range(18, 120):
    call(i)
  assert stream.state_nbytes == state_bytes
  assert stream.calls == 120 and stream.frames == 120 * n
