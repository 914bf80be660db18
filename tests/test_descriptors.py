"""Timbre descriptors: measured, stored in the TFRecords, decoded from, sampled.

Real signals, a real Beam run of prepare_tfrecord, a model trained by
ddsp_run (gin/harmonic_noise_descriptors.gin, tiny), and the sampler's CLI.
"""

import glob
import json
import os

import numpy as np
import pytest

import conftest
from ddsp_generative.controls import descriptor_curves
from ddsp_generative.core import descriptors
from ddsp_generative.core import tfrecords

SR = 16000
FRAME_RATE = 250


def _harmonics(f0, ks, secs=1.0, amps=None):
  t = np.arange(int(secs * SR)) / SR
  amps = amps or [1.0 / k for k in ks]
  return 0.3 * sum(a * np.sin(2 * np.pi * f0 * k * t) for k, a in zip(ks, amps))


def _median(values):
  return float(np.median(values[10:-10]))


def test_centroid_of_a_sine_is_its_frequency():
  for f in (440.0, 1500.0):
    out = descriptors.compute(_harmonics(f, [1]), np.full(251, f), FRAME_RATE,
                              251)
    assert abs(_median(out[descriptors.CENTROID]) - f) < 0.03 * f


def test_brighter_tone_has_higher_centroid():
  dull = descriptors.compute(_harmonics(220, range(1, 4)), np.full(251, 220),
                             FRAME_RATE, 251)
  bright = descriptors.compute(_harmonics(220, range(1, 25), amps=[1.0] * 24),
                               np.full(251, 220), FRAME_RATE, 251)
  assert (_median(bright[descriptors.CENTROID]) >
          2 * _median(dull[descriptors.CENTROID]))


def test_periodicity_and_flatness_tell_tone_from_noise():
  tone = descriptors.compute(_harmonics(300, range(1, 10)), np.full(251, 300),
                             FRAME_RATE, 251)
  noise = descriptors.compute(
      0.1 * np.random.RandomState(0).randn(SR), np.zeros(251), FRAME_RATE, 251)
  assert _median(tone[descriptors.PERIODICITY]) > 0.95
  assert _median(noise[descriptors.PERIODICITY]) < 0.3
  assert _median(noise[descriptors.FLATNESS]) > 0.3
  assert _median(tone[descriptors.FLATNESS]) < 1e-3


def test_odd_even_ratio_sees_missing_even_harmonics():
  odd = descriptors.compute(_harmonics(200, range(1, 20, 2)),
                            np.full(251, 200), FRAME_RATE, 251)
  full = descriptors.compute(_harmonics(200, range(1, 20)), np.full(251, 200),
                             FRAME_RATE, 251)
  assert _median(odd[descriptors.ODD_EVEN]) > 20
  assert abs(_median(full[descriptors.ODD_EVEN])) < 6
  # No f0: the ratio is not measured (0 dB).
  unvoiced = descriptors.compute(_harmonics(200, range(1, 20, 2)),
                                 np.zeros(251), FRAME_RATE, 251)
  assert np.all(unvoiced[descriptors.ODD_EVEN] == 0)


def test_frames_are_on_ddsps_grid():
  """A change at 0.5 s shows at frame 125 (frame i centred on i * hop).

  Frames starting at i * hop would show it half a window (8 frames) early.
  """
  audio = np.concatenate([_harmonics(300, [1], 0.5), _harmonics(2000, [1],
                                                                0.5)])
  centroid = descriptors.compute(audio, np.zeros(251), FRAME_RATE,
                                 251)[descriptors.CENTROID]
  assert centroid[115] < 600 and centroid[135] > 1700
  assert abs(int(np.argmax(centroid > 1150)) - 125) <= 3
  silent = descriptors.compute(np.zeros(SR), np.zeros(251), FRAME_RATE, 251)
  assert np.all(silent[descriptors.CENTROID] == 0)
  assert np.all(silent[descriptors.PERIODICITY] == 0)


