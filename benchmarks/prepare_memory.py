# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Peak memory of ddsp_generative_prepare_tfrecord: a 3- vs a 30-minute file.

Writes a 3-minute and a 30-minute 44.1 kHz stereo 16-bit WAV of synthetic
melodies (block by block), runs the CLI on each as a user would (default local
options: the DirectRunner on every core) and samples the resident memory
(RSS) of the whole process tree every 0.1 s. For reference it also measures
loading each file whole (`audio_io.load_audio` + resampling to 16 kHz, what
the pipeline did before streaming). Bounded memory: the pipeline's peak is
about the same for both files.

Usage:
  .venv/bin/python benchmarks/prepare_memory.py [--minutes=3,30] \
    [--f0_estimator=yin] [--work_dir=/tmp/prepare_memory]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from absl import app
from absl import flags
import numpy as np
import soundfile as sf

from ddsp_generative.recipes import synthetic

flags.DEFINE_list('minutes', ['3', '30'], 'File lengths in minutes.')
flags.DEFINE_string('f0_estimator', 'yin',
                    'Estimator (memory is per chunk for every estimator; yin '
                    'keeps the run short).')
flags.DEFINE_string('work_dir', None, 'Scratch folder (default: a temp dir, '
                    'removed at the end).')
FLAGS = flags.FLAGS

RATE = 44100
CLI = 'ddsp_generative.prepare_tfrecord'


def write_long_wav(path, minutes, seed=0, block_secs=30.0):
  """Writes `minutes` of stereo melodies at 44.1 kHz, one block at a time."""
  rng = np.random.RandomState(seed)
  n_total = int(minutes * 60 * RATE)
  with sf.SoundFile(path, 'w', RATE, 2, subtype='PCM_16') as f:
    written = 0
    while written < n_total:
      n_notes = int(block_secs / 0.4)
      pitches = rng.randint(55, 80, n_notes).astype(float)
      durations = rng.uniform(0.2, 0.6, n_notes)
      audio, _ = synthetic.render_melody(pitches, durations,
                                         sample_rate=RATE,
                                         seed=int(rng.randint(2**31)))
      audio = audio[:n_total - written]
      f.write(np.stack([audio, 0.8 * audio], axis=1))
      written += len(audio)


def _tree_rss(pid):
  """(sum of RSS over pid and its descendants, largest RSS), in bytes."""
  children = {}
  rss = {}
  for entry in os.listdir('/proc'):
    if not entry.isdigit():
      continue
    try:
      with open(f'/proc/{entry}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
      ppid, pages = int(fields[1]), int(fields[21])
    except (OSError, IndexError, ValueError):
      continue
    children.setdefault(ppid, []).append(int(entry))
    rss[int(entry)] = pages * os.sysconf('SC_PAGE_SIZE')
  todo, tree = [pid], []
  while todo:
    p = todo.pop()
    tree.append(p)
    todo.extend(children.get(p, []))
  values = [rss.get(p, 0) for p in tree]
  return sum(values), max(values)


def run_sampled(command):
  """Runs a command; returns (return code, wall secs, peak sum, peak max)."""
  start = time.time()
  proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
  peaks = [0, 0]
  output = []
  reader = threading.Thread(target=lambda: output.append(proc.stdout.read()))
  reader.start()
  while proc.poll() is None:
    total, largest = _tree_rss(proc.pid)
    peaks[0], peaks[1] = max(peaks[0], total), max(peaks[1], largest)
    time.sleep(0.1)
  reader.join()
  if proc.returncode:
    print(output[0][-3000:], file=sys.stderr)
  return proc.returncode, time.time() - start, peaks[0], peaks[1]


LOAD_WHOLE = '''
import resource, sys
from ddsp_generative.core import audio_io
audio, info = audio_io.load_audio(sys.argv[1])
audio_16k = audio_io.resample(audio, from_rate=info['sample_rate'],
                              to_rate=16000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
'''


def main(argv):
  del argv
  work_dir = FLAGS.work_dir or tempfile.mkdtemp(prefix='prepare_memory_')
  os.makedirs(work_dir, exist_ok=True)
  rows = []
  try:
    for minutes in [float(m) for m in FLAGS.minutes]:
      wav = os.path.join(work_dir, f'melody_{minutes:g}min.wav')
      if not os.path.exists(wav):
        write_long_wav(wav, minutes)
      out = os.path.join(work_dir, f'data_{minutes:g}min', 'train.tfrecord')
      shutil.rmtree(os.path.dirname(out), ignore_errors=True)
      rc, secs, tree_peak, proc_peak = run_sampled([
          sys.executable, '-m', CLI, f'--input_audio_filepatterns={wav}',
          f'--output_tfrecord_path={out}',
          f'--f0_estimator={FLAGS.f0_estimator}'])
      assert rc == 0, f'prepare_tfrecord failed on {wav}'
      whole = subprocess.run([sys.executable, '-c', LOAD_WHOLE, wav],
                             capture_output=True, text=True, check=True)
      whole_peak = int(whole.stdout.split()[-1])
      shutil.rmtree(os.path.dirname(out), ignore_errors=True)
      rows.append((minutes, os.path.getsize(wav), secs, tree_peak, proc_peak,
                   whole_peak))
  finally:
    if not FLAGS.work_dir:
      shutil.rmtree(work_dir, ignore_errors=True)

  mib = 2.0**20
  print(f'\nprepare_tfrecord peak RSS (f0_estimator={FLAGS.f0_estimator}, '
        f'{os.cpu_count()} cores, default local options)')
  print('| file | WAV size | wall time | pipeline peak RSS, all processes '
        '| largest process | load whole file + resample (before) |')
  print('| --- | --- | --- | --- | --- | --- |')
  for minutes, size, secs, tree_peak, proc_peak, whole_peak in rows:
    print(f'| {minutes:g} min, 44.1 kHz stereo 16-bit | {size / mib:.0f} MiB '
          f'| {secs:.0f} s | {tree_peak / mib:.0f} MiB | '
          f'{proc_peak / mib:.0f} MiB | {whole_peak / mib:.0f} MiB |')
  if len(rows) > 1:
    (_, _, _, t0, p0, w0), (_, _, _, t1, p1, w1) = rows[0], rows[-1]
    print(f'\nratio longest/shortest: pipeline all processes {t1 / t0:.2f}x, '
          f'largest process {p1 / p0:.2f}x; whole-file load {w1 / w0:.2f}x '
          f'(audio {rows[-1][0] / rows[0][0]:.0f}x)')


if __name__ == '__main__':
  app.run(main)
