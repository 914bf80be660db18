# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Rebuilds the official ddsp 3.7.0 wheel as `ddsp-3.7.0+tf2.21` (metadata only).

ddsp 3.7.0 (Apache-2.0, pure Python) pins `tensorflow<=2.11`, which has no
wheel for Python 3.11, and other pins of 2023 (numpy<1.24, protobuf<=3.20,
...). Its code works unchanged on TensorFlow 2.21 + tf-keras 2.21 + TFP 0.25.
This script writes a downstream rebuild with a PEP 440 local version label:

* every file of the `ddsp/` package, and the dist-info's LICENSE,
  entry_points.txt and top_level.txt, are copied byte for byte (same names,
  same timestamps) from PyPI's `ddsp-3.7.0-py2.py3-none-any.whl`, whose sha256
  is checked against OFFICIAL_SHA256 first;
* METADATA gets `Version: 3.7.0+tf2.21` and the Requires-Dist below (the
  imports that `import ddsp, ddsp.training` and `ddsp_run` really make);
* WHEEL is tagged py3 only, and RECORD is recomputed (pip verifies it).

The output is deterministic: rerunning the script gives the same bytes.

Usage (from the repository root):

  pip download --no-deps ddsp==3.7.0 -d /tmp/ddsp_official
  python third_party/rebuild_ddsp_wheel.py \
    --official=/tmp/ddsp_official/ddsp-3.7.0-py2.py3-none-any.whl \
    --output_dir=third_party/wheels
