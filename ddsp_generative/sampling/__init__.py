# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Sampling: controls + prior + decoder -> audio files.

  model_io       load a model trained by `ddsp_run`; run its encoder or
                 decoder alone
  streaming      chunked decoding with the decoder's state carried (any
                 length in bounded memory)
  sampler        controls + prior + decoder -> WAV, PNG and JSON per sample
  requests       what a run asks to play, as gin bindings (no TensorFlow)
  sample_run     one run of `python -m ddsp_generative.sample`: model,
                 prior, controls' config, the samples
  default_model  the embedded default model (its files sit beside it)
"""
