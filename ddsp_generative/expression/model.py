# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ExpressionVae: notes -> how they are played (f0 deviation and loudness).

A conditional VAE with one latent vector per note, after the "second model
which learns to generate envelopes of pitch and velocity given a sequence
of midi notes" of report 003:

  context [b, t, N_CONTEXT] (`context.features`: where in its note each
  frame is, the note's pitch and level, the intervals from and to its
  neighbours, legato or not)

  encoder: concat(context, targets, f0 mask) -> bidirectional GRU(units)
           -> mean over each note's frames -> Dense -> z_mean, z_logvar
           [b, max_notes, latent_dims]
  decoder: concat(context, z of each frame's note) -> GRU(units)
           -> Dense(units, relu) -> Dense(4): a smooth f0 deviation, the
           scaled loudness, a vibrato depth and rate per frame; each
           note's vibrato phase starts at an angle from its z (Dense(2) ->
           atan2) and advances by the rate:
           deviation = smooth + depth * sin(2 pi (phase_k + sum of rate /
           model_rate since the note began))

The vibrato is structure, not left to the GRU: a per-frame squared error
on an oscillation whose phase varies from note to note averages to no
oscillation at all (an unstructured decoder learned none: 0.5 cents of
depth against the recordings' 11); with the phase from z (a random angle
when sampling) and the depth and rate as smooth curves, it is learned as a
curve like the others.

The decoder is causal (a unidirectional GRU over the context and the notes'
latents), so it can run block by block with its state carried. Sampling
draws each note's z from N(0, temperature^2 I): the same notes played again
with another seed vary in attack, vibrato and dynamics as the training
notes do.

