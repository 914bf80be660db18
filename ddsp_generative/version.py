# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Package version and file-format versions of the artefacts it writes."""

__version__ = '0.1.0'
