"""Throughput of ddsp_generative_prepare_tfrecord on Beam's DaskRunner.

The same input (synthetic melodies, YIN f0 so that the job is CPU-bound)
prepared on a dask.distributed LocalCluster of 1 and of 2 worker processes
(one thread each), and on the DirectRunner (multi_processing, one worker per
core: the default). Prints seconds, audio seconds per second and the ratios.

  .venv/bin/python benchmarks/dask_throughput.py --n_files=16 --secs=10
  .venv/bin/python benchmarks/dask_throughput.py --n_files=8 --secs=10 \
    --f0_estimator=pyin
"""

import argparse
import os
import shutil
import tempfile
import time

from ddsp_generative.data_preparation import beam_runner
from ddsp_generative.data_preparation import prepare_tfrecord_lib
from ddsp_generative.recipes import synthetic


def _prepare(paths, out_dir, options, f0_estimator):
  start = time.time()
  metadata = prepare_tfrecord_lib.prepare_tfrecord(
      paths, os.path.join(out_dir, 'train.tfrecord'), sample_rate=16000,
      frame_rate=250, example_secs=4, hop_secs=1, f0_estimator=f0_estimator,
      pipeline_options=options)
  return time.time() - start, metadata


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--n_files', type=int, default=16)
  parser.add_argument('--secs', type=float, default=10.0)
  parser.add_argument('--repeats', type=int, default=1)
  parser.add_argument('--f0_estimator', default='yin',
                      choices=('yin', 'pyin'),
                      help='pyin: the pipeline\'s default, about 10x the '
                      'work per chunk')
  args = parser.parse_args()
  from distributed import LocalCluster  # pylint: disable=g-import-not-at-top
  root = tempfile.mkdtemp(prefix='dask_throughput_')
  try:
    paths = synthetic.write_dataset(os.path.join(root, 'audio'),
                                    n_files=args.n_files,
                                    secs_per_file=args.secs,
                                    sample_rate=16000, seed=0)
    runs = {}
    for n_workers in (1, 2):
      with LocalCluster(n_workers=n_workers, threads_per_worker=1,
                        processes=True, dashboard_address=None) as cluster:
        options = ['--runner=DaskRunner',
                   f'--dask_client_address={cluster.scheduler_address}']
        _prepare(paths[:2], os.path.join(root, f'warm{n_workers}'), options,
                 args.f0_estimator)
        for r in range(args.repeats):
          runs.setdefault(f'dask x{n_workers}', []).append(_prepare(
              paths, os.path.join(root, f'dask{n_workers}_{r}'), options,
              args.f0_estimator)[0])
    for r in range(args.repeats):
      secs, metadata = _prepare(paths, os.path.join(root, f'direct{r}'),
                                beam_runner.default_options(),
                                args.f0_estimator)
      runs.setdefault('direct', []).append(secs)
    audio = metadata['audio_secs']
    print(f'{args.n_files} files x {args.secs:g} s = {audio:.0f} s of audio, '
          f'{args.f0_estimator}, {os.cpu_count()} CPUs; best of '
          f'{args.repeats}:')
    best = {name: min(times) for name, times in runs.items()}
    for name, secs in best.items():
      print(f'  {name:9s} {secs:6.1f} s  {audio / secs:5.1f} audio s/s  '
            f'(runs: {", ".join(f"{t:.1f}" for t in runs[name])})')
    print(f'  2 Dask workers / 1: {best["dask x1"] / best["dask x2"]:.2f}x; '
          f'Dask x2 / DirectRunner: {best["direct"] / best["dask x2"]:.2f}x')
  finally:
    shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
  main()
