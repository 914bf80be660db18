# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Evaluation: how data preparation, models and priors measure up.

  metrics            audio and f0 metrics against real audio (NumPy, SciPy,
                     librosa)
  reconstruction     resynthesis of held-out audio by a trained model
  reconstruction_run one whole run of it: the model, the report (the command's
                     library)
  generation         audio generated with z from a prior, per sampling mode
  generation_report  its JSON, Markdown table and spectrogram grid
  generation_run     one whole run of it: model, priors, controls, report
  report_paths       where those two reports go, and the check of existing
                     ones (no heavy import: the commands check first)
  pitch              f0 estimators against ground-truth f0
  prior_figures      figures about priors over z
  prior_figure_files their file names and defaults (no heavy import)
  transcription      note-level check: basic-pitch (ONNX) notes against MIDI
"""