def test_prepare_tfrecord_stores_the_descriptors(tiny_tfrecords):
  files = tfrecords.match_files(tiny_tfrecords)
  found, _ = tfrecords.find_metadata(files)
  record = next(iter(found.values()))
  assert set(descriptors.DESCRIPTOR_KEYS) <= set(record['features'])
  ranges = record['training_controls']['descriptors']
  assert set(ranges) == set(descriptors.DESCRIPTOR_KEYS)
  assert 100 < ranges[descriptors.CENTROID]['p50'] < 8000
  fits = record['training_controls']['descriptor_follow']
  assert set(fits) == set(descriptors.DESCRIPTOR_KEYS)
  assert all(f['n'] > 100 for f in fits.values())
  examples = list(tfrecords.read_examples(
      tiny_tfrecords, keys=('audio_16k', 'f0_hz') + descriptors.DESCRIPTOR_KEYS,
      max_examples=3))
  for ex in examples:
    n = len(ex['f0_hz'])
    again = descriptors.compute(ex['audio_16k'], ex['f0_hz'], FRAME_RATE, n)
    # Away from the example's edges (where the pipeline saw the chunk's
    # audio around it) the stored values are those of the example's audio.
    for key in descriptors.DESCRIPTOR_KEYS:
      assert len(ex[key]) == n
      np.testing.assert_allclose(ex[key][8:-8], again[key][8:-8],
                                 rtol=1e-3, atol=1e-3)


@pytest.fixture(scope='module')
def plain_tfrecords(tmp_path_factory):
  """(pattern, metadata) of TFRecords prepared with --nodescriptors."""
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp('plain')
  paths = conftest.write_synthetic_wavs(root / 'audio', n_files=1,
                                        secs_per_file=2.0)
  output = str(root / 'plain.tfrecord')
  metadata = prepare_tfrecord_lib.prepare_tfrecord(
      paths, output, num_shards=1, example_secs=1, hop_secs=1, chunk_secs=0,
      f0_estimator='yin', pipeline_options=conftest.BEAM_OPTIONS,
      write_notes=False, descriptors=False)
  return output + '*', metadata


def test_nodescriptors_keeps_ddsps_schema_and_is_refused_by_the_model(
    plain_tfrecords):
  from ddsp_generative.training import data  # pylint: disable=g-import-not-at-top
  pattern, metadata = plain_tfrecords
  assert metadata['features'] == list(tfrecords.FEATURE_KEYS)
  assert 'descriptors' not in metadata['training_controls']
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='lack the descriptor.*prepare them again'):
    data.check_descriptors(pattern, ['centroid'])
  with pytest.raises(descriptors.UnknownDescriptorError, match='unknown'):
    data.check_descriptors(pattern, ['brightness'])


# ---------------------------------------------------------------- curves ----
def test_descriptor_curves_constant_ramp_and_data():
  medians = {descriptors.CENTROID: 1234.0}
  curves = descriptor_curves.curves_for(
      (descriptors.CENTROID, descriptors.PERIODICITY),
      ['periodicity=ramp:0.9:0.5'], medians)
  assert curves[descriptors.CENTROID].kind == 'data'
  ramp = curves[descriptors.PERIODICITY]
  whole = ramp.values(0, 101, 101, FRAME_RATE)
  assert whole[0] == pytest.approx(0.9) and whole[-1] == pytest.approx(0.5)
  # Block by block it is the same curve.
  blocks = np.concatenate([ramp.values(s, 25, 101, FRAME_RATE)
                           for s in range(0, 101, 25)])[:101]
  np.testing.assert_allclose(blocks[:100], whole[:100], atol=1e-6)
  np.testing.assert_allclose(
      curves[descriptors.CENTROID].values(0, 5, 5, FRAME_RATE), 1234.0)
  held = descriptor_curves.parse('centroid=ramp:1000:2000:0.2')
  values = held.values(0, 100, 100, FRAME_RATE)  # 0.2 s = 50 frames.
  assert values[50] == pytest.approx(2000) and values[99] == 2000


@pytest.mark.parametrize('spec, message', [
    ('centroid', 'use NAME=VALUE'),
    ('brightness=3', 'unknown descriptor'),
    ('centroid=loud', 'not a number'),
    ('periodicity=1.5', r'lies in \[0, 1\]'),
    ('centroid=ramp:100', 'a ramp is'),
    ('centroid=ramp:100:200:0', 'must be > 0'),
    ('centroid=-5', 'in Hz'),
])
def test_bad_descriptor_requests(spec, message):
  with pytest.raises(descriptor_curves.DescriptorRequestError, match=message):
    descriptor_curves.parse(spec)


