# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Writes a generation evaluation: versioned JSON, Markdown, PNG figures.

The report comes from `evaluation.generation.evaluate`; `write_report`
writes `generation.json` (kind 'generation_evaluation'), `generation.md` (the
tables: the absolute realism section first, then the relative metrics),
`generation.png` (log spectrograms: one row per set, one column per example)
and, with the realism section, `generation_ltas.png` (the long-term average
spectra of real half B, the floor's half A and every set,
`realism.save_ltas_figure`) into a directory, as one set
(`report_files.report_set`: staged, then published with the JSON last).
"""

import os

from ddsp_generative.core import artifacts
from ddsp_generative.evaluation import generation as lib
from ddsp_generative.evaluation import realism
from ddsp_generative.evaluation import report_files
from ddsp_generative.evaluation import report_paths

FILE_NAMES = report_paths.GENERATION_FILES
paths = report_paths.generation_paths
describe = report_paths.describe_generation
check_not_written = report_paths.check_generation_not_written
lock = report_paths.lock_generation
COLUMNS = (
    ('frechet_distance', 'FD', '{:.2f}'),
    ('gap_closed', 'gap closed', '{:.0%}'),
    ('precision', 'precision', '{:.2f}'),
    ('recall', 'recall', '{:.2f}'),
    ('f0_accuracy_50_cents', 'f0 within 50 c', '{:.1%}'),
    ('f0_median_abs_cents', 'f0 median |c|', '{:.1f}'),
    ('loudness_l1_db', 'loudness L1 dB', '{:.2f}'),
    ('timbre_flux', 'timbre flux', '{:.4f}'),
    ('timbre_flux_vs_real', 'flux / real', '{:.2f}'),
    ('spectral_flatness', 'flatness', '{:.4f}'),
    ('spectral_flatness_vs_real', 'flatness / real', '{:.2f}'),
)


def _cell(value, fmt):
  return '–' if value is None else fmt.format(value)


def _table(rows, columns):
  header = '| set | ' + ' | '.join(title for _, title, _ in columns) + ' |'
  lines = [header, '|' + ' --- |' * (len(columns) + 1)]
  for name, values in rows.items():
    lines.append(f'| {name} | ' + ' | '.join(
        _cell(values.get(key), fmt) for key, _, fmt in columns) + ' |')
  return lines


def _midi_lines(midi):
  """The MIDI set's note scores (or why there are none), as Markdown."""
  notes = midi['transcription']
  lines = ['', f"## MIDI set ({midi['n_files']} file(s), {midi['n_clips']} "
           'clips of 1 s)', '']
  if not notes['available']:
    return lines + [f"Note-level check skipped: {notes['reason']}"]
  lines.append(
      f"Note F1 (basic-pitch transcription vs the MIDI notes): generated "
      f"{_cell(notes['mean_f1'], '{:.2f}')} (with offsets "
      f"{_cell(notes['mean_f1_with_offsets'], '{:.2f}')}), over "
      f"{notes['n_files']} file(s).")
  if notes['n_files_with_real']:
    lines.append(
        f"The recordings beside them: {_cell(notes['mean_real_f1'], '{:.2f}')}"
        f" (with offsets {_cell(notes['mean_real_f1_with_offsets'], '{:.2f}')}"
        f"), over {notes['n_files_with_real']} file(s): the reference.")
  else:
    lines.append('No recording (<stem>.wav beside a .mid) to compare with.')
  return lines


def markdown_table(report):
  """The report's metrics as Markdown (str), with a line per setting."""
  model = report['model']
  sets = {name: s['metrics'] for name, s in report['sets'].items()}
  best = report['best_mode']
  name = os.path.basename(os.path.normpath(model['model_dir']))
  lines = [f"# Generation evaluation: {name} step {model['step']}", '']
  if 'realism' in report:
    section = report['realism']
    lines += [
        '## Realism: generated vs real clips (absolute)', '',
        f"{section['real_clips']['n_clips']} real clips from "
        f"{report['n_examples']} held-out examples, in read order. Paired "
        "sets (made from the real clips' controls) contribute only their "
        "clips made from half A's.", '',
        realism.markdown_table(section).rstrip('\n')]
  if 'midi' in report:
    lines += _midi_lines(report['midi'])
  if 'realism' in report:
    lines += ['', '## Relative metrics', '']
  lines += [
      f"{report['n_examples']} held-out examples of "
      f"{report['example_secs']:g} s, controls from the real examples; "
      f"seed {report['seed']}; f0 by {report['settings']['f0_estimator']}; "
      f"embedding {report['settings']['embedding']['name']}. 'real': first "
      'half vs second half of the real examples.' + (
          ' gap closed = (FD_random - FD) / (FD_random - FD_resynthesis).'
          if best else ''), '']
  columns = COLUMNS if best else [c for c in COLUMNS if c[0] != 'gap_closed']
  lines += _table(sets, columns)
  if best:
    gap = best['gap_closed']
    lines += ['', f"Best mode: {best['name']}, gap closed "
              f"{_cell(gap, '{:.0%}')} (target {best['target']:.0%}: "
              f"{'met' if best['meets_target'] else 'not met'})."]
  else:
    lines += ['', 'A model without z: the model on the real controls '
              "('resynthesis'); no prior, random z or gap closed."]
  for source, result in report.get('control_sources', {}).items():
    lines += ['', f"## Control source {source} ({result['controls']['type']}"
              f", {result['n_clips']} clips of {result['secs']:g} s)", '']
    lines += _table(result['sets'], [c for c in COLUMNS if c[0] not in (
        'frechet_distance', 'gap_closed', 'precision', 'recall')])
  return '\n'.join(lines) + '\n'


