# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Sampling: controls + prior + decoder -> audio files.

  model_io       load a model trained by `ddsp_run`; run its encoder or
                 decoder alone
  streaming      chunked decoding with the decoder's state carried (any
                 length in bounded memory)
  sampler        the library behind `python -m ddsp_generative.sample`: WAV,
                 PNG and JSON per sample
  default_model  the embedded default model (its files sit beside it)
"""