"""

import argparse
import base64
import hashlib
import os
import sys
import zipfile

OFFICIAL_NAME = 'ddsp-3.7.0-py2.py3-none-any.whl'
OFFICIAL_SHA256 = (
    'eb749a47ef336a4049113b6c4de150901f925541fa94770cad369c1090196ee9')
VERSION = '3.7.0'
LOCAL_VERSION = '3.7.0+tf2.21'
OUTPUT_NAME = f'ddsp-{LOCAL_VERSION}-py3-none-any.whl'
OLD_DIST_INFO = f'ddsp-{VERSION}.dist-info/'
NEW_DIST_INFO = f'ddsp-{LOCAL_VERSION}.dist-info/'

# Imported when `ddsp` and `ddsp.training` are imported, or by `ddsp_run`.
REQUIRES_DIST = [
    'absl-py',
    'cloudml-hypertune',  # ddsp.training.cloud
    'gin-config>=0.3.0',
    'google-cloud-storage',  # ddsp.training.cloud
    'librosa',  # ddsp.spectral_ops, ddsp.training.metrics
    'matplotlib',  # ddsp.training.plotting, summaries (was only transitive)
    'mir-eval',  # ddsp.training.metrics
    'note-seq',  # ddsp.training.metrics, heuristics, summaries
    'numpy',
    'scipy',
    'setuptools<81',  # ddsp_run imports pkg_resources (gone in setuptools 81)
    'tensorflow>=2.16',
    'tensorflow-datasets',  # ddsp.training.data
    'tensorflow-probability',
    'tf-keras',  # Keras 2 on TensorFlow >= 2.16 (TF_USE_LEGACY_KERAS=1)
]
# ddsp.spectral_ops and ddsp.losses `import crepe` at module import, but
# crepe's installer downloads model weights and pins old TensorFlow: it is an
# extra here. ddsp_generative puts a placeholder module in its place (see
# ddsp_generative/environment.py); plain `import ddsp` needs the extra.
EXTRAS = {
    'crepe': ['crepe'],
    # ddsp_prepare_tfrecord, ddsp_generate_synthetic_dataset.
    'data_preparation': ['apache-beam', 'pydub'],
    # ddsp_export (TF.js and TFLite conversion).
    'export': ['tensorflowjs', 'tflite-support'],
    'gcp': ['gevent', 'google-api-python-client', 'google-compute-engine',
            'oauth2client'],
    'test': ['pytest', 'pylint!=2.5.0'],
}
# Dropped from ddsp 3.7.0's Requires-Dist: `future`, `six`, `dill`,
# `hmmlearn` (not imported by ddsp), `protobuf<=3.20` (TensorFlow pins its
# own protobuf) and every upper pin of 2023 (tensorflow<=2.11, numpy<1.24, ...).


def _sha256(path):
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


def _record_hash(data):
  digest = hashlib.sha256(data).digest()
  return 'sha256=' + base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def _metadata(official_metadata):
  """Official METADATA with the new version and Requires-Dist.

  Args:
    official_metadata: str, the official METADATA file.

  Returns:
    str, the rebuilt METADATA.
  """
  header, sep, body = official_metadata.partition('\n\n')
  lines = []
  for line in header.split('\n'):
    if line.startswith(('Requires-Dist:', 'Provides-Extra:')):
      continue
    if line.startswith('Version:'):
      line = f'Version: {LOCAL_VERSION}'
    lines.append(line)
  lines += [f'Requires-Dist: {r}' for r in REQUIRES_DIST]
  for extra, requirements in EXTRAS.items():
    lines.append(f'Provides-Extra: {extra}')
    lines += [f"Requires-Dist: {r} ; extra == '{extra}'" for r in requirements]
  return '\n'.join(lines) + sep + body


def _wheel_file(official_wheel):
  lines = [l for l in official_wheel.split('\n')
           if l and not l.startswith(('Tag:', 'Generator:'))]
  lines.insert(1, 'Generator: ddsp_generative third_party/rebuild_ddsp_wheel.py')
  lines.append('Tag: py3-none-any')
  return '\n'.join(lines) + '\n'


def rebuild(official_path, output_dir):
  """Writes the rebuilt wheel into output_dir and returns its path.

  Args:
    official_path: str, PyPI's ddsp-3.7.0-py2.py3-none-any.whl.
    output_dir: str, folder of the output wheel.

  Returns:
    str, the path of the rebuilt wheel.

  Raises:
    ValueError: the input is not the official wheel.
  """
  digest = _sha256(official_path)
  if digest != OFFICIAL_SHA256:
    raise ValueError(f'{official_path} has sha256 {digest}, not the official '
                     f'{OFFICIAL_NAME} ({OFFICIAL_SHA256}).')
  os.makedirs(output_dir, exist_ok=True)
  out_path = os.path.join(output_dir, OUTPUT_NAME)
  record = []
  with zipfile.ZipFile(official_path) as src, zipfile.ZipFile(
      out_path, 'w', zipfile.ZIP_DEFLATED) as dst:
    infos = [i for i in src.infolist() if not i.is_dir()]
    record_info = None
    for info in infos:
      data = src.read(info)
      name = info.filename
      if name.startswith(OLD_DIST_INFO):
        base = name[len(OLD_DIST_INFO):]
        name = NEW_DIST_INFO + base
        if base == 'RECORD':
          record_info = info
          continue
        if base == 'METADATA':
          data = _metadata(data.decode('utf-8')).encode('utf-8')
        elif base == 'WHEEL':
          data = _wheel_file(data.decode('utf-8')).encode('utf-8')
      new_info = zipfile.ZipInfo(name, date_time=info.date_time)
      new_info.external_attr = info.external_attr
      new_info.compress_type = zipfile.ZIP_DEFLATED
      dst.writestr(new_info, data)
      record.append(f'{name},{_record_hash(data)},{len(data)}')
    record.append(f'{NEW_DIST_INFO}RECORD,,')
    new_info = zipfile.ZipInfo(NEW_DIST_INFO + 'RECORD',
                               date_time=record_info.date_time)
    new_info.external_attr = record_info.external_attr
    new_info.compress_type = zipfile.ZIP_DEFLATED
    dst.writestr(new_info, ('\n'.join(record) + '\n').encode('utf-8'))
  return out_path


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--official', required=True,
                      help=f'path of PyPI\'s {OFFICIAL_NAME}')
  parser.add_argument('--output_dir',
                      default=os.path.join(os.path.dirname(
                          os.path.abspath(__file__)), 'wheels'))
  args = parser.parse_args(argv)
  path = rebuild(args.official, args.output_dir)
  print(f'{path} sha256={_sha256(path)}')


if __name__ == '__main__':
  sys.exit(main())
