# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Renders a realism comparison: a Markdown table and a long-term spectra PNG.

Both take the dict `evaluation.realism.compare` returns (its protocol is in
that module's docstring); `realism.markdown_table` and
`realism.save_ltas_figure` call them (matplotlib is imported only here).
"""

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
from ddsp_generative.evaluation import clip_features  # pylint: disable=g-import-not-at-top
from ddsp_generative.evaluation import realism  # pylint: disable=g-import-not-at-top


def _cell(value, fmt):
  return '–' if value is None else fmt.format(value)


def _c2st_cell(row, clf):
  return f"{row['c2st'][clf]:.2f} ± {row['c2st']['ci95'][clf]:.2f}"


def _top_features(row, n=3):
  return ', '.join(f"{f['feature']} (d={f['cohens_d']:+.1f})"
                   for f in row['separating'][:n])


def markdown_table(section, caption=True):
  """A `compare` result as Markdown: the floor, then one row per set.

  Args:
    section: The dict `compare` returns.
    caption: Start with a paragraph saying how to read the table.

  Returns:
    str ending in a newline.
  """
  floor = section['floor']
  lines = []
  if caption:
    n_a, n_b = (len(section['real_halves'][k]) for k in ('a', 'b'))
    lines += [
        f"Realism (feature set v{section['feature_set_version']}, "
        f"{section['n_features']} features of {section['clip_secs']:g} s "
        f"clips): every row against real half B ({n_b} clips); the floor is "
        f"real half A ({n_a} clips) against B. C2ST: {section['folds']}-fold "
        'accuracy telling the row from real, ± 95% half-width; 0.5 = '
        'indistinguishable, 1 = always told apart. FD: Fréchet distance of '
        'the standardized clip features. d: Cohen\'s d, row minus real.', '']
  lines += ['| set | C2ST logistic | C2ST forest | FD to real | FD / floor '
            '| RMS dB vs real | top separating features |',
            '|' + ' --- |' * 7]
  rows = {'real vs real (floor)': dict(floor, frechet_floor_ratio=1.0)}
  rows.update(section['sets'])
  for name, row in rows.items():
    lines.append('| ' + ' | '.join([
        name, _c2st_cell(row, 'logistic_regression'),
        _c2st_cell(row, 'random_forest'), _cell(row['frechet'], '{:.2f}'),
        _cell(row['frechet_floor_ratio'], '{:.2f}'),
        f"{row['rms_dbfs'] - row['real_rms_dbfs']:+.1f}",
        _top_features(row)]) + ' |')
  return '\n'.join(lines) + '\n'


def save_ltas_figure(path, section, title=''):
  """Saves a PNG of the long-term spectra: real half B against every set.

  Top: level (dB of each set's total power) on a log-frequency axis; bottom:
  each set minus real. The floor (real half A) is drawn dashed.

  Args:
    path: PNG destination (written atomically).
    section: The dict `compare` returns.
    title: Figure title.
  """
  spectra = section['ltas']
  freqs = np.asarray(spectra['freqs_hz'])
  keep = freqs > 0  # The log axis has no 0 Hz.
  real = np.asarray(spectra['real'])[keep]
  fig, (ax, ax_diff) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                    gridspec_kw={'height_ratios': [3, 2]})
  ax.plot(freqs[keep], real, color='black', lw=1.8, label='real (half B)')
  others = [realism.FLOOR] + list(section['sets'])
  for i, name in enumerate(others):
    level = np.asarray(spectra[name])[keep]
    style = {'color': 'gray', 'ls': '--'} if name == realism.FLOOR else {
        'color': f'C{i % 10}'}
    label = 'real half A (floor)' if name == realism.FLOOR else name
    ax.plot(freqs[keep], level, lw=0.9, label=label, **style)
    ax_diff.plot(freqs[keep], level - real, lw=0.9, label=label, **style)
  for edge in clip_features.BAND_EDGES_HZ[1:]:
    if edge < freqs[-1]:
      for a in (ax, ax_diff):
        a.axvline(edge, color='lightgray', lw=0.6, zorder=0)
  ax_diff.axhline(0.0, color='black', lw=0.8)
  ax.set_xscale('log')
  ax.set_xlim(float(freqs[keep][0]), float(freqs[-1]))
  ax.set_ylabel('level (dB of total power)')
  ax.legend(loc='best', fontsize=7, ncol=2)
  ax.set_title(title or 'Long-term average spectra', fontsize=9)
  ax_diff.set_ylabel('set - real (dB)')
  ax_diff.set_xlabel('frequency (Hz)')
  fig.tight_layout()
  plotting.save_png(fig, path)
