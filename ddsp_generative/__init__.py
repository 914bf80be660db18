# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ddsp_generative: a generative model of instrument sound on top of DDSP.

Importing this package is cheap (no TensorFlow): it checks the Python version,
selects Keras 2 (`tf-keras`) for TensorFlow and makes CREPE optional, so that
`ddsp` imports without it. The installed `zz_ddsp_generative_env.pth` imports it at
interpreter start-up, so `ddsp_run` gets the same environment.

Library modules are imported explicitly, e.g. `from ddsp_generative import
priors`; `ddsp_generative.training` registers the gin configurables and the gin
search path used by the files in `gin/`.
"""

from ddsp_generative import environment
from ddsp_generative.version import __version__

environment.setup()
