# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Training tier: gin configurables and the gin search path.

Registers with gin: `synths.FastHarmonic` (a faster, equivalent
`synths.Harmonic`), `models.CheckedAutoencoder` (ddsp's Autoencoder that
stops training on a non-finite feature or loss), `encoders.VaeMfccRnnEncoder`
and `models.VaeAutoencoder` (the KL-regularised z encoder and the checked
model that adds its KL to ddsp's losses), and `data.checked_tfrecord_provider`
(checks the TFRecords against the config before training), and
`timbre.TimbreEncoder` and `timbre.InstrumentTFRecordProvider` (the
multi-instrument model's instrument embedding and timbre latent, and the
provider reading each example's instrument id), and
`descriptors.DescriptorPreprocessor` (decoding from timbre descriptors besides
f0 and loudness: gin/harmonic_noise_descriptors.gin).

The gin files in `gin/` start with `import ddsp_generative.training`: importing
it registers this package's configurables with gin and adds the search paths
their `include` lines need (this package's directory, so that
`include 'gin/models/...'` works from anywhere, and ddsp's own gin folder), so
`ddsp_run` needs nothing but `--gin_file`.
"""

from ddsp_generative import environment

environment.require_ddsp()
environment.check_keras2()

import ddsp.training  # pylint: disable=g-import-not-at-top,unused-import,g-bad-import-order

# pylint: disable=g-import-not-at-top,unused-import
from ddsp_generative import gin_path
from ddsp_generative.core import synths  # FastHarmonic.
from ddsp_generative.training import data  # checked_tfrecord_provider.
from ddsp_generative.training import descriptors  # DescriptorPreprocessor.
from ddsp_generative.training import encoders  # VaeMfccRnnEncoder.
from ddsp_generative.training import models  # Checked/VaeAutoencoder.
from ddsp_generative.training import timbre  # TimbreEncoder, its provider.
# pylint: enable=g-import-not-at-top,unused-import

gin_path.add_gin_search_paths()
