# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Synthetic monophonic "instrument" audio with ground-truth f0.

Notes with an ADSR envelope, vibrato and a fixed harmonic spectrum plus a
little breath noise: enough structure for a DDSP model to learn in minutes on
a CPU. Used by the quick-start demo and the tests; realistic datasets come
from the recipe in `datasets/`.
"""

import numpy as np

from ddsp_generative.core import units

# A C-major pentatonic range around A3-A5, in MIDI numbers.
DEFAULT_PITCHES = (57, 60, 62, 64, 67, 69, 72, 74, 76, 79, 81)


def adsr(n, sample_rate, attack=0.03, decay=0.1, sustain=0.7, release=0.08):
  """ADSR amplitude envelope of n samples (release inside the note)."""
  t = np.arange(n) / sample_rate
  dur = n / sample_rate
  env = np.full(n, sustain)
  a = t < attack
  env[a] = t[a] / attack
  d = (t >= attack) & (t < attack + decay)
  env[d] = 1.0 - (1.0 - sustain) * (t[d] - attack) / decay
  r = t > dur - release
  env[r] *= np.clip((dur - t[r]) / release, 0.0, 1.0)
  return env


def render_melody(pitches, durations, sample_rate=16000, n_harmonics=12,
                  rolloff=0.6, vibrato_hz=5.5, vibrato_cents=15.0,
                  noise_db=-35.0, gap_secs=0.0, seed=0):
  """Renders a monophonic melody.

  Args:
    pitches: MIDI pitches, one per note.
    durations: Seconds per note.
    sample_rate: Audio sample rate.
    n_harmonics: Harmonics per note (those above Nyquist are dropped).
    rolloff: Amplitude ratio between successive harmonics.
    vibrato_hz: Vibrato rate.
    vibrato_cents: Vibrato depth.
    noise_db: Level of the breath noise relative to the tone.
    gap_secs: Silence between notes.
    seed: Random seed (phases, noise).

  Returns:
    audio: [n_samples] float32 in [-1, 1].
    f0_hz: [n_samples] ground-truth f0 per sample (0 in gaps).
  """
  rng = np.random.default_rng(seed)
  audio_parts, f0_parts = [], []
  for pitch, dur in zip(pitches, durations):
    n = int(round(dur * sample_rate))
    t = np.arange(n) / sample_rate
    cents = vibrato_cents * np.sin(2 * np.pi * vibrato_hz * t) * np.clip(
        t / 0.3, 0.0, 1.0)
    f0 = units.midi_to_hz(pitch) * 2.0 ** (cents / 1200.0)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    env = adsr(n, sample_rate)
    note = np.zeros(n)
    for k in range(1, n_harmonics + 1):
      if k * f0.max() >= sample_rate / 2:
        break
      note += rolloff ** (k - 1) * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    note /= np.max(np.abs(note)) + 1e-9
    note += 10 ** (noise_db / 20.0) * rng.standard_normal(n)
    audio_parts.append(0.5 * env * note)
    f0_parts.append(f0)
    gap = int(round(gap_secs * sample_rate))
    if gap:
      audio_parts.append(np.zeros(gap))
      f0_parts.append(np.zeros(gap))
  audio = np.concatenate(audio_parts).astype(np.float32)
  return np.clip(audio, -1.0, 1.0), np.concatenate(f0_parts).astype(np.float32)


def random_melody(n_notes, seed=0, pitches=DEFAULT_PITCHES,
                  min_secs=0.25, max_secs=0.6):
  """Random pitches and durations for render_melody."""
  rng = np.random.default_rng(seed)
  return (rng.choice(pitches, size=n_notes).tolist(),
          rng.uniform(min_secs, max_secs, size=n_notes).tolist())


def write_dataset(directory, n_files=4, secs_per_file=8.0, sample_rate=16000,
                  seed=0):
  """Writes n_files WAV melodies; returns their paths."""
  import os  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  os.makedirs(directory, exist_ok=True)
  paths = []
  for i in range(n_files):
    n_notes = max(1, int(secs_per_file / 0.42))
    pitches, durations = random_melody(n_notes, seed=seed + i)
    audio, _ = render_melody(pitches, durations, sample_rate, seed=seed + i)
    path = os.path.join(directory, f'melody_{i:03d}.wav')
    audio_io.write_wav(path, audio, sample_rate)
    paths.append(path)
  return paths
