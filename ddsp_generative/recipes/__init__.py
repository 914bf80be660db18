# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Recipes: data sets and models made from nothing, by running the pipeline.

  synthetic              synthetic monophonic audio with ground-truth f0
  melodies               public-domain melodies (music21's corpus)
  render_midi            a rendered data set: melodies through FluidSynth
  pipeline_steps         run the pipeline's commands one after the other
  build_default_model    the embedded default model's recipe
"""
