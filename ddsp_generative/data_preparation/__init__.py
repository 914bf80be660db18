# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Data preparation: audio files -> TFRecords -> z datasets."""