def figure_examples(n_examples, n_columns):
  """Example indices (columns) of the grid: evenly spread."""
  return lib.pick_examples(n_examples, n_columns).tolist()


def save_figure(path, report, sets, sample_rate, n_columns=3):
  """PNG grid of log spectrograms: rows real, resynthesis, modes, random z.

  Args:
    path: PNG destination.
    report: Report from `evaluate`.
    sets: {set name: [n, n_samples]} audio from `evaluate`.
    sample_rate: Audio sample rate.
    n_columns: Examples (columns), evenly spread over the evaluated ones.
  """
  from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.plt
  names = list(sets)
  columns = figure_examples(len(sets[lib.REAL]), n_columns)
  fig, axes = plt.subplots(len(names), len(columns),
                           figsize=(3.4 * len(columns), 1.5 * len(names) + 0.6),
                           squeeze=False, sharex=True, sharey=True)
  for row, name in enumerate(names):
    values = report['sets'][name]['metrics']
    for col, index in enumerate(columns):
      clip = sets[name][index]
      _, _, db = plotting.log_spectrogram(clip, sample_rate)
      peak = max(float(db.max()), -40.0)
      ax = axes[row, col]
      ax.imshow(db, origin='lower', aspect='auto', cmap='magma',
                vmin=peak - 80, vmax=peak,
                extent=(0, len(clip) / sample_rate, 0, sample_rate / 2))
      ax.set_ylim(0, min(sample_rate / 2, 8000))
      ax.tick_params(labelsize=6)
      if row == 0:
        ax.set_title(f"example {report['example_indices'][index]}",
                     fontsize=8)
      if col == 0:
        label = name
        if name != lib.REAL:
          label += f"\nFD {values['frechet_distance']:.2f}"
        ax.set_ylabel(label, fontsize=7)
  model = report['model']
  fig.suptitle(f"{os.path.basename(os.path.normpath(model['model_dir']))} "
               f"step {model['step']}: " + ', '.join(names) + ' (0-8 kHz)',
               fontsize=9)
  fig.tight_layout()
  plotting.save_png(fig, path, dpi=80)


def write_report(save_dir, report, sets, sample_rate, n_figure_columns=3):
  """Writes the JSON report, the Markdown tables and the figures.

  Args:
    save_dir: Output directory (created).
    report: Report from `evaluate`.
    sets: Audio from `evaluate`.
    sample_rate: Audio sample rate.
    n_figure_columns: Examples in the grid (0 for no figure).

  Returns:
    (record, paths): the JSON record written and the paths dict.

  Raises:
    publish.OutputBusyError: Another run writes the report.
  """
  out = paths(save_dir)
  payload = dict(report)
  with report_files.report_set(out['json'], describe(save_dir),
                               replaces=list(out.values())) as staging:
    staged = paths(staging)
    if n_figure_columns:
      save_figure(staged['figure'], report, sets, sample_rate,
                  n_figure_columns)
      payload['figure'] = FILE_NAMES['figure']
      payload['figure_examples'] = [
          report['example_indices'][i]
          for i in figure_examples(len(sets[lib.REAL]), n_figure_columns)]
    if 'realism' in report:
      model = report['model']
      realism.save_ltas_figure(
          staged['ltas'], report['realism'],
          title=f"{os.path.basename(os.path.normpath(model['model_dir']))} "
          f"step {model['step']}: long-term average spectra")
      payload['ltas_figure'] = FILE_NAMES['ltas']
    payload['table'] = FILE_NAMES['table']
    with open(staged['table'], 'w') as f:
      f.write(markdown_table(report))
    record = artifacts.write_json(staged['json'], lib.REPORT_KIND,
                                  lib.REPORT_FORMAT_VERSION, payload)
  return record, out

