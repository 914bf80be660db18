# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Training tier: gin configurables and the gin search path.

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

from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top

gin_path.add_gin_search_paths()
