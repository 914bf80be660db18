# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The realism evaluation on synthetic tones: chance, noise, pairing, refusals."""

import json

import numpy as np
import pytest

from ddsp_generative.evaluation import realism
from ddsp_generative.recipes import synthetic

SAMPLE_RATE = 16000


def tone_recording(n_clips, seed, noise_db=-60.0):
  """n_clips 1 s notes of random pitch (MIDI 55-79) in one recording."""
  rng = np.random.default_rng(seed)
  audio, _ = synthetic.render_melody(
      rng.uniform(55.0, 79.0, n_clips).tolist(), [1.0] * n_clips,
      SAMPLE_RATE, noise_db=noise_db, seed=seed)
  return audio


@pytest.fixture(scope='module')
def clips():
  """Real, a second draw of the same process, and it with a noise floor."""
  return {'real': realism.cut_clips(tone_recording(32, seed=0), SAMPLE_RATE),
          'same': realism.cut_clips(tone_recording(24, seed=1), SAMPLE_RATE),
          'noisy': realism.cut_clips(tone_recording(24, seed=1, noise_db=-20),
                                     SAMPLE_RATE)}


@pytest.fixture(scope='module')
def features(clips):
  return {name: realism.clip_features(x, SAMPLE_RATE)
          for name, x in clips.items()}


@pytest.fixture(scope='module')
def section(clips):
  """compare(): a paired set whose half B is noise, and a small unpaired set."""
  real = clips['real']
  paired = real.copy()
  rng = np.random.default_rng(5)
  _, index_b = realism.real_halves(len(real))
  paired[index_b] = 0.3 * rng.standard_normal(paired[index_b].shape)
  return realism.compare(real, {'paired': paired, 'few': clips['same'][:12]},
                         SAMPLE_RATE, paired_sets=('paired',))


def test_same_process_is_near_chance(features):
  result = realism.c2st(features['real'], features['same'])
  assert result['n_per_class'] == 24 and result['folds'] == 5
  for clf in realism.CLASSIFIERS:
    assert result[clf] <= 0.7, result
    assert 0.05 < result['ci95'][clf] < 0.2
    low, high = result['ci95_interval'][clf]
    assert low < result[clf] < high
  assert realism.frechet(features['real'], features['same']) < (
      realism.frechet(features['real'], features['noisy']) / 3)


def test_noise_floor_is_told_apart_and_located(clips, features):
  result = realism.c2st(features['real'], features['noisy'])
  for clf in realism.CLASSIFIERS:
    assert result[clf] >= 0.9, result
    assert result['p_value'][clf] < 1e-6
  top = realism.separating_features(features['real'], features['noisy'])
  assert len(top) == 8
  assert [abs(r['cohens_d']) for r in top] == sorted(
      (abs(r['cohens_d']) for r in top), reverse=True)
  assert all(0.5 <= r['auc'] <= 1.0 for r in top)
  names = [r['feature'] for r in top]
  assert any('flatness' in n or n in ('band_2000_4000_db', 'band_4000_8000_db',
                                      'hnr_db') for n in names), names
  freqs, real_db = realism.ltas(clips['real'], SAMPLE_RATE)
  _, noisy_db = realism.ltas(clips['noisy'], SAMPLE_RATE)
  bands = {b['band']: b for b in realism.band_differences(real_db, noisy_db,
                                                          freqs)}
  assert list(bands) == ['0-500 Hz', '500-1000 Hz', '1000-2000 Hz',
                         '2000-4000 Hz', '4000-8000 Hz']
  top_band = bands['4000-8000 Hz']
  assert top_band['difference_db'] > 10.0
  assert top_band['difference_db'] == max(b['difference_db']
                                          for b in bands.values())
  assert top_band['difference_db'] == pytest.approx(
      top_band['other_db'] - top_band['real_db'])


def test_compare_uses_only_half_a_of_paired_sets(section):
  halves = section['real_halves']
  assert halves['split'] == 'random'
  assert len(halves['a']) == len(halves['b']) == 16
  assert sorted(halves['a'] + halves['b']) == list(range(32))
  assert halves['a'] != list(range(16))  # A random split, not file order.
  floor, paired = section['floor'], section['sets']['paired']
  assert paired['paired'] and paired['n_clips'] == 16
  # The paired set's clips at half A's indices are real half A: exactly the
  # floor (its noise at half B's indices unused).
  assert paired['c2st']['n_per_class'] == floor['c2st']['n_per_class'] == 16
  for clf in realism.CLASSIFIERS:
    assert paired['c2st'][clf] == floor['c2st'][clf]
    assert paired['c2st_above_floor'][clf] == 0.0
  assert paired['frechet_floor_ratio'] == pytest.approx(1.0)
  few = section['sets']['few']
  assert not few['paired'] and few['c2st']['n_per_class'] == 12
  assert few['real_rms_dbfs'] == floor['real_rms_dbfs']
  assert section['n_features'] == len(realism.feature_names()) == 72
  assert set(section['ltas']) == {'freqs_hz', 'real', 'real_vs_real',
                                  'paired', 'few'}
  assert len(section['ltas']['few']) == len(section['ltas']['freqs_hz'])
  assert json.loads(json.dumps(section)) == section


