"""Synthetic z sequences with known structure, for the prior tests.

Real structure, small sizes: components that persist for ~50 frames, AR(1)
noise with a different lag-1 correlation per dimension, and (for the
conditional prior) z that depends on pitch and loudness.
"""

import numpy as np

from ddsp_generative.core.units import midi_to_hz  # pylint: disable=g-importing-member,unused-import

CENTERS = np.array([[2., 0., 0., 0.],
                    [0., 2., 0., 0.],
                    [0., 0., 2., 2.]])
RHO = np.array([0.95, 0.8, 0.5, 0.2])
STAY = 0.98
# z's dependence on the controls: z += PITCH_GAIN * (midi - 60) / 12 +
# LOUDNESS_GAIN * (loudness_db + 30) / 10.
PITCH_GAIN = np.array([1.5, -1.0, 0.0, 0.5])
LOUDNESS_GAIN = np.array([0.0, 0.5, 1.0, 0.0])


def sticky_path(rng, n_frames, n_states, stay=STAY):
  """A Markov chain path that stays put with probability `stay`."""
  path = [rng.integers(n_states)]
  for _ in range(n_frames - 1):
    path.append(path[-1] if rng.random() < stay else rng.integers(n_states))
  return np.array(path)


def ar_noise(rng, n_frames, rho=RHO, scale=1.0):
  """[n_frames, dims] stationary AR(1) noise, unit variance times scale."""
  noise = np.zeros([n_frames, len(rho)])
  r = rng.normal(size=len(rho))
  for t in range(n_frames):
    r = rho * r + np.sqrt(1.0 - rho ** 2) * rng.normal(size=len(rho))
    noise[t] = scale * r
  return noise


def temporal_examples(n_examples=20, n_frames=300, seed=0):
  """Examples whose z visits CENTERS with sticky switches and AR(1) noise."""
  rng = np.random.default_rng(seed)
  examples = []
  for _ in range(n_examples):
    path = sticky_path(rng, n_frames, len(CENTERS))
    z = CENTERS[path] + ar_noise(rng, n_frames)
    examples.append({'z': z.astype(np.float32),
                     'f0_hz': np.full(n_frames, 220.0, np.float32),
                     'loudness_db': np.full(n_frames, -30.0, np.float32)})
  return examples


def control_dependence(midi, loudness_db):
  """The mean shift of z for given controls: [...] -> [..., 4]."""
  return (PITCH_GAIN * ((np.asarray(midi)[..., None] - 60.0) / 12.0) +
          LOUDNESS_GAIN * ((np.asarray(loudness_db)[..., None] + 30.0) /
                           10.0))


def conditional_examples(n_examples=24, n_frames=300, seed=0):
  """Notes of random pitch (MIDI 48-72) and loudness; z follows both.

  z = 0.5 * CENTERS[register] + control_dependence(midi, loudness) + 0.3 AR
  noise, with register 0/1/2 for low/middle/high notes: so both the mixture
  component and the mean within it depend on pitch.
  """
  rng = np.random.default_rng(seed)
  examples = []
  for _ in range(n_examples):
    midi, loudness = [], []
    while len(midi) < n_frames:
      length = rng.integers(30, 80)
      midi += [rng.uniform(48, 72)] * length
      loudness += list(rng.uniform(-45, -15) + np.linspace(0, -5, length))
    midi = np.array(midi[:n_frames]) + 0.1 * rng.normal(size=n_frames)
    loudness = np.array(loudness[:n_frames])
    register = np.digitize(midi, [56.0, 64.0])
    z = (0.5 * CENTERS[register] + control_dependence(midi, loudness) +
         ar_noise(rng, n_frames, scale=0.3))
    examples.append({'z': z.astype(np.float32),
                     'f0_hz': midi_to_hz(midi).astype(np.float32),
                     'loudness_db': loudness.astype(np.float32)})
  return examples


def conditional_mean(midi, loudness_db):
  """E[z | midi, loudness] of `conditional_examples` (noise has mean 0)."""
  register = np.digitize(np.asarray(midi), [56.0, 64.0])
  return 0.5 * CENTERS[register] + control_dependence(midi, loudness_db)
