# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Peak memory of `python -m ddsp_generative.sample` for 1 s, 1 h and 10 h.

Runs the real sampler command (a fresh process per run, as a user runs it)
on the embedded default model (its `conditional_net` prior in the temporal
mode, GRU 96, 60 harmonics, 16 kHz) for each duration and control source:

* `note`: `--pitch=67 --duration=D` (one note of D seconds);
* `midi`: a MIDI file of D seconds written here with pretty_midi (0.4 s
  notes of the default phrase's pitches, legato, velocities 70-110), played
  with `--midi_file` (pretty_midi's own reader refuses files over 10 million
  ticks, about 6 hours at its 220 ticks per beat and 120 bpm).

Peak resident memory comes from the kernel (`os.wait4`'s ru_maxrss of the
child, its exact high-water mark). It prints, per source, each duration's
peak, wall time and speed (x real time) and its ratio to the shortest
duration (goal: all within 1.2x), and the load average around each run.

  .venv/bin/python benchmarks/sample_memory.py              # 1 s, 1 h, 10 h
  .venv/bin/python benchmarks/sample_memory.py --durations=1,60,3600 \
      --sources=note
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

flags.DEFINE_list('durations', ['1', '3600', '36000'], 'Clip seconds.')
flags.DEFINE_list('sources', ['note', 'midi'], 'Control sources: note, midi.')
flags.DEFINE_string('work_dir', None, 'Scratch folder (default: a temp dir, '
                    'removed at the end; the 10 h WAV is 1.15 GB).')
flags.DEFINE_string('output', None, 'Also write the results as JSON here.')
FLAGS = flags.FLAGS

# The default model's phrase (sampling/default_model DEFAULT_CONTROLS).
PITCHES = (67, 71, 74, 79, 78, 74, 76, 71, 72, 69, 67)
NOTE_SECS = 0.4


def write_midi(path, secs):
  """A legato melody of `secs` seconds; returns its number of notes."""
  import pretty_midi  # pylint: disable=g-import-not-at-top
  midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
  violin = pretty_midi.Instrument(program=40, name='violin')
  n_notes = max(1, int(round(secs / NOTE_SECS)))
  step = secs / n_notes
  for i in range(n_notes):
    violin.notes.append(pretty_midi.Note(
        velocity=70 + (i * 7) % 41, pitch=PITCHES[i % len(PITCHES)],
        start=i * step, end=(i + 1) * step))
  midi.instruments.append(violin)
  midi.write(path)
  return n_notes


def run_sampler(args, save_dir):
  """Runs the sampler; returns (peak RSS bytes, wall seconds, stderr tail)."""
  command = [sys.executable, '-m', 'ddsp_generative.sample',
             f'--save_dir={save_dir}', '--overwrite'] + list(args)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  with tempfile.TemporaryFile() as err:
    start = time.time()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err,
                             env=env)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.time() - start
    err.seek(0)
    tail = err.read().decode(errors='replace')[-2000:]
  if child.returncode:
    raise RuntimeError(f'{" ".join(command)} failed ({child.returncode}): '
                       f'{tail}')
  return usage.ru_maxrss * 1024, wall, tail


def main(unused_argv):
  work = FLAGS.work_dir or tempfile.mkdtemp(prefix='sample_memory-')
  os.makedirs(work, exist_ok=True)
  durations = [float(d) for d in FLAGS.durations]
  results = []
  try:
    for source in FLAGS.sources:
      for secs in durations:
        save_dir = os.path.join(work, f'{source}-{secs:g}')
        if source == 'note':
          args = ['--pitch=67', f'--duration={secs!r}']
          what = f'Note --duration={secs:g}'
        elif source == 'midi':
          path = os.path.join(work, f'tune-{secs:g}.mid')
          n_notes = write_midi(path, secs)
          args = [f'--midi_file={path}']
          what = f'MIDI file, {n_notes} notes'
        else:
          raise app.UsageError(f'Unknown source {source!r}.')
        load_before = os.getloadavg()[0]
        peak, wall, _ = run_sampler(args, save_dir)
        load_after = os.getloadavg()[0]
        with open(os.path.join(save_dir, 'sample_000.json')) as f:
          sidecar = json.load(f)
        result = dict(source=source, what=what, secs=secs,
                      audio_secs=sidecar['duration_secs'],
                      peak_mib=peak / 2**20, wall_s=wall,
                      x_real_time=sidecar['duration_secs'] / wall,
                      load=(load_before, load_after))
        results.append(result)
        print(f'{source:5s} {secs:>8g} s: peak RSS {peak / 2**20:7.0f} MiB, '
              f'{wall:7.1f} s wall ({result["x_real_time"]:.1f}x real time), '
              f'load {load_before:.1f}->{load_after:.1f}', flush=True)
        shutil.rmtree(save_dir, ignore_errors=True)
  finally:
    if not FLAGS.work_dir:
      shutil.rmtree(work, ignore_errors=True)
  print('\n| source | clip | peak RSS | ratio to the shortest | wall time | '
        'x real time | load average (before, after) |')
  print('| --- | --- | --- | --- | --- | --- | --- |')
  for source in FLAGS.sources:
    rows = [r for r in results if r['source'] == source]
    for r in rows:
      clip = (f'{r["secs"] / 3600:g} h' if r['secs'] >= 3600 else
              f'{r["secs"]:g} s')
      # Below a minute the start-up (TensorFlow, the model) is the time.
      speed = f'{r["x_real_time"]:.1f}x' if r['secs'] >= 60 else '-'
      print(f'| {r["what"]} | {clip} | {r["peak_mib"]:.0f} MiB | '
            f'{r["peak_mib"] / rows[0]["peak_mib"]:.2f}x | '
            f'{r["wall_s"]:.0f} s | {speed} | '
            f'{r["load"][0]:.1f}, {r["load"][1]:.1f} |')
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(results, f, indent=2)


if __name__ == '__main__':
  app.run(main)
