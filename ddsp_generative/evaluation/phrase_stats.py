# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""How composed phrases compare with the training melodies.

For a set of phrases (`expression.phrases.PhraseModel.compose`) against
the training melodies (`sequences.training_sequences`):

* pitch range: the fraction of notes inside the training notes' range;
* interval and duration histograms (`INTERVAL_EDGES`: semitones, the ends
  open; `DURATION_EDGES_SECS`: log-spaced note lengths) and their total
  variation distance to the training melodies' (0: the same, 1: disjoint),
  with a floor: the same distance for held-out real melodies;
* sequence: the histogram of consecutive interval pairs (each clipped to
  +-PAIR_MAX semitones) and its distance, which an order-0 model misses;
* novelty: how many phrases differ, and the longest run of consecutive notes
  copied from one training melody (the same intervals and the same rhythm
  ratios; and intervals alone).
"""

import numpy as np

from ddsp_generative.expression import sequences

INTERVAL_EDGES = np.arange(-12.5, 13.5, 1.0)
DURATION_EDGES_SECS = np.geomspace(0.05, 4.0, 13)
MAX_RUN = 256
PAIR_MAX = 7


def pair_histogram(interval_seqs):
  """Normalised histogram of consecutive interval pairs ([(2P+1)^2])."""
  size = 2 * PAIR_MAX + 1
  counts = np.zeros(size * size)
  for seq in interval_seqs:
    seq = np.clip(np.asarray(seq, int), -PAIR_MAX, PAIR_MAX) + PAIR_MAX
    np.add.at(counts, seq[:-1] * size + seq[1:], 1.0)
  return counts / max(counts.sum(), 1.0)


def histogram(values, edges):
  """Normalised histogram with the outer bins open ([len(edges) + 1])."""
  values = np.asarray(values, np.float64)
  index = np.searchsorted(edges, values)
  counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
  return counts / max(counts.sum(), 1.0)


def total_variation(p, q):
  """0.5 * sum |p - q| of two normalised histograms."""
  return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def melody_features(pitches, lengths):
  """(intervals [n-1], lengths [n]) of one melody or phrase."""
  pitches = np.asarray(pitches, np.float64)
  return np.diff(np.round(pitches)), np.asarray(lengths, np.float64)


def phrase_events(pitches, lengths, unit):
  """[(interval, ratio index)] per note after the first (copy detection)."""
  intervals = np.diff(np.round(np.asarray(pitches))).astype(int)
  ratios = sequences.ratio_index(np.asarray(lengths[1:]) / unit)
  return list(zip(intervals.tolist(), ratios.tolist()))


def _ngrams(sequences, max_n):
  grams = set()
  for seq in sequences:
    seq = tuple(seq)
    for i in range(len(seq)):
      for n in range(1, min(max_n, len(seq) - i) + 1):
        grams.add(seq[i:i + n])
  return grams


def longest_copies(generated, training, max_n=MAX_RUN):
  """Per generated sequence, its longest run found in a training sequence.

  Args:
    generated: List of event sequences (lists of hashables).
    training: List of event sequences.
    max_n: Longest run looked for.

  Returns:
    int [len(generated)] run lengths (events).
  """
  longest_needed = max([len(g) for g in generated] + [1])
  grams = _ngrams(training, min(max_n, longest_needed))
  out = []
  for seq in generated:
    seq, best = tuple(seq), 0
    for i in range(len(seq)):
      n = best + 1
      while i + n <= len(seq) and seq[i:i + n] in grams:
        best = n
        n += 1
    out.append(best)
  return np.array(out, int)


def compare(composed, melodies, held_out=None):
  """The statistics of the module docstring.

  Args:
    composed: List of `compose` results.
    melodies: The training `phrases.Melody` list.
    held_out: Optional held-out `Melody` list (the floor).

  Returns:
    dict of figures (plain floats and lists, JSON-ready).
  """
  low = min(int(m.pitches.min()) for m in melodies)
  high = max(int(m.pitches.max()) for m in melodies)

  def hists(items):
    intervals, lengths = [], []
    for pitches, durs in items:
      i, d = melody_features(pitches, durs)
      intervals.append(i)
      lengths.append(d)
    return (histogram(np.concatenate(intervals), INTERVAL_EDGES),
            histogram(np.concatenate(lengths), DURATION_EDGES_SECS),
            pair_histogram(intervals))

  train_i, train_d, train_p = hists([(m.pitches, m.lengths)
                                     for m in melodies])
  gen_items = [(c['notes'][:, 2], c['notes'][:, 1] - c['notes'][:, 0])
               for c in composed]
  gen_i, gen_d, gen_p = hists(gen_items)
  pitches = np.concatenate([c['notes'][:, 2] for c in composed])
  train_events = [phrase_events(m.pitches, m.lengths, m.unit)
                  for m in melodies]
  gen_events = [phrase_events(c['notes'][:, 2],
                              c['notes'][:, 1] - c['notes'][:, 0],
                              c['unit_secs']) for c in composed]
  joint = longest_copies(gen_events, train_events)
  pitch_only = longest_copies([[e[0] for e in g] for g in gen_events],
                              [[e[0] for e in t] for t in train_events])
  signatures = {tuple(map(tuple, np.round(c['notes'][:, :3], 4)))
                for c in composed}
  out = {
      'phrases': len(composed),
      'notes': int(len(pitches)),
      'training_range': [low, high],
      'in_range_fraction': float(np.mean((pitches >= low) &
                                         (pitches <= high))),
      'distinct_phrases': len(signatures),
      'interval_tv': total_variation(gen_i, train_i),
      'duration_tv': total_variation(gen_d, train_d),
      'interval_pair_tv': total_variation(gen_p, train_p),
      'longest_copy_notes': int(joint.max()) + 1 if len(joint) else 0,
      'median_longest_copy_notes': float(np.median(joint)) + 1,
      'longest_copy_intervals_only_notes': int(pitch_only.max()) + 1,
      'notes_per_phrase': float(np.mean([len(c['notes'])
                                         for c in composed])),
      'histograms': {'interval_edges': INTERVAL_EDGES.tolist(),
                     'duration_edges_secs': DURATION_EDGES_SECS.tolist(),
                     'training_intervals': train_i.tolist(),
                     'composed_intervals': gen_i.tolist(),
                     'training_durations': train_d.tolist(),
                     'composed_durations': gen_d.tolist()},
  }
  if held_out:
    held_i, held_d, held_p = hists([(m.pitches, m.lengths)
                                    for m in held_out])
    out['floor_interval_tv'] = total_variation(held_i, train_i)
    out['floor_duration_tv'] = total_variation(held_d, train_d)
    out['floor_interval_pair_tv'] = total_variation(held_p, train_p)
    held_events = [phrase_events(m.pitches, m.lengths, m.unit)
                   for m in held_out]
    out['floor_longest_copy_notes'] = int(
        longest_copies(held_events, train_events).max()) + 1
  return out