def test_follow_predicts_from_pitch_and_loudness():
  rng = np.random.RandomState(0)
  f0 = 220.0 * 2 ** (rng.uniform(0, 24, 2000) / 12)
  ld = rng.uniform(-50, -10, 2000)
  midi = 12 * np.log2(f0 / 440) + 69
  centroid = descriptors.from_scale(descriptors.CENTROID,
                                    40 + 0.5 * midi + 0.2 * ld)
  halves = [descriptors.regression_stats(
      f0[s], ld[s], {descriptors.CENTROID: centroid[s]}, np.ones(1000, bool))
            for s in (slice(0, 1000), slice(1000, 2000))]
  fit = descriptors.solve_regression(
      descriptors.merge_regression_stats(halves))[descriptors.CENTROID]
  assert fit['per_semitone'] == pytest.approx(0.5, abs=1e-6)
  assert fit['per_db'] == pytest.approx(0.2, abs=1e-6)
  assert fit['r2'] == pytest.approx(1.0, abs=1e-9)
  curves = descriptor_curves.curves_for(
      (descriptors.CENTROID,), [], {}, {descriptors.CENTROID: fit})
  curve = curves[descriptors.CENTROID]
  assert curve.kind == 'follow'
  np.testing.assert_allclose(
      curve.values(0, 5, 5, FRAME_RATE, f0[:5], ld[:5]), centroid[:5],
      rtol=1e-4)
  with pytest.raises(descriptor_curves.DescriptorRequestError,
                     match='no fit of'):
    descriptor_curves.curves_for((descriptors.CENTROID,), ['centroid=follow'],
                                 {}, {})


def test_curves_for_refuses_what_the_model_does_not_read():
  with pytest.raises(descriptor_curves.DescriptorRequestError,
                     match='does not decode from'):
    descriptor_curves.curves_for((), ['centroid=1000'])
  with pytest.raises(descriptor_curves.DescriptorRequestError, match='twice'):
    descriptor_curves.curves_for((descriptors.CENTROID,),
                                 ['centroid=1000', 'centroid=2000'])


# ----------------------------------------------------------------- model ----
@pytest.fixture(scope='module')
def descriptor_model_dir(tmp_path_factory, tiny_tfrecords):
  save_dir = str(tmp_path_factory.mktemp('descriptor_model'))
  conftest.run_ddsp_run(save_dir, tiny_tfrecords, num_steps=5,
                        gin_file='gin/harmonic_noise_descriptors.gin')
  return save_dir


def test_model_reads_and_decodes_from_descriptors(descriptor_model_dir,
                                                  tiny_tfrecords):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(descriptor_model_dir)
  assert trained.descriptors == (descriptors.CENTROID,
                                 descriptors.PERIODICITY)
  assert trained.info()['descriptors'] == list(trained.descriptors)
  arrays = trained.read_tfrecords(tiny_tfrecords, max_examples=2)
  assert arrays[descriptors.CENTROID].shape == arrays['f0_hz'].shape
  audio = trained.reconstruct(
      arrays['audio'], arrays['f0_hz'], arrays['loudness_db'], seed=0,
      descriptors={k: arrays[k] for k in trained.descriptors})
  assert audio.shape == arrays['audio'].shape and np.all(np.isfinite(audio))
  n = 300
  f0 = np.full(n, 330.0, np.float32)
  ld = np.full(n, -30.0, np.float32)
  curves = {descriptors.CENTROID: np.linspace(800, 3000, n),
            descriptors.PERIODICITY: np.full(n, 0.9)}
  with pytest.raises(ValueError, match='decodes from the descriptor'):
    trained.decode(f0[None], ld[None])
  with pytest.raises(ValueError, match='decodes from the descriptor'):
    streaming.decode_audio(trained, f0, ld)
  # The descriptors reach the decoder: other curves, other audio.
  one = streaming.decode_audio(trained, f0, ld, seed=0, chunk_frames=70,
                               descriptors=curves)
  other = streaming.decode_audio(
      trained, f0, ld, seed=0, chunk_frames=70,
      descriptors=dict(curves, **{descriptors.CENTROID: np.full(n, 300.0)}))
  assert np.abs(one - other).max() > 1e-4 * np.abs(one).max()
  # Chunked decoding with the curves fed block by block equals one chunk.
  whole = streaming.decode_audio(trained, f0, ld, seed=0, chunk_frames=n,
                                 descriptors=curves)
  clip = streaming.StreamingDecoder(trained, chunk_frames=70).clip(seed=0)
  parts = []
  for start in range(0, n, 110):
    end = min(n, start + 110)
    parts += list(clip.feed(f0[start:end], ld[start:end], last=end == n,
                            descriptors={k: v[start:end]
                                         for k, v in curves.items()}))
  np.testing.assert_allclose(np.concatenate(parts), whole,
                             atol=1e-4 * np.abs(whole).max())