Loss per window: masked squared error of the f0 deviation (frames with a
confident f0 only) + squared error of the loudness, summed over frames,
+ beta * KL(q(z|x) || N(0, I)) summed over the window's notes. Trained
with measured vibrato (`vibrato.targets`, the default of
`training.train_expression_vae`), the held notes' f0 term is on the smooth
curve and their depth and rate curves are fitted to the measured ones, so
the phase is free (a random phase does not shrink the depth). Likewise,
trained with measured transitions (`transitions.targets`), each legato
transition's loudness dip (the mean of the model's loudness over the 100
ms before the release minus its minimum within 50 ms of the next onset) is
fitted to the measured one with weight `dip_weight`: a squared error on
frames averages dips whose timing varies into a shallower one.
"""

import gin
import numpy as np
import tensorflow as tf

from ddsp_generative.expression import context

tfkl = tf.keras.layers
VIBRATO_MIN_HZ = 3.0
VIBRATO_MAX_HZ = 10.0
# The measured-vibrato loss (`losses_of`): the rate counts where the
# measured depth is at least this (semitones), with this weight.
MIN_VIBRATO_DEPTH = 0.02
VIBRATO_RATE_WEIGHT = 0.1
# The measured-dip term's weight: a 3 dB error on one transition costs
# about what 1.5 dB of loudness error on each of 50 frames does.
DIP_WEIGHT = 10.0


@gin.configurable(module='ddsp_generative.expression')
class ExpressionVae(tf.keras.Model):
  """Conditional VAE over note-level expression (see module docstring)."""

  def __init__(self, units=128, latent_dims=8, max_notes=64, beta=0.05,
               hop=2, frame_rate=250, dip_weight=DIP_WEIGHT,
               name='expression_vae'):
    """Builds the layers.

    Args:
      units: Width of the GRUs and the decoder's hidden layer.
      latent_dims: Size of each note's z.
      max_notes: Notes per training window (later ones share the last id).
      beta: Weight of the KL term.
      hop: Control frames per model frame (2: 125 Hz at 250 Hz).
      frame_rate: The controls' frame rate (Hz).
      dip_weight: Weight of the measured-dip term (`losses_of`), per
        transition, in squared `context.scale_loudness` units.
      name: Keras name.
    """
    super().__init__(name=name)
    self.units, self.latent_dims, self.max_notes = units, latent_dims, (
        max_notes)
    self.beta, self.hop, self.frame_rate = beta, hop, frame_rate
    self.dip_weight = float(dip_weight)
    self.encoder_rnn = tfkl.Bidirectional(
        tfkl.GRU(units, return_sequences=True), name='encoder_rnn')
    self.to_latent = tfkl.Dense(2 * latent_dims, name='to_latent')
    self.decoder_rnn = tfkl.GRU(units, return_sequences=True,
                                return_state=True, name='decoder_rnn')
    self.hidden = tfkl.Dense(units, activation='relu', name='hidden')
    self.out = tfkl.Dense(4, name='out')
    self.to_phase = tfkl.Dense(2, name='to_phase')

  def get_config(self):
    return dict(units=self.units, latent_dims=self.latent_dims,
                max_notes=self.max_notes, beta=self.beta, hop=self.hop,
                frame_rate=self.frame_rate, dip_weight=self.dip_weight)

  @property
  def model_rate(self):
    """Model frames per second."""
    return self.frame_rate / self.hop

  def encode(self, ctx, targets, mask, note_ids):
    """Posterior of each note's z.

    Args:
      ctx: [b, t, N_CONTEXT].
      targets: [b, t, 2].
      mask: [b, t] f0 mask.
      note_ids: int [b, t] in [0, max_notes).

    Returns:
      (z_mean, z_logvar), each [b, max_notes, latent_dims]; notes with no
      frame in the window get 0 (a prior-like posterior).
    """
    x = tf.concat([ctx, targets * tf.stack([mask, tf.ones_like(mask)], -1),
                   mask[..., tf.newaxis]], axis=-1)
    h = self.encoder_rnn(x)
    b = tf.shape(h)[0]
    ids = note_ids + self.max_notes * tf.range(b)[:, tf.newaxis]
    pooled = tf.math.unsorted_segment_mean(
        tf.reshape(h, [-1, 2 * self.units]), tf.reshape(ids, [-1]),
        b * self.max_notes)
    stats = self.to_latent(tf.reshape(pooled, [b, self.max_notes,
                                               2 * self.units]))
    z_mean, z_logvar = tf.split(stats, 2, axis=-1)
    return z_mean, tf.clip_by_value(z_logvar, -10.0, 5.0)

  def decode(self, ctx, z, note_ids, state=None, parts=False):
    """Per-frame outputs from the context and each note's z.

    Args:
      ctx: [b, t, N_CONTEXT].
      z: [b, max_notes, latent_dims] (or [b, n, latent_dims] with note_ids
        in [0, n)).
      note_ids: int [b, t], non-decreasing along t.
      state: None, or the state returned for the previous block of the
        same sequence: (GRU state [b, units], the last frame's note id [b],
        its vibrato cycles so far [b]).
      parts: Also return the smooth deviation, vibrato depth (semitones)
        and rate (Hz), each [b, t].

    Returns:
      (outputs [b, t, 2]: f0 deviation in semitones and scaled loudness,
      the state after the block), and with parts the dict of the parts.
    """
    z_frames = tf.gather(z, note_ids, batch_dims=1)
    x = tf.concat([ctx, z_frames], axis=-1)
    gru_state, last_id, last_cycles = (None, None, None) if state is None \
        else state
    h, gru_state = self.decoder_rnn(x, initial_state=gru_state)
    raw = self.out(self.hidden(h))
    smooth, loudness = raw[..., 0], raw[..., 1]
    depth = tf.nn.softplus(raw[..., 2]) / 10.0  # Semitones.
    rate = VIBRATO_MIN_HZ + (VIBRATO_MAX_HZ - VIBRATO_MIN_HZ) * tf.sigmoid(
        raw[..., 3])
    step = rate / self.model_rate  # Cycles per model frame.
    cum = tf.cumsum(step, axis=1, exclusive=True)
    b, t = tf.shape(note_ids)[0], tf.shape(note_ids)[1]
    # Each frame's note began at the first frame of its id in this block;
    # cum does not decrease, so its minimum over a note is its value there.
    seg = note_ids - note_ids[:, :1] + t * tf.range(b)[:, tf.newaxis]
    first = tf.math.unsorted_segment_min(
        tf.reshape(cum, [-1]), tf.reshape(seg, [-1]), b * t)
    base = tf.reshape(tf.gather(first, tf.reshape(seg, [-1])), [b, t])
    cycles = cum - base
    if last_id is not None:  # The note going on from the previous block.
      going_on = tf.cast(note_ids == last_id[:, tf.newaxis], tf.float32)
      cycles = cycles + going_on * last_cycles[:, tf.newaxis]
    angle = self.to_phase(z_frames)
    phase0 = tf.atan2(angle[..., 1], angle[..., 0] + 1e-6)
    deviation = smooth + depth * tf.sin(phase0 + 2.0 * np.pi * cycles)
    new_state = (gru_state, note_ids[:, -1], cycles[:, -1] + step[:, -1])
    outputs = tf.stack([deviation, loudness], axis=-1)
    if parts:
      return outputs, new_state, {'smooth': smooth, 'depth': depth,
                                  'rate': rate}
    return outputs, new_state

  def call(self, inputs, noise=None):
    """(ctx, targets, mask, note_ids) -> (outputs, z_mean, z_logvar).

    Args:
      inputs: The four tensors of `encode`.
      noise: Optional [b, max_notes, latent_dims] standard normal draws: z
        is sampled from the posterior with them (training); None: z is the
        posterior mean.
    """
    ctx, targets, mask, note_ids = inputs[:4]
    z_mean, z_logvar = self.encode(ctx, targets, mask, note_ids)
    z = z_mean
    if noise is not None:
      z = z + tf.exp(0.5 * z_logvar) * noise
    outputs, _ = self.decode(ctx, z, note_ids)
    return outputs, z_mean, z_logvar

  def losses_of(self, inputs, noise=None):
    """{'total', 'f0', 'loudness', 'kl', 'vibrato', 'dip'}: window means.

    Args:
      inputs: (ctx, targets, mask, note_ids) and optionally the measured
        vibrato [b, t, vibrato.N_TARGETS] (`vibrato.targets`). With it, the
        f0 term compares the smooth curve with the measured smooth f0 on
        the frames that have a measurement (the full deviation elsewhere),
        and the 'vibrato' term the depth and rate curves with the measured
        ones (VIBRATO_RATE_WEIGHT for the rate, in units of the band,
        where the measured depth is at least MIN_VIBRATO_DEPTH); and
        optionally then the measured dips [b, t, transitions.N_TARGETS]
        (`transitions.window`): the 'dip' term is the squared difference of
        the model's and the measured dip summed over the window's
        transitions, weighted by dip_weight.
      noise: As for `call`.
    """
    ctx, targets, mask, note_ids = inputs[:4]
    measured = inputs[4] if len(inputs) > 4 else None
    dips = inputs[5] if len(inputs) > 5 else None
    z_mean, z_logvar = self.encode(ctx, targets, mask, note_ids)
    z = z_mean
    if noise is not None:
      z = z + tf.exp(0.5 * z_logvar) * noise
    outputs, _, parts = self.decode(ctx, z, note_ids, parts=True)
    error = tf.square(outputs - targets)
    vibrato = tf.zeros([])
    f0_error = error[..., 0]
    if measured is not None:
      weight = measured[..., 3]
      f0_error = (weight * tf.square(parts['smooth'] - measured[..., 0]) +
                  (1.0 - weight) * f0_error)
      band = VIBRATO_MAX_HZ - VIBRATO_MIN_HZ
      rated = weight * tf.cast(measured[..., 1] >= MIN_VIBRATO_DEPTH,
                               tf.float32)
      vibrato = tf.reduce_mean(tf.reduce_sum(
          weight * tf.square(parts['depth'] - measured[..., 1]) +
          VIBRATO_RATE_WEIGHT * rated * tf.square(
              (parts['rate'] - measured[..., 2]) / band), axis=1))
    f0 = tf.reduce_mean(tf.reduce_sum(f0_error * mask, axis=1))
    loudness = tf.reduce_mean(tf.reduce_sum(error[..., 1], axis=1))
    # Only the notes that have frames in the window.
    b = tf.shape(note_ids)[0]
    ids = note_ids + self.max_notes * tf.range(b)[:, tf.newaxis]
    counts = tf.math.unsorted_segment_sum(
        tf.ones_like(tf.reshape(ids, [-1]), tf.float32),
        tf.reshape(ids, [-1]), b * self.max_notes)
    present = tf.reshape(tf.cast(counts > 0, tf.float32),
                         [b, self.max_notes])
    kl = 0.5 * tf.reduce_sum(
        tf.exp(z_logvar) + tf.square(z_mean) - 1.0 - z_logvar, axis=-1)
    kl = tf.reduce_mean(tf.reduce_sum(kl * present, axis=1))
    dip = tf.zeros([])
    if dips is not None:
      dip = self._dip_error(outputs[..., 1], dips)
    total = f0 + loudness + self.beta * kl + vibrato + self.dip_weight * dip
    return {'total': total, 'f0': f0, 'loudness': loudness, 'kl': kl,
            'vibrato': vibrato, 'dip': dip}

  def _dip_error(self, loudness, dips):
    """Squared dip error summed over each window's transitions, mean.

    Args:
      loudness: [b, t] the model's scaled loudness.
      dips: [b, t, 3] before id, around id, measured dip (scaled units).
    """
    b = tf.shape(loudness)[0]
    n = b * self.max_notes
    offset = self.max_notes * tf.range(b)[:, tf.newaxis]
    flat = tf.reshape(loudness, [-1])
    before = tf.reshape(tf.cast(dips[..., 0], tf.int32) + offset, [-1])
    around = tf.reshape(tf.cast(dips[..., 1], tf.int32) + offset, [-1])
    level = tf.math.unsorted_segment_mean(flat, before, n)
    lowest = tf.math.unsorted_segment_min(flat, around, n)
    target = tf.math.unsorted_segment_max(tf.reshape(dips[..., 2], [-1]),
                                          around, n)
    ones = tf.ones_like(flat)
    present = tf.cast(
        (tf.math.unsorted_segment_sum(ones, before, n) > 0) &
        (tf.math.unsorted_segment_sum(ones, around, n) > 0), tf.float32)
    # Segment 0 of each window collects the frames of no transition.
    present *= tf.cast(tf.range(n) % self.max_notes > 0, tf.float32)
    # Empty segments hold +-inf (min, max): zero them before the product.
    error = tf.where(present > 0, level - lowest - target, 0.0)
    return tf.reduce_sum(present * tf.square(error)) / tf.cast(b, tf.float32)

  def sample_latents(self, n_notes, seed, temperature=1.0):
    """[1, n_notes, latent_dims] z drawn from N(0, temperature^2 I)."""
    return temperature * tf.random.stateless_normal(
        [1, max(n_notes, 1), self.latent_dims], seed=seed)

  def build_for_weights(self):
    """Runs the layers once so that weights exist (before loading them)."""
    n = 4
    ctx = tf.zeros([1, n, context.N_CONTEXT])
    self((ctx, tf.zeros([1, n, 2]), tf.zeros([1, n]),
          tf.zeros([1, n], tf.int32)))
