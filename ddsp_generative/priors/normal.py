# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""N(0, I) over z frames: the prior a VAE encoder's z is trained towards."""

from ddsp_generative.priors import base
import gin
import numpy as np
import tensorflow_probability as tfp

tfd = tfp.distributions


@gin.register(module='ddsp_generative.priors')
@base.register_type('standard_normal')
class StandardNormalPrior(base.Prior):
  """N(0, I) over z frames: the prior of a VAE encoder's z."""

  def __init__(self, z_dims=None):
    """Constructor.

    Args:
      z_dims: z dimension; None takes it from the data given to `fit`.
    """
    super().__init__()
    self.z_dims = None if z_dims is None else int(z_dims)

  def get_config(self):
    return {'z_dims': self.z_dims}

  def _fit(self, frames, sequences, seed):
    del sequences, seed
    if self.z_dims is not None and frames.shape[1] != self.z_dims:
      raise base.PriorMismatchError(
          f'prior has z_dims={self.z_dims} but z has '
          f'z_dims={frames.shape[1]}.')

  def _make_distribution(self):
    return tfd.MultivariateNormalDiag(loc=np.zeros(self.z_dims, np.float64),
                                      scale_diag=np.ones(self.z_dims))
