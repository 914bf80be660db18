# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""A prior over a multi-instrument model's timbre vectors, per instrument.

A multi-instrument model (`gin/multi_instrument.gin`) decodes from a per-clip
timbre vector: its instrument's learned embedding and a KL-regularised timbre
latent (`training.timbre.TimbreEncoder`). `TimbrePrior` is fitted on the
vectors of the training clips (`fit_timbre_prior`, or `fit` with
per-clip sequences carrying their 'instrument') and holds, per instrument,
the mean vector and the per-dimension spread of its clips, and the spread
pooled within instruments. It samples a clip's vector for the whole clip
(constant over its frames, as in training) in one of four modes:

* 'instrument' (default): a named instrument, `instrument='violin'`: its
  mean plus `temperature` times its own spread, drawn once per clip;
* 'blend': a fixed blend of instruments, `instruments=('violin', 'flute')`
  and `weights=(0.7, 0.3)`: the weighted means (embeddings and latents);
* 'morph': from the first instrument to the second along the clip
  (`instruments`, `morph_frames` long, then held): the vector's weight moves
  linearly, frame by frame;
* 'new': a new instrument, drawn from the prior: Dirichlet(`concentration`)
  weights over the instruments, the weighted mean plus the pooled spread.

It is saved as the other priors (kind='prior', type 'timbre', versioned JSON,
never a pickle) with the instrument names, and `describe()` records what a
clip used (its mode, instruments and weights) for the sample's sidecar.
"""

import numpy as np

from ddsp_generative.priors import base

SPREAD_FLOOR = 1e-4  # Smallest spread kept (a dimension constant per class).


@base.register_type('timbre')
class TimbrePrior(base.Prior):
  """Per-instrument Gaussians over timbre vectors; blends, morphs, draws."""

  SAMPLE_MODES = ('instrument', 'blend', 'morph', 'new')

  def __init__(self, default_mode='instrument', temperature=1.0,
               concentration=1.0):
    """Constructor.

    Args:
      default_mode: One of SAMPLE_MODES.
      temperature: Scale of the clip-to-clip spread drawn in 'instrument'
        and 'new' (0: the means exactly).
      concentration: Dirichlet concentration of the 'new' mode's weights
        (1: uniform over blends; small: near one instrument).

    Raises:
      ValueError: A negative temperature or a concentration <= 0.
    """
    super().__init__(default_mode)
    if not temperature >= 0 or not concentration > 0:
      raise ValueError('temperature must be >= 0 and concentration > 0; got '
                       f'{temperature}, {concentration}.')
    self.temperature = float(temperature)
    self.concentration = float(concentration)
    self.instruments = ()
    self.means = None  # [n_instruments, z_dims]
    self.spreads = None  # [n_instruments, z_dims]
    self.pooled_spread = None  # [z_dims]
    self.counts = None  # [n_instruments] clips fitted.
    # What the sampler asks for (`select`), used when sample/stream get no
    # mode options.
    self.selection = {}

  def get_config(self):
    return {'default_mode': self.default_mode,
            'temperature': self.temperature,
            'concentration': self.concentration}

  # ---------------------------------------------------------------- Fit.
  def _fit(self, frames, sequences, seed):
    del seed
    if sequences is None or any('instrument' not in s for s in sequences):
      raise base.PriorDataError(
          'A timbre prior is fitted on per-clip sequences, each with its '
          "'instrument' name: use fit_timbre_prior (ddsp_generative_"
          'fit_timbre_prior).')
    names = sorted({str(s['instrument']) for s in sequences})
    labels = np.concatenate([[names.index(str(s['instrument']))] * len(s['z'])
                             for s in sequences])
    means, spreads, counts = [], [], []
    for k in range(len(names)):
      x = frames[labels == k].astype(np.float64)
      means.append(x.mean(axis=0))
      spreads.append(np.maximum(x.std(axis=0), SPREAD_FLOOR))
      counts.append(len(x))
    self.instruments = tuple(names)
    self.means = np.array(means)
    self.spreads = np.array(spreads)
    counts = np.array(counts, np.float64)
    self.pooled_spread = np.maximum(
        np.sqrt((counts[:, None] * self.spreads**2).sum(0) / counts.sum()),
        SPREAD_FLOOR)
    self.counts = counts.astype(int)

  def _get_params(self):
    return {'instruments': list(self.instruments),
            'means': self.means.tolist(),
            'spreads': self.spreads.tolist(),
            'pooled_spread': self.pooled_spread.tolist(),
            'counts': [int(c) for c in self.counts]}

  def _checked_params(self, params):
    super()._checked_params(params)
    names = params.get('instruments')
    if (not isinstance(names, list) or not names or
        not all(isinstance(n, str) and n for n in names) or
        len(set(names)) != len(names)):
      raise base.InvalidPriorError(
          "parameter 'instruments' must be a list of distinct names")
    k, d = len(names), self.z_dims
    checked = {
        'instruments': tuple(names),
        'means': base.checked_array(params, 'means', [k, d]),
        'spreads': base.checked_array(params, 'spreads', [k, d]),
        'pooled_spread': base.checked_array(params, 'pooled_spread', [d]),
        'counts': base.checked_array(params, 'counts', [k], np.int64),
    }
    for name in ('spreads', 'pooled_spread', 'counts'):
      base.check_positive(name, checked[name])
    return checked

  def _set_params(self, params):
    checked = self._checked_params(params)
    self.instruments = checked['instruments']
    self.means = checked['means']
    self.spreads = checked['spreads']
    self.pooled_spread = checked['pooled_spread']
    self.counts = checked['counts']

  def _make_distribution(self):
    raise NotImplementedError(
        'A timbre prior has no density over frames: sample it.')

  # ------------------------------------------------------------ Choices.
  def index(self, name):
    """The index of an instrument name; ValueError naming the choices."""
    if name not in self.instruments:
      raise ValueError(f'Unknown instrument {name!r}: this model plays '
                       f'{", ".join(self.instruments)}.')
    return self.instruments.index(name)

  def weights_of(self, instruments, weights=None):
    """[n_instruments] weights of a blend (normalised to sum 1).

    Args:
      instruments: Names.
      weights: Their weights (>= 0, not all 0); None: equal.

    Returns:
      float64 [n_instruments].
    """
    instruments = list(instruments)
    weights = ([1.0] * len(instruments) if weights is None else
               [float(w) for w in weights])
    if not instruments or len(weights) != len(instruments):
      raise ValueError(f'Give one weight per instrument; got {instruments} '
                       f'and {weights}.')
    if min(weights) < 0 or sum(weights) <= 0 or not all(
        np.isfinite(weights)):
      raise ValueError(f'Blend weights must be >= 0 and not all 0; got '
                       f'{weights}.')
    out = np.zeros(len(self.instruments))
    for name, w in zip(instruments, weights):
      out[self.index(name)] += w
    return out / out.sum()

  def select(self, mode, **mode_kwargs):
    """Sets the mode and its options the sampler's streams use.

    Args:
      mode: One of SAMPLE_MODES.
      **mode_kwargs: Its options (instrument=, instruments=, weights=,
        morph_frames=); checked now.

    Returns:
      self.
    """
    self._check_mode(mode)
    self.default_mode = mode
    self.selection = dict(mode_kwargs)
    # Checks the names and weights at once (one clear line, not mid-run).
    getattr(self, f'_weights_{mode}')(np.random.default_rng(0),
                                      **self.selection)
    return self

  def describe(self, seed=None):
    """What a clip of this seed plays: mode, options and the weights."""
    mode = self.default_mode
    weights = getattr(self, f'_weights_{mode}')(
        base.numpy_rng(base.stateless_seed(seed)), **self.selection)
    return {'mode': mode, 'options': {k: (list(v) if isinstance(
        v, (tuple, list)) else v) for k, v in self.selection.items()},
            'instruments': list(self.instruments),
            'weights': [round(float(w), 6) for w in np.atleast_2d(
                weights)[0]],
            'end_weights': ([round(float(w), 6) for w in weights[-1]]
                            if np.ndim(weights) == 2 else None)}

  # ---------------------------------------------------------- Sampling.
  def _options(self, mode_kwargs):
    return dict(self.selection, **mode_kwargs)

  def _weights_instrument(self, rng, instrument=None, **unused):
    del rng
    if instrument is None:
      raise ValueError(
          f'Name the instrument: one of {", ".join(self.instruments)}.')
    return self.weights_of([instrument])

  def _weights_blend(self, rng, instruments=(), weights=None, **unused):
    del rng
    return self.weights_of(instruments, weights)

  def _weights_morph(self, rng, instruments=(), **unused):
    del rng
    if len(instruments) != 2:
      raise ValueError('A morph goes from one instrument to another: give '
                       f'two names; got {list(instruments)}.')
    return np.stack([self.weights_of(instruments[:1]),
                     self.weights_of(instruments[1:])])

  def _weights_new(self, rng, **unused):
    return rng.dirichlet(np.full(len(self.instruments), self.concentration))

  def _vector(self, weights, rng, spread):
    """A clip's vector: the weighted mean plus `temperature` x spread."""
    noise = rng.standard_normal(self.z_dims) * spread * self.temperature
    return weights @ self.means + noise

  def _clip(self, mode, n_frames, rng, first_frame=0, **options):
    """[n_frames, z_dims] of one clip from `first_frame` on."""
    weights = getattr(self, f'_weights_{mode}')(rng, **options)
    if mode == 'instrument':
      vector = self._vector(weights, rng, self.spreads[weights.argmax()])
    elif mode == 'new':
      vector = self._vector(weights, rng, self.pooled_spread)
    elif mode == 'blend':
      vector = weights @ self.means
    else:  # morph
      length = max(int(options.get('morph_frames') or n_frames), 1)
      t = np.clip((first_frame + np.arange(n_frames)) / max(length - 1, 1),
                  0.0, 1.0)[:, None]
      return (1 - t) * (weights[0] @ self.means) + t * (
          weights[1] @ self.means)
    return np.tile(vector, [n_frames, 1])

  def _sample_mode(self, mode, n_frames, batch_size, seed, mode_kwargs):
    options = self._options(mode_kwargs)
    rng = base.numpy_rng(seed)
    return np.stack([self._clip(mode, n_frames, rng, **options)
                     for _ in range(batch_size)])

  def _sample_instrument(self, n_frames, batch_size, seed, **mode_kwargs):
    return self._sample_mode('instrument', n_frames, batch_size, seed,
                             mode_kwargs)

  def _sample_blend(self, n_frames, batch_size, seed, **mode_kwargs):
    return self._sample_mode('blend', n_frames, batch_size, seed, mode_kwargs)

  def _sample_morph(self, n_frames, batch_size, seed, **mode_kwargs):
    return self._sample_mode('morph', n_frames, batch_size, seed, mode_kwargs)

  def _sample_new(self, n_frames, batch_size, seed, **mode_kwargs):
    return self._sample_mode('new', n_frames, batch_size, seed, mode_kwargs)

  def _stream_block(self, mode, n_frames, seed, state, conditions, lookahead,
                    **mode_kwargs):
    """One block: the clip's draw (made on the first block) carried on."""
    del conditions, lookahead
    if state is None:
      state = {'seed': seed, 'frame': 0}
    options = self._options(mode_kwargs)
    z = self._clip(mode, n_frames, base.numpy_rng(state['seed']),
                   first_frame=state['frame'], **options)
    return (np.asarray(z, np.float32),
            {'seed': state['seed'], 'frame': state['frame'] + n_frames})
