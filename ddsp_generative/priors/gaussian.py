# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Closed-form Gaussian helpers (NumPy, float64) shared by the priors."""

import numpy as np

LOG_2PI = np.log(2.0 * np.pi)


def safe_cholesky(cov, jitter=1e-9):
  """Cholesky factors of [..., D, D] covariances, adding jitter if needed."""
  cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
  eye = np.eye(cov.shape[-1])
  scale = np.maximum(np.trace(cov, axis1=-2, axis2=-1)[..., None, None] /
                     max(cov.shape[-1], 1), 1e-300)
  for attempt in range(8):
    try:
      return np.linalg.cholesky(cov + (jitter * 10.0 ** attempt * scale *
                                       eye if attempt else 0.0))
    except np.linalg.LinAlgError:
      continue
  raise np.linalg.LinAlgError('Covariance is not positive definite.')


def mvn_log_pdf(x, mean, scale_tril):
  """log N(x; mean, L L^T) for one Gaussian.

  Args:
    x: [..., D].
    mean: [..., D] (broadcast against x).
    scale_tril: [D, D] lower-triangular Cholesky factor.

  Returns:
    float64 [...].
  """
  d = scale_tril.shape[-1]
  residual = np.asarray(x, np.float64) - mean
  shape = residual.shape[:-1]
  if d == 0:
    return np.zeros(shape)
  # Whitening by the (small) inverse factor: one matrix product, fast for
  # many frames.
  inv_tril = np.linalg.inv(scale_tril)
  white = residual.reshape(-1, d) @ inv_tril.T
  log_det = np.log(np.abs(np.diag(scale_tril))).sum()
  return (-0.5 * (white ** 2).sum(-1) - log_det - 0.5 * d * LOG_2PI).reshape(
      shape)


def condition(means, scale_tril, n_first):
  """Splits joint Gaussians over [x, c] into p(c) and p(x | c).

  For each component, with mean [mu_x, mu_c] and covariance
  [[S_xx, S_xc], [S_cx, S_cc]]:
    c ~ N(mu_c, S_cc);  x | c ~ N(mu_x + G (c - mu_c), S_xx - G S_cx)
  with the gain G = S_xc S_cc^-1.

  Args:
    means: [K, D] joint means.
    scale_tril: [K, D, D] Cholesky factors of the joint covariances.
    n_first: Size of x (the first n_first dimensions).

  Returns:
    dict: 'x_means' [K, dx], 'c_means' [K, dc], 'c_scale_tril' [K, dc, dc],
    'gain' [K, dx, dc], 'x_given_c_scale_tril' [K, dx, dx].
  """
  d = n_first
  cov = scale_tril @ np.swapaxes(scale_tril, -1, -2)
  s_xx, s_xc, s_cc = cov[:, :d, :d], cov[:, :d, d:], cov[:, d:, d:]
  if s_cc.shape[-1]:
    gain = np.swapaxes(np.linalg.solve(s_cc, np.swapaxes(s_xc, -1, -2)),
                       -1, -2)
  else:
    gain = np.zeros(s_xc.shape)
  cond_cov = s_xx - gain @ np.swapaxes(s_xc, -1, -2)
  return {
      'x_means': means[:, :d],
      'c_means': means[:, d:],
      'c_scale_tril': safe_cholesky(s_cc) if s_cc.shape[-1] else s_cc,
      'gain': gain,
      'x_given_c_scale_tril': safe_cholesky(cond_cov),
  }


def spectral_radius(matrix):
  """Largest absolute eigenvalue of a square matrix."""
  if matrix.size == 0:
    return 0.0
  return float(np.max(np.abs(np.linalg.eigvals(matrix))))
