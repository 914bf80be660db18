# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Variable-order Markov models of symbol sequences (Witten-Bell smoothing).

The n-gram scheme of IDyOM's melody models (Pearce 2005): counts of what
followed every context up to `order` symbols, interpolated from the longest
context down to a uniform distribution, so every symbol keeps a non-zero
probability. Tables serialise to plain lists (`to_json` / `from_json`).
"""

import numpy as np

START = -1  # Context padding before a sequence's first symbol.


class MarkovTable:
  """A variable-order Markov model with Witten-Bell interpolation.

  P(s | h) = (c(h, s) + T(h) P(s | h')) / (c(h) + T(h)), where h' is h
  without its oldest symbol, c counts what followed h in training, T(h) is
  the number of different symbols that did, and below order 0 the
  distribution is uniform over the alphabet.
  """

  def __init__(self, alphabet_size, order, counts=None):
    """A table.

    Args:
      alphabet_size: Symbols are 0 .. alphabet_size - 1.
      order: Longest context used.
      counts: {context tuple: {symbol: count}} (`fit` fills it).
    """
    self.alphabet_size = int(alphabet_size)
    self.order = int(order)
    self.counts = counts if counts is not None else {}

  def fit(self, sequences):
    """Counts every symbol after its contexts of order 0 .. order."""
    for seq in sequences:
      padded = [START] * self.order + list(seq)
      for i in range(self.order, len(padded)):
        for k in range(self.order + 1):
          context = tuple(padded[i - k:i])
          row = self.counts.setdefault(context, {})
          row[padded[i]] = row.get(padded[i], 0) + 1
    return self

  def probabilities(self, history):
    """[alphabet_size] P(next | the last `order` symbols of history)."""
    padded = [START] * self.order + list(history)
    p = np.full(self.alphabet_size, 1.0 / self.alphabet_size)
    for k in range(self.order + 1):
      row = self.counts.get(tuple(padded[len(padded) - k:]) if k else ())
      if not row:
        break
      counts = np.zeros(self.alphabet_size)
      for symbol, count in row.items():
        counts[symbol] = count
      distinct = len(row)
      p = (counts + distinct * p) / (counts.sum() + distinct)
    return p

  def to_json(self):
    return {'alphabet_size': self.alphabet_size, 'order': self.order,
            'counts': [[list(c), [[int(s), int(n)] for s, n in
                                  sorted(row.items())]]
                       for c, row in sorted(self.counts.items())]}

  @classmethod
  def from_json(cls, record, where):
    """A table from `to_json`'s dict; ValueError naming what is malformed."""
    try:
      size, order = int(record['alphabet_size']), int(record['order'])
      if not 1 <= size <= 10_000 or not 0 <= order <= 16:
        raise ValueError(f'alphabet_size {size} or order {order}')
      counts = {}
      for context, row in record['counts']:
        context = tuple(int(c) for c in context)
        if len(context) > order or any(not START <= c < size
                                       for c in context):
          raise ValueError(f'context {context}')
        counts[context] = {}
        for symbol, n in row:
          if not 0 <= int(symbol) < size or int(n) < 1:
            raise ValueError(f'symbol {symbol} count {n}')
          counts[context][int(symbol)] = int(n)
    except (KeyError, TypeError, ValueError) as e:
      raise ValueError(f'{where}: malformed count table ({e})') from e
    return cls(size, order, counts)


def sample_symbol(rng, p, temperature, mask=None):
  """A symbol from p (sharpened by 1/temperature, masked).

  Args:
    rng: A `numpy.random.Generator`.
    p: [alphabet_size] probabilities.
    temperature: 0: the most likely symbol; 1: p as it is.
    mask: Optional [alphabet_size] bool: the symbols allowed.

  Returns:
    int symbol.
  """
  p = np.asarray(p, np.float64)
  if mask is not None:
    p = np.where(mask, p, 0.0)
  if temperature == 0:
    return int(np.argmax(p))
  p = p ** (1.0 / temperature)
  return int(rng.choice(len(p), p=p / p.sum()))