def test_sampler_cli_plays_descriptor_curves(descriptor_model_dir, tmp_path):
  save_dir = str(tmp_path / 'samples')
  conftest.run_cli('ddsp_generative.sample',
                   f'--model_dir={descriptor_model_dir}', '--pitch=64',
                   '--duration=0.5', '--expression=rules',
                   '--descriptor=centroid=ramp:900:2500',
                   f'--save_dir={save_dir}')
  with open(os.path.join(save_dir, 'sample_000.json')) as f:
    sidecar = json.load(f)
  sidecar = sidecar.get('payload', sidecar)
  assert sidecar['descriptors'][descriptors.CENTROID] == {
      'kind': 'ramp', 'from': 900.0, 'to': 2500.0, 'secs': None}
  # Not given: predicted from the pitch and loudness by the training fit.
  follow = sidecar['descriptors'][descriptors.PERIODICITY]
  assert follow['kind'] == 'follow'
  assert set(follow['model']) >= {'intercept', 'per_semitone', 'per_db', 'r2'}
  assert glob.glob(os.path.join(save_dir, 'sample_000.wav'))
  bad = conftest.run_cli('ddsp_generative.sample',
                         f'--model_dir={descriptor_model_dir}', '--pitch=64',
                         '--duration=0.5', '--descriptor=odd_even=3',
                         f'--save_dir={tmp_path / "bad"}', expect_ok=False)
  assert 'does not decode from odd_even_ratio_db' in bad.stderr
  assert 'Traceback' not in bad.stderr
  malformed = conftest.run_cli('ddsp_generative.sample', '--pitch=64',
                               '--descriptor=centroid=ramp:100',
                               f'--save_dir={tmp_path / "bad2"}',
                               expect_ok=False)
  assert malformed.returncode == 2 and 'a ramp is' in malformed.stderr
  assert 'Traceback' not in malformed.stderr
  assert not os.path.exists(tmp_path / 'bad2')


def test_transfer_follows_the_recordings_descriptors(descriptor_model_dir,
                                                     tmp_path):
  """Shifted to the training medians (auto_adjust), or replaced on request."""
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import transfer  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(descriptor_model_dir)
  wav = conftest.write_synthetic_wavs(tmp_path / 'in', n_files=1,
                                      secs_per_file=1.0, seed=3)[0]
  paths = transfer.transfer(trained, wav, str(tmp_path / 'out'),
                            f0_estimator='yin', progress=False)
  with open(paths['json']) as f:
    sidecar = json.load(f)
  sidecar = sidecar.get('payload', sidecar)
  info = sidecar['descriptors'][descriptors.CENTROID]
  assert info['kind'] == 'recording' and info['shift_units'] == 'semitones'
  # The shift lands the recording's median on the training median.
  analysis = transfer.analyse(wav, trained, 'yin', progress=False)
  ranges, _ = sampler.training_controls(trained)
  f0, ld, _ = transfer.adjust_controls(
      analysis.f0_hz, analysis.confidence, analysis.loudness_db, ranges,
      8000.0, None, 0.0, True, transfer.QUIET_DB, transfer.NOTE_THRESHOLD)
  curves, _ = transfer.descriptor_curves(analysis.descriptors, f0, ld, ranges,
                                         True, trained.frame_rate)
  audible = (ld > -60) & (f0 > 0)
  median = np.median(descriptors.to_scale(
      descriptors.CENTROID, curves[descriptors.CENTROID][audible]))
  target = descriptors.to_scale(
      descriptors.CENTROID,
      ranges['descriptors'][descriptors.CENTROID]['p50'])
  assert abs(median - target) < 0.05
  requested = transfer.transfer(
      trained, wav, str(tmp_path / 'req'), f0_estimator='yin',
      progress=False, descriptors=['centroid=2000'])
  with open(requested['json']) as f:
    sidecar = json.load(f)
  sidecar = sidecar.get('payload', sidecar)
  assert sidecar['descriptors'][descriptors.CENTROID] == {
      'kind': 'constant', 'value': 2000.0, 'source': 'request'}
  with pytest.raises(descriptor_curves.DescriptorRequestError,
                     match='does not decode from'):
    transfer.transfer(trained, wav, str(tmp_path / 'bad'), f0_estimator='yin',
                      progress=False, descriptors=['flatness=0.1'])


