# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Seeds for TensorFlow's stateless random ops (priors and envelopes)."""

import numpy as np
import tensorflow as tf


def stateless_seed(seed=None):
  """An int32 [2] stateless seed from an int (fresh entropy for None)."""
  state = np.random.SeedSequence(seed).generate_state(2) & 0x7FFFFFFF
  return tf.constant(state.astype(np.int32))
