# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Generated pitch and loudness envelopes: a conditional envelope VAE.

After report 003: a VAE over fixed-length (f0, loudness) windows (3 s at
250 Hz), trained on the controls of the same TFRecords as the DDSP model,
sampled at a requested MIDI pitch and interpolated in its latent space.

  data      TFRecords -> normalised windows ([n, n_frames, 2] + MIDI pitch)
  normalize the envelope scales (relative pitch, scaled loudness)
  model     EnvelopeVae (gin: EnvelopeVae): encode, decode, sample,
            interpolate, to_controls
  saving    save_model / load_model: HDF5 weights + versioned JSON
  training  train_envelope_vae, behind `ddsp_generative_train_envelopes`

Importing this package registers the gin names `EnvelopeVae` and
`train_envelope_vae` (module `ddsp_generative.envelopes`). The control source
that samples a trained envelope VAE for the sampler, `EnvelopeControl`, is in
`ddsp_generative.controls.envelope`.
"""

# pylint: disable=unused-import,g-importing-member
from ddsp_generative.envelopes.data import EnvelopeDataError
from ddsp_generative.envelopes.data import load_windows
from ddsp_generative.envelopes.data import make_dataset
from ddsp_generative.envelopes.data import read_controls
from ddsp_generative.envelopes.model import EnvelopeVae
from ddsp_generative.envelopes.model import slerp
from ddsp_generative.envelopes.normalize import normalize_window
from ddsp_generative.envelopes.normalize import to_controls
from ddsp_generative.envelopes.saving import load_model
from ddsp_generative.envelopes.saving import MODEL_JSON
from ddsp_generative.envelopes.saving import save_model
from ddsp_generative.envelopes.saving import WEIGHTS_FILE
from ddsp_generative.envelopes.training import train_envelope_vae