def test_extract_z_encodes_with_the_descriptors(tiny_tfrecords, tmp_path,
                                                plain_tfrecords):
  """gin/harmonic_noise_descriptors_z.gin: z is extracted given the descriptors."""
  from ddsp_generative.core import z_dataset  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import extract_z_lib  # pylint: disable=g-import-not-at-top
  model_dir = str(tmp_path / 'model')
  conftest.run_ddsp_run(model_dir, tiny_tfrecords, num_steps=3,
                        gin_file='gin/harmonic_noise_descriptors_z.gin')
  z_path = str(tmp_path / 'z.tfrecord')
  extract_z_lib.extract_z(tiny_tfrecords, z_path, model_dir, batch_size=4,
                          pipeline_options=conftest.BEAM_OPTIONS)
  examples, _ = z_dataset.read_z_dataset(z_path)
  assert examples and examples[0]['z'].shape[-1] == 4
  # TFRecords without descriptors are refused before any work.
  with pytest.raises(tfrecords.DatasetMismatchError, match='lack the desc'):
    extract_z_lib.extract_z(plain_tfrecords[0], str(tmp_path / 'z2.tfrecord'),
                            model_dir, pipeline_options=conftest.BEAM_OPTIONS)
  assert not glob.glob(str(tmp_path / 'z2.tfrecord*'))


def test_control_fit_and_levels():
  from ddsp_generative.evaluation import descriptor_control  # pylint: disable=g-import-not-at-top
  x = np.repeat(np.linspace(80, 90, 5), 60)
  noise = np.random.RandomState(0).randn(len(x)) * 0.1
  exact = descriptor_control.fit(x, x + noise)
  assert exact['r2'] > 0.99 and exact['r2_identity'] > 0.99
  assert exact['slope'] == pytest.approx(1.0, abs=0.02)
  half = descriptor_control.fit(x, 0.5 * x + 40 + noise)
  assert half['slope'] == pytest.approx(0.5, abs=0.02) and half['r2'] > 0.98
  assert half['r2_identity'] < 0  # Follows the request, but is not it.
  ignored = descriptor_control.fit(x, 85 + noise)
  assert ignored['r2'] < 0.1 and abs(ignored['slope']) < 0.05
  ranges = {descriptors.CENTROID: {'p10': 1000.0, 'p90': 4000.0}}
  levels = descriptor_control.levels(descriptors.CENTROID, ranges, 3)
  np.testing.assert_allclose(levels, [1000.0, 2000.0, 4000.0], rtol=1e-9)


def test_control_sweep_runs_on_a_trained_model(descriptor_model_dir,
                                               tiny_tfrecords):
  from ddsp_generative.evaluation import descriptor_control  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(descriptor_model_dir)
  data = trained.read_tfrecords(tiny_tfrecords, max_examples=3)
  ranges = descriptor_control.training_ranges(tiny_tfrecords)
  out = descriptor_control.sweep(trained, data, ranges, n_levels=2,
                                 progress=False)
  assert set(out['descriptors']) == set(trained.descriptors)
  for result in out['descriptors'].values():
    assert len(result['requested']) == len(result['measured']) == 6
    assert len(result['offset_requested']) == 6
    assert result['fit']['n'] <= 6
    assert 0 <= result['consistency']['f0_accuracy_50_cents'] <= 1
  assert out['own']['loudness_l1_db'] >= 0
