# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Data preparation: audio files -> TFRecords -> z datasets.

  prepare_tfrecord_lib     audio files -> ddsp's TFRecords and their metadata
  prepare_tfrecord_stages  its Beam stages (dict -> dict)
  prepare_tfrecord_write   its TFRecord writing and sharding
  extract_z_lib            a trained encoder over TFRecords -> z dataset
  extract_z_checks         its checks of flags and output (no Beam, no TF)
  beam_runner              both pipelines' options, local runner and counters
"""
