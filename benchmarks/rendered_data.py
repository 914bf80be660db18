# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Rendered instrument data for the benchmarks, made once and reused."""

import glob
import json
import os

from ddsp_generative.recipes import render_midi

DEFAULT_DIR = '/tmp/ddsp_generative_bench'


def rendered(instrument, minutes, seed=0, data_dir=DEFAULT_DIR):
  """WAV paths of `minutes` of `instrument`, rendered unless already there.

  Args:
    instrument: A key of `render_midi.INSTRUMENTS`.
    minutes: Minutes of audio.
    seed: Render seed.
    data_dir: Parent folder; the files go to `<data_dir>/<instrument>_<minutes
      >min_seed<seed>/`.

  Returns:
    Sorted WAV paths (each with its `.f0.json` ground truth).
  """
  out = os.path.join(data_dir, f'{instrument}_{minutes:g}min_seed{seed}')
  manifest = os.path.join(out, render_midi.MANIFEST)
  if not os.path.exists(manifest):
    render_midi.render_dataset(out, instrument=instrument,
                                   minutes=minutes, seed=seed, overwrite=True)
  with open(manifest) as f:
    files = json.load(f)['files']
  paths = sorted(glob.glob(os.path.join(out, '*.wav')))
  assert len(paths) == len(files), f'{out} is incomplete: delete it.'
  return paths
