# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Hidden Markov chain machinery for the temporal priors (NumPy).

Batched over examples: sequences of different lengths are cut into chunks,
padded to [batch, time, ...] and masked. A padded frame gets the same
emission log likelihood (0) in every state, so it changes neither the
likelihood nor the posteriors of real frames.
"""

import bisect

import numpy as np
from scipy import special


def lag1_autocorrelation(sequences):
  """Lag-1 autocorrelation of each dimension, pooled over examples.

  Args:
    sequences: List of [n_frames, dims] arrays (or a [batch, n_frames, dims]
      array).

  Returns:
    float64 [dims]: sum over consecutive pairs of (x_t - m)(x_{t-1} - m)
    divided by the sum over all frames of (x_t - m)^2, with m the mean of
    all frames.
  """
  sequences = [np.asarray(s, np.float64) for s in sequences]
  mean = np.concatenate(sequences).mean(0)
  num = sum(((s[1:] - mean) * (s[:-1] - mean)).sum(0) for s in sequences)
  den = sum(((s - mean) ** 2).sum(0) for s in sequences)
  return num / np.maximum(den, 1e-300)


def make_batches(sequences, chunk_frames=None, batch_frames=200_000):
  """Cuts, groups and pads per-example arrays for the batched recursions.

  Args:
    sequences: List of dicts of arrays, each [n_frames, ...] with the same
      keys (e.g. 'z' [n_frames, z_dims], 'c' [n_frames, 2]).
    chunk_frames: Cut examples longer than this into chunks (None: never).
    batch_frames: Upper bound on batch * time of one batch (at least one
      chunk per batch).

  Returns:
    List of dicts: each key [batch, time, ...] float64 (zero padded) and
    'mask' bool [batch, time].
  """
  chunks = []
  for seq in sequences:
    n = len(next(iter(seq.values())))
    step = n if not chunk_frames else int(chunk_frames)
    for start in range(0, n, max(step, 1)):
      chunks.append({k: np.asarray(v[start:start + step], np.float64)
                     for k, v in seq.items()})
  chunks.sort(key=lambda c: -len(next(iter(c.values()))))
  batches, i = [], 0
  while i < len(chunks):
    t = len(next(iter(chunks[i].values())))
    b = max(1, int(batch_frames) // max(t, 1))
    group = chunks[i:i + b]
    i += len(group)
    batch = {}
    for key, value in group[0].items():
      out = np.zeros((len(group), t) + value.shape[1:], np.float64)
      for j, c in enumerate(group):
        out[j, :len(c[key])] = c[key]
      batch[key] = out
    mask = np.zeros([len(group), t], bool)
    for j, c in enumerate(group):
      mask[j, :len(next(iter(c.values())))] = True
    batch['mask'] = mask
    batches.append(batch)
  return batches


def _scaled_emissions(log_lik, mask):
  log_lik = np.where(mask[..., None], log_lik, 0.0)
  peak = log_lik.max(-1, keepdims=True)
  return np.exp(log_lik - peak), peak[..., 0]


def forward(log_lik, start_probs, transmat, mask):
  """Scaled forward recursion.

  Args:
    log_lik: [batch, time, K] emission log likelihoods.
    start_probs: [K] (or [batch, K]) probabilities of the first state.
    transmat: [K, K] transition probabilities, rows sum to 1.
    mask: bool [batch, time], True on real frames (a prefix of each row).

  Returns:
    (alpha [batch, time, K] filtered state probabilities, scale [batch,
    time], emissions [batch, time, K], log_likelihood [batch]).
  """
  emis, peak = _scaled_emissions(log_lik, mask)
  n_batch, n_time, k = emis.shape
  alpha = np.empty([n_batch, n_time, k])
  scale = np.empty([n_batch, n_time])
  a = np.broadcast_to(start_probs, [n_batch, k]) * emis[:, 0]
  for t in range(n_time):
    if t:
      a = (alpha[:, t - 1] @ transmat) * emis[:, t]
    s = a.sum(-1)
    s = np.where(s > 0, s, 1e-300)
    scale[:, t] = s
    alpha[:, t] = a / s[:, None]
  log_likelihood = ((np.log(scale) + peak) * mask).sum(-1)
  return alpha, scale, emis, log_likelihood


def forward_backward(log_lik, start_probs, transmat, mask):
  """State posteriors by the scaled forward-backward algorithm.

  Args:
    log_lik: [batch, time, K] emission log likelihoods.
    start_probs: [K] probabilities of the first state.
    transmat: [K, K] transition probabilities.
    mask: bool [batch, time].

  Returns:
    (gamma [batch, time, K] posteriors (0 on padding), xi_sum [K, K]
    expected transition counts, log_likelihood [batch]).
  """
  alpha, scale, emis, log_likelihood = forward(log_lik, start_probs,
                                               transmat, mask)
  n_batch, n_time, k = alpha.shape
  beta = np.empty_like(alpha)
  beta[:, -1] = 1.0
  for t in range(n_time - 2, -1, -1):
    beta[:, t] = ((emis[:, t + 1] * beta[:, t + 1]) @ transmat.T) / (
        scale[:, t + 1, None])
  gamma = alpha * beta * mask[..., None]
  gamma /= np.maximum(gamma.sum(-1, keepdims=True), 1e-300)
  if n_time > 1:
    nxt = emis[:, 1:] * beta[:, 1:] / scale[:, 1:, None] * (
        mask[:, 1:, None])
    xi_sum = transmat * np.einsum('bti,btj->ij', alpha[:, :-1], nxt)
  else:
    xi_sum = np.zeros([k, k])
  return gamma, xi_sum, log_likelihood


def sample_chain(rng, start_probs, transmat, n_frames, batch_size):
  """Samples state paths of a Markov chain.

  Args:
    rng: np.random.Generator.
    start_probs: [K] probabilities of the first state, or [batch_size, K]
      one row per path (e.g. the transition rows of the states a stream's
      previous block ended in).
    transmat: [K, K] transition probabilities.
    n_frames: Path length.
    batch_size: Number of paths.

  Returns:
    int64 [batch_size, n_frames].
  """
  start_probs = np.asarray(start_probs)
  k = start_probs.shape[-1]
  uniform = rng.random([batch_size, n_frames])
  cdf = np.cumsum(transmat, -1)
  states = np.empty([batch_size, n_frames], np.int64)
  if start_probs.ndim == 1:
    states[:, 0] = np.minimum(
        np.searchsorted(np.cumsum(start_probs), uniform[:, 0], side='right'),
        k - 1)
  else:
    states[:, 0] = np.minimum(
        (uniform[:, 0, None] >= np.cumsum(start_probs, -1)).sum(-1), k - 1)
  # A scalar loop per path: ~10x faster than indexing the batch per frame
  # for the usual batch of 1. Same draws: the state is the number of cdf
  # entries <= u.
  cdf_rows = cdf.tolist()
  for b in range(batch_size):
    state = int(states[b, 0])
    path = states[b]
    for t, u in enumerate(uniform[b, 1:].tolist(), start=1):
      state = min(bisect.bisect_right(cdf_rows[state], u), k - 1)
      path[t] = state
  return states


def sample_posterior_path(rng, log_lik, start_probs, transmat):
  """Forward filtering, backward sampling: s ~ p(states | emissions).

  Args:
    rng: np.random.Generator.
    log_lik: [batch, time, K] emission log likelihoods.
    start_probs: [K] probabilities of the first state.
    transmat: [K, K] transition probabilities.

  Returns:
    int64 [batch, time] state paths.
  """
  mask = np.ones(log_lik.shape[:2], bool)
  alpha, _, _, _ = forward(log_lik, start_probs, transmat, mask)
  n_batch, n_time, k = alpha.shape
  uniform = rng.random([n_batch, n_time])
  states = np.empty([n_batch, n_time], np.int64)

  def draw(probs, u):
    probs = probs / probs.sum(-1, keepdims=True)
    return np.minimum((u[:, None] >= np.cumsum(probs, -1)).sum(-1), k - 1)

  states[:, -1] = draw(alpha[:, -1], uniform[:, -1])
  for t in range(n_time - 2, -1, -1):
    states[:, t] = draw(alpha[:, t] * transmat[:, states[:, t + 1]].T,
                        uniform[:, t])
  return states


def log_normalize(log_weights, axis=-1):
  """log_weights - logsumexp(log_weights) along axis."""
  return log_weights - special.logsumexp(log_weights, axis=axis,
                                         keepdims=True)


def linear_recursion(x0, a, b):
  """x_t = x_{t-1} a_t + b_t for t = 1..T, by a parallel prefix scan.

  The affine maps (a_t, b_t) compose associatively ((a1, b1) then (a2, b2) is
  (a1 a2, b1 a2 + b2)), so all T prefixes take log2(T) rounds of batched
  matrix products (Hillis-Steele) instead of T sequential vector-matrix
  products in Python: about 10x faster for 1,000 frames. Equal to the
  sequential recursion up to float rounding.

  Args:
    x0: [dims] the state before the first step.
    a: [T, dims, dims] per-step matrices (row-vector convention).
    b: [T, dims] per-step offsets.

  Returns:
    [T, dims]: x_1 ... x_T.
  """
  a = np.array(a, np.float64)
  b = np.array(b, np.float64)
  shift = 1
  while shift < len(a):
    # Element t absorbs the composition of the `shift` steps before it.
    b[shift:] = np.einsum('ti,tio->to', b[:-shift], a[shift:]) + b[shift:]
    a[shift:] = a[:-shift] @ a[shift:]
    shift *= 2
  return np.einsum('i,tio->to', x0, a) + b


def constant_linear_recursion(x0, a, b, block=64):
  """x_t = x_{t-1} a + b_t for t = 1..T with one matrix a, block by block.

  Within a block of `block` steps the result is x_start a^j plus a
  convolution of the offsets with the powers of a: one matrix product for
  all blocks at once (a block-Toeplitz [block * dims, block * dims] matrix),
  then the blocks' start states in a loop over T / block blocks. Equal to
  the sequential recursion up to float rounding; for 16,000 frames about
  20x (8 dims) to 40x (16 dims) faster than `linear_recursion` (which allows
  a different matrix per step).

  Args:
    x0: [..., dims] the state before the first step.
    a: [dims, dims] the matrix (row-vector convention).
    b: [..., T, dims] per-step offsets (leading dims as x0's).
    block: Steps per block.

  Returns:
    [..., T, dims]: x_1 ... x_T (float64).
  """
  x0 = np.asarray(x0, np.float64)
  a = np.asarray(a, np.float64)
  b = np.asarray(b, np.float64)
  lead, n_steps, dims = b.shape[:-2], b.shape[-2], b.shape[-1]
  if n_steps == 0:
    return b.copy()
  block = int(max(1, min(block, n_steps)))
  n_blocks = -(-n_steps // block)
  powers = np.empty([block + 1, dims, dims])  # a^0 ... a^block.
  powers[0] = np.eye(dims)
  for j in range(1, block + 1):
    powers[j] = powers[j - 1] @ a
  # toeplitz[i, :, j, :] = a^(j - i) for i <= j (offset i reaches step j).
  lag = np.arange(block)[None, :] - np.arange(block)[:, None]
  toeplitz = powers[np.clip(lag, 0, block)] * (lag >= 0)[..., None, None]
  toeplitz = toeplitz.transpose(0, 2, 1, 3).reshape(block * dims,
                                                     block * dims)
  padded = np.zeros(lead + (n_blocks * block, dims))
  padded[..., :n_steps, :] = b
  particular = (padded.reshape(lead + (n_blocks, block * dims)) @ toeplitz
                ).reshape(lead + (n_blocks, block, dims))
  starts = np.empty(lead + (n_blocks, dims))
  state = np.broadcast_to(x0, lead + (dims,))
  for k in range(n_blocks):
    starts[..., k, :] = state
    state = state @ powers[block] + particular[..., k, -1, :]
  x = particular + np.einsum('...kd,jde->...kje', starts, powers[1:])
  return x.reshape(lead + (n_blocks * block, dims))[..., :n_steps, :]