def test_cut_clips_drops_silence_and_tails():
  t = np.arange(int(3.5 * SAMPLE_RATE)) / SAMPLE_RATE
  audio = 0.1 * np.sin(2 * np.pi * 440 * t)
  audio[SAMPLE_RATE:2 * SAMPLE_RATE] = 1e-4  # -80 dBFS.
  clips, index = realism.cut_clips(audio, SAMPLE_RATE, return_index=True)
  assert clips.shape == (2, SAMPLE_RATE) and clips.dtype == np.float32
  assert index.tolist() == [0, 2]
  np.testing.assert_array_equal(clips[1], audio[2 * SAMPLE_RATE:
                                                3 * SAMPLE_RATE].astype(
                                                    np.float32))
  assert len(realism.cut_clips(audio, SAMPLE_RATE, min_rms_db=None)) == 3
  rows = np.stack([audio[:int(2.5 * SAMPLE_RATE)]] * 2)
  assert len(realism.cut_clips(rows, SAMPLE_RATE, min_rms_db=None)) == 4
  assert len(realism.cut_clips(rows, SAMPLE_RATE, clip_secs=0.5)) == 6
  ragged = [audio, audio[:int(1.5 * SAMPLE_RATE)], audio[:10]]
  assert len(realism.cut_clips(ragged, SAMPLE_RATE, min_rms_db=None)) == 4
  with pytest.raises(realism.RealismError, match='shorter than one clip'):
    realism.cut_clips(audio[:100], SAMPLE_RATE)
  with pytest.raises(realism.RealismError, match='NaN'):
    realism.cut_clips(np.full(SAMPLE_RATE, np.nan), SAMPLE_RATE)
  with pytest.raises(realism.RealismError, match='must be'):
    realism.cut_clips(np.zeros((2, 2, SAMPLE_RATE)), SAMPLE_RATE)


@pytest.mark.parametrize('sample_rate', [16000, 8000, 44100])
def test_features_are_finite_and_deterministic_on_odd_audio(sample_rate):
  rng = np.random.default_rng(0)
  t = np.arange(sample_rate) / sample_rate
  odd = np.stack([
      np.zeros(sample_rate),  # Silence.
      1e-9 * rng.standard_normal(sample_rate),  # Nearly silent.
      np.clip(20 * np.sin(2 * np.pi * 220 * t), -1, 1),  # Clipped.
      np.full(sample_rate, 0.5),  # DC.
      rng.standard_normal(sample_rate),  # Loud noise.
  ])
  values = realism.clip_features(odd, sample_rate)
  assert values.shape == (5, 72) and np.all(np.isfinite(values))
  # Each clip on its own: the same vector alone as in a batch.
  np.testing.assert_array_equal(
      realism.clip_features(odd[2:3], sample_rate)[0], values[2])
  names = realism.feature_names()
  assert values[0, names.index('rms_db_mean')] == pytest.approx(-100.0)
  noise = dict(zip(names, values[4]))
  clipped = dict(zip(names, values[2]))
  assert noise['flatness_db_mean'] > clipped['flatness_db_mean'] + 10
  assert clipped['hnr_db'] > noise['hnr_db'] + 10
  if sample_rate == 8000:  # 4-8 kHz lies above Nyquist.
    assert noise['band_4000_8000_db'] == pytest.approx(-100.0)


def test_too_few_clips_are_refused_in_one_line(features, clips):
  with pytest.raises(realism.RealismError) as e:
    realism.c2st(features['real'][:9], features['same'])
  message = str(e.value)
  assert 'at least 10 clips per class' in message and '\n' not in message
  assert 'got 9 real and 24 other' in message
  with pytest.raises(realism.RealismError, match='at least 20 real clips'):
    realism.compare(clips['real'][:19], {}, SAMPLE_RATE)
  with pytest.raises(realism.RealismError, match="Paired set 'same' has 24"):
    realism.compare(clips['real'], {'same': clips['same']}, SAMPLE_RATE,
                    paired_sets=('same',))
  with pytest.raises(realism.RealismError, match="'real' is reserved"):
    realism.compare(clips['real'], {'real': clips['same']}, SAMPLE_RATE)
  with pytest.raises(realism.RealismError, match="Set 'tiny' has 9 usable"):
    realism.compare(clips['real'], {'tiny': clips['same'][:9]}, SAMPLE_RATE)


def test_table_and_figure(section, tmp_path):
  table = realism.markdown_table(section)
  lines = table.splitlines()
  rows = [line for line in lines if line.startswith('| ')]
  assert len(rows) == 5  # Header, rule, floor, paired, few.
  assert rows[1] == '|' + ' --- |' * 7
  assert rows[2].startswith('| real vs real (floor) | ')
  assert rows[3].startswith('| paired | ') and '(d=' in rows[3]
  assert '0.5 = indistinguishable' in table
  assert realism.markdown_table(section, caption=False).startswith('| set |')
  path = tmp_path / 'realism_ltas.png'
  realism.save_ltas_figure(str(path), section, title='tones')
  assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
  assert [p.name for p in tmp_path.iterdir()] == ['realism_ltas.png']


def test_real_halves():
  a, b = realism.real_halves(10, 'ordered')
  assert a.tolist() == [0, 1, 2, 3, 4] and b.tolist() == [5, 6, 7, 8, 9]
  a, b = realism.real_halves(11, 'random', seed=3)
  assert len(a) == 5 and len(b) == 6 and not set(a) & set(b)
  assert (realism.real_halves(11, 'random', seed=3)[0] == a).all()
  with pytest.raises(realism.RealismError, match='split must be'):
    realism.real_halves(10, 'shuffled')
