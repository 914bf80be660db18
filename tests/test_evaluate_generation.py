"""Generation evaluation: its helpers, the CLI's report and its bad input."""

import json
import os

import numpy as np
import pytest

import conftest
from ddsp_generative.evaluation import generation as lib
from ddsp_generative.evaluation import metrics as gm
from ddsp_generative import priors

CLI = 'ddsp_generative.evaluate_generation'


def _z(n=400, dims=3, seed=0):
  rng = np.random.default_rng(seed)
  return np.concatenate([rng.normal(-2.0, 0.5, [n // 2, dims]),
                         rng.normal(1.0, 1.0, [n // 2, dims])])


def test_gap_closed_and_set_names():
  assert lib.gap_closed(10.0, 10.0, 2.0) == 0.0
  assert lib.gap_closed(2.0, 10.0, 2.0) == 1.0
  assert lib.gap_closed(4.0, 10.0, 2.0) == pytest.approx(0.75)
  assert lib.gap_closed(12.0, 10.0, 2.0) == pytest.approx(-0.25)
  assert lib.gap_closed(1.0, 2.0, 3.0) is None  # Random z beats resynthesis.

  gmm = priors.GaussianMixturePrior(n_components=2).fit(_z(), seed=0)
  normal = priors.StandardNormalPrior().fit(_z())
  assert lib.set_names([gmm]) == [('gmm:independent', 0, 'independent'),
                                  ('gmm:component', 0, 'component')]
  assert lib.set_names([gmm, normal], modes=['component']) == [
      ('gmm:component', 0, 'component')]
  assert [n for n, _, _ in lib.set_names([gmm, gmm], ['independent'])] == [
      'gmm#0:independent', 'gmm#1:independent']
  with pytest.raises(lib.GenerationEvalError, match="'temporal'"):
    lib.set_names([gmm], modes=['temporal'])


def test_random_z_has_the_priors_rms():
  z = _z()
  gmm = priors.GaussianMixturePrior(n_components=2).fit(z, seed=0)
  assert lib.random_z_scale(gmm) == pytest.approx(
      np.sqrt(np.mean(z ** 2)), rel=0.02)
  assert lib.random_z_scale(priors.StandardNormalPrior().fit(z)) == (
      pytest.approx(1.0))
  sample = lib.random_z(1000, 3, 2.0, seed=0)
  assert sample.shape == (1, 1000, 3) and sample.dtype == np.float32
  assert np.sqrt(np.mean(sample ** 2)) == pytest.approx(2.0, rel=0.05)
  np.testing.assert_array_equal(sample, lib.random_z(1000, 3, 2.0, seed=0))


def test_loudness_l1_uses_ddsps_loudness():
  t = np.arange(16000) / 16000.0
  tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
  from ddsp_generative.core import features  # pylint: disable=g-import-not-at-top
  requested = features.loudness_db(tone[None], 16000, 250, 250)
  assert np.max(gm.loudness_l1(tone[None], 16000, 250, requested)) < 1e-4
  half = gm.loudness_l1(0.5 * tone[None], 16000, 250, requested)
  assert half.shape == (1, 250)
  assert np.median(half) == pytest.approx(6.02, abs=0.1)


TUNE = ((69, 0.1, 0.9), (72, 1.0, 1.8), (76, 1.9, 2.7), (74, 2.8, 3.6),
        (71, 3.7, 4.5))


def write_tune(directory, sample_rate=16000):
  """A held-out tune: `tune.mid` (pretty_midi) and its 'recording' tune.wav.

  The recording is a harmonic tone per note (5 partials, 20 ms ramps).
  """
  import pretty_midi  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  os.makedirs(directory, exist_ok=True)
  midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
  instrument = pretty_midi.Instrument(program=40)
  t = np.arange(int(4.8 * sample_rate)) / sample_rate
  audio = np.zeros_like(t)
  for pitch, start, end in TUNE:
    instrument.notes.append(pretty_midi.Note(velocity=100, pitch=pitch,
                                             start=start, end=end))
    ramp = np.clip(np.minimum(t - start, end - t) / 0.02, 0.0, 1.0)
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    audio += ramp * sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t)
                        for k in range(1, 6))
  midi.instruments.append(instrument)
  midi.write(os.path.join(directory, 'tune.mid'))
  audio_io.write_wav(os.path.join(directory, 'tune.wav'), audio, sample_rate)
  return os.path.join(directory, '*.mid')


def check_realism(section, sets, n_real):
  """The realism section's floor and sets hold scores in their ranges."""
  assert section['real_clips']['n_clips'] == n_real
  assert list(section['sets']) == list(sets)
  for row in [section['floor']] + list(section['sets'].values()):
    for clf in ('logistic_regression', 'random_forest'):
      assert 0.0 <= row['c2st'][clf] <= 1.0
    assert row['frechet'] >= 0 and row['separating'] and row['bands']
  for name, row in section['sets'].items():
    assert row['frechet_floor_ratio'] > 0, name
  assert len(section['ltas']['real']) == len(section['ltas']['freqs_hz'])


def test_cli_writes_report_table_and_grid(tiny_model_dir, tiny_prior_path,
                                          tiny_tfrecords, tmp_path):
  save_dir = str(tmp_path / 'generation')
  midi_pattern = write_tune(str(tmp_path / 'heldout'))
  result = conftest.run_cli(
      CLI, f'--model_dir={tiny_model_dir}', f'--prior={tiny_prior_path}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--save_dir={save_dir}',
      '--n_examples=8', '--f0_estimator=yin', '--n_figure_examples=2',
      '--seed=3', '--c2st_folds=2', f'--midi_pattern={midi_pattern}')
  json_path = os.path.join(save_dir, 'generation.json')
  assert json_path in result.stdout
  assert '| gmm:component |' in result.stdout
  assert '| real vs real (floor) |' in result.stdout
  with open(json_path) as f:
    report = json.load(f)
  assert report['kind'] == 'generation_evaluation'
  assert report['format_version'] == 2
  assert report['model']['step'] == 10
  assert report['priors'][0]['type'] == 'gmm'
  assert report['priors'][0]['path'] == os.path.abspath(tiny_prior_path)
  assert report['seed'] == 3 and report['n_examples'] == 8
  # The absolute section: paired sets, then the MIDI tune, against half B.
  realism = report['realism']
  check_realism(realism, ['resynthesis', 'gmm:independent', 'gmm:component',
                          'random_z', 'midi'], 8)
  assert realism['folds'] == 2 and len(realism['real_halves']['b']) == 4
  assert realism['real_halves']['split'] == 'random'
  assert realism['sets']['gmm:component']['paired']
  assert not realism['sets']['midi']['paired']
  assert realism['kinds']['midi'] == 'midi'
  assert realism['kinds']['gmm:component'] == 'mode'
  midi = report['midi']
  assert midi['n_files'] == 1 and midi['prior_mode'] == 'component'
  tune = midi['files'][0]
  assert tune['secs'] == pytest.approx(TUNE[-1][2], abs=0.05)
  assert tune['n_clips'] == realism['sets']['midi']['n_clips'] == 4
  assert tune['real_recording'] == str(tmp_path / 'heldout' / 'tune.wav')
  if midi['transcription']['available']:
    assert tune['notes']['n_reference'] == len(TUNE)
    assert 0 <= midi['transcription']['mean_f1'] <= 1
    # The harmonic tones' own transcription finds the notes.
    assert midi['transcription']['mean_real_f1'] > 0.5
    assert 'Note F1' in result.stdout
  else:
    assert midi['transcription']['reason']
    assert tune['notes'] is None
  with open(os.path.join(save_dir, report['ltas_figure']), 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  assert report['settings']['embedding']['dims'] == 40
  assert report['settings']['random_z']['scale'] > 0
  assert list(report['sets']) == ['real', 'resynthesis', 'gmm:independent',
                                  'gmm:component', 'random_z']
  for name, entry in report['sets'].items():
    m = entry['metrics']
    assert m['frechet_distance'] >= 0, name
    assert 0 <= m['precision'] <= 1 and 0 <= m['recall'] <= 1, name
    assert 0 <= m['f0_accuracy_50_cents'] <= 1 and m['f0_frames'] > 0, name
    assert m['loudness_l1_db'] >= 0 and m['peak'] > 0, name
    assert m['timbre_flux'] >= 0 and m['spectral_flatness'] >= 0, name
  real = report['sets']['real']['metrics']
  assert real['loudness_l1_db'] < 0.5  # Real audio vs its own loudness.
  assert real['timbre_flux_vs_real'] == pytest.approx(1.0)
  assert report['sets']['real']['kind'] == 'real'
  assert report['sets']['gmm:component']['kind'] == 'mode'
  assert report['sets']['random_z']['kind'] == 'reference'
  fd = {n: e['metrics']['frechet_distance']
        for n, e in report['sets'].items()}
  gap = report['sets']['gmm:component']['metrics']['gap_closed']
  assert gap == lib.gap_closed(fd['gmm:component'], fd['random_z'],
                               fd['resynthesis'])
  assert report['best_mode']['name'] in ('gmm:independent', 'gmm:component')
  with open(os.path.join(save_dir, report['figure']), 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  with open(os.path.join(save_dir, report['table'])) as f:
    assert '| random_z |' in f.read()
  # An existing report is not replaced silently.
  again = conftest.run_cli(
      CLI, f'--model_dir={tiny_model_dir}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--save_dir={save_dir}',
      expect_ok=False)
  assert '--overwrite' in again.stderr


def test_missing_model_dir_is_a_clear_error(tmp_path, tiny_tfrecords):
  result = conftest.run_cli(
      CLI, f'--model_dir={tmp_path / "nowhere"}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', expect_ok=False)
  assert 'Model directory not found' in result.stderr


def test_prior_with_wrong_z_dims_is_a_clear_error(
    tiny_model_dir, tiny_prior_path, tiny_tfrecords, tmp_path):
  z_dims = priors.load_prior(tiny_prior_path).z_dims
  wrong = str(tmp_path / 'wrong_prior.json')
  priors.StandardNormalPrior().fit(np.zeros([10, z_dims + 2])).save(wrong)
  result = conftest.run_cli(
      CLI, f'--model_dir={tiny_model_dir}', f'--prior={wrong}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}',
      f'--save_dir={tmp_path / "out"}', expect_ok=False)
  assert f'prior has z_dims={z_dims + 2}' in result.stderr
  assert f'z_dims={z_dims}' in result.stderr
  assert not os.path.exists(tmp_path / 'out')
