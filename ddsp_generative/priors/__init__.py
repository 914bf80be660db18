# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Priors over a DDSP autoencoder's latent z, to sample z with no input audio.

A `Prior` has a small contract (see `base`):

  prior.fit(z)                          # z: [N, z_dims] or per-example list
  z = prior.sample(n_frames, seed=0)    # [batch, n_frames, z_dims]
  prior.log_prob(z)                     # [N, z_dims] -> [N]
  prior.save('prior.json'); load_prior('prior.json')   # validated
  stream = prior.stream(seed=0)         # one long clip, block by block:
  z = stream.next(8192, **controls)     # [8192, z_dims], state carried

| type              | class                     | sampling modes (default *)        |
| ----------------- | ------------------------- | --------------------------------- |
| 'gmm'             | GaussianMixturePrior      | independent, component*           |
| 'hmm'             | HiddenMarkovPrior         | independent, component, temporal* |
| 'conditional'     | ConditionalMixturePrior   | independent, component, temporal* |
|                   |   (needs f0_hz, loudness_db)                                  |
| 'conditional_net' | ConditionalNetworkPrior   | temporal*, independent, mean      |
|                   |   (needs f0_hz, loudness_db)                                  |
| 'standard_normal' | StandardNormalPrior       | independent*                      |
| 'timbre'          | TimbrePrior (per clip, a  | instrument*, blend, morph, new    |
|                   |   multi-instrument model's timbre vector)                     |

Every class is registered with gin (`ddsp_generative.priors.<Class>`), saved
as versioned JSON (kind='prior', format_version=1, never a pickle) with its
z_dims and the fingerprint of the model whose z it was fitted on, and samples
deterministically for an integer seed. Loading (and fitting) validates every
parameter (shapes, finite, valid, stable dynamics): a bad file is refused in
one line (`InvalidPriorError`). `check_compatible` refuses a prior fitted on
z of another z_dims, frame rate or sample rate.
"""

# pylint: disable=unused-import,g-importing-member
from ddsp_generative.priors.base import as_frames
from ddsp_generative.priors.base import call_seed
from ddsp_generative.priors.base import check_compatible
from ddsp_generative.priors.base import FIT_HINT
from ddsp_generative.priors.base import FORMAT_VERSION
from ddsp_generative.priors.base import get_prior_class
from ddsp_generative.priors.base import InvalidPriorError
from ddsp_generative.priors.base import KIND
from ddsp_generative.priors.base import load_prior
from ddsp_generative.priors.base import Prior
from ddsp_generative.priors.base import prior_types
from ddsp_generative.priors.base import PriorDataError
from ddsp_generative.priors.base import PriorFitError
from ddsp_generative.priors.base import PriorMismatchError
from ddsp_generative.priors.base import PriorStream
from ddsp_generative.priors.base import REFIT_HINT
from ddsp_generative.priors.base import stateless_seed
from ddsp_generative.priors.base import SUPPORTED_VERSIONS
from ddsp_generative.priors.conditional import condition_features
from ddsp_generative.priors.conditional import ConditionalMixturePrior
from ddsp_generative.priors.gmm import COVARIANCE_TYPES
from ddsp_generative.priors.gmm import DEFAULT_CANDIDATE_N_COMPONENTS
from ddsp_generative.priors.gmm import fit_mixture
from ddsp_generative.priors.gmm import GaussianMixturePrior
from ddsp_generative.priors.hmm import HiddenMarkovPrior
from ddsp_generative.priors.markov import lag1_autocorrelation
from ddsp_generative.priors.network import ConditionalNetworkPrior
from ddsp_generative.priors.normal import StandardNormalPrior
from ddsp_generative.priors.timbre import TimbrePrior
