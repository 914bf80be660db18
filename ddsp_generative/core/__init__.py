# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The core: what every other layer builds on, importing nothing above it.

  units       MIDI pitch, Hz, cents; the pitch range controls may ask for
  features    ddsp's feature constants and loudness on its frame grid
  audio_io    reading, resampling and writing audio files
  f0          offline f0 estimators (pYIN, YIN, optional CREPE)
  f0_truth    ground-truth f0 tracks saved beside audio
  synths      FastHarmonic, a faster drop-in for ddsp's Harmonic
  artifacts   versioned, atomically published files and their provenance
  errors      UserError: a problem the user fixes, reported in one line
  filesystem  local paths and remote URLs (fsspec), one API for all I/O
  tfrecords   reading ddsp's TFRecords and checking them against a model
  z_dataset   the z dataset's format (extract_z writes it, priors read it)
  prior_files the prior types and the check of a prior's output (no
              TensorFlow: commands check with it first)
  plotting    headless spectrogram figures
"""
