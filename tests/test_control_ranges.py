"""Training control ranges: recorded by prepare and fit_prior, read by the sampler."""

import json
import logging
import os

import numpy as np

from conftest import FRAME_RATE
from ddsp_generative import controls
from ddsp_generative import priors
from ddsp_generative.core import artifacts
from ddsp_generative.core import control_ranges
from ddsp_generative.core import tfrecords

RANGES = {'f0_hz': {'p5': 350.0, 'p10': 370.0, 'p50': 520.0, 'p90': 730.0,
                    'p95': 820.0},
          'loudness_db': {'p5': -15.0, 'p10': -12.0, 'p50': -6.5,
                          'p90': -2.5, 'p95': -1.5},
          'n_frames': 1000}


def test_merged_histograms_match_exact_percentiles():
  rng = np.random.default_rng(0)
  f0 = 440.0 * 2.0 ** (rng.normal(0.0, 3.0, 20000) / 12.0)
  loudness = rng.normal(-20.0, 5.0, 20000)
  loudness[:500] = -90.0  # Silence does not count.
  f0[500:700] = 0.0  # Nor unvoiced frames.
  parts = [control_ranges.histogram(f0[i:i + 3000], loudness[i:i + 3000])
           for i in range(0, 20000, 3000)]
  merged = control_ranges.from_histogram(control_ranges.merge(parts))
  exact = control_ranges.from_controls(f0, loudness)
  assert merged['n_frames'] == exact['n_frames'] == 19300
  for p in control_ranges.PERCENTILES:
    key = f'p{p}'
    # Within one histogram bin (0.1 semitone, 0.25 dB) plus rounding.
    cents = 1200 * abs(np.log2(merged['f0_hz'][key] / exact['f0_hz'][key]))
    assert cents < 12, (key, merged['f0_hz'], exact['f0_hz'])
    assert abs(merged['loudness_db'][key] - exact['loudness_db'][key]) < 0.35
  # JSON round trip (keys are strings).
  assert control_ranges.merge([json.loads(json.dumps(parts[0]))]) == (
      control_ranges.merge([parts[0]]))


def test_nothing_audible_gives_none():
  silent = control_ranges.histogram([440.0] * 10, [-80.0] * 10)
  assert control_ranges.from_histogram(silent) is None
  assert control_ranges.from_controls([0.0] * 5, [-10.0] * 5) is None


def test_outside_flags_pitch_and_level_not_attacks():
  inside = controls.Note(pitch=72, duration=1.0, peak_db=-5.0)
  assert control_ranges.outside(*inside.generate(FRAME_RATE), RANGES) == []
  low = controls.Note(pitch=40, duration=1.0, peak_db=-5.0)
  found = control_ranges.outside(*low.generate(FRAME_RATE), RANGES)
  assert len(found) == 1 and found[0].startswith('pitch MIDI 40.0'), found
  quiet = controls.Note(pitch=72, duration=1.0, peak_db=-40.0)
  found = control_ranges.outside(*quiet.generate(FRAME_RATE), RANGES)
  assert len(found) == 1 and found[0].startswith('loudness -4'), found
  both = controls.Note(pitch=100, duration=1.0, peak_db=-40.0)
  assert len(control_ranges.outside(*both.generate(FRAME_RATE), RANGES)) == 2


def test_default_peak_db_and_describe():
  assert control_ranges.default_peak_db(RANGES) == -4.5
  assert control_ranges.describe(RANGES).startswith('MIDI 65.0-79.8')


def test_prepare_records_training_controls(tiny_tfrecords):
  prefix = tiny_tfrecords.rstrip('*')
  metadata = artifacts.read_json(artifacts.tfrecord_metadata_path(prefix),
                                 'tfrecord_metadata', (2,))
  recorded = metadata['training_controls']
  assert recorded == metadata['splits']['all']['training_controls']
  # The frames actually written (examples overlap with hop 0.5 s, which
  # weights frames unevenly, so compare coverage, not each percentile).
  examples = list(tfrecords.read_examples(tiny_tfrecords))
  f0 = np.concatenate([ex['f0_hz'] for ex in examples])
  loudness = np.concatenate([ex['loudness_db'] for ex in examples])
  keep = control_ranges.audible(f0, loudness)
  f0, loudness = f0[keep], loudness[keep]
  within = ((f0 >= recorded['f0_hz']['p5'] - 1e-3) &
            (f0 <= recorded['f0_hz']['p95'] + 1e-3))
  assert 0.8 < within.mean() <= 1.0
  assert abs(np.median(loudness) - recorded['loudness_db']['p50']) < 2.0
  assert 0 < recorded['n_frames'] <= metadata['audio_secs'] * FRAME_RATE + 10


def test_fit_prior_records_training_controls(tiny_prior_path):
  prior = priors.load_prior(tiny_prior_path)
  recorded = prior.fit_info['training_controls']
  assert set(recorded) == {'f0_hz', 'loudness_db', 'n_frames'}
  assert recorded['n_frames'] > 0
  assert recorded['f0_hz']['p5'] <= recorded['f0_hz']['p95']


def test_sampler_finds_ranges_and_warns_once(tiny_model_dir, tiny_prior_path,
                                             tiny_tfrecords, tmp_path,
                                             caplog):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(tiny_model_dir)
  prior = priors.load_prior(tiny_prior_path)
  ranges, origin = sampler.training_controls(trained, prior)
  # From the TFRecords' metadata, named by the operative config.
  assert origin == artifacts.tfrecord_metadata_path(
      tiny_tfrecords.rstrip('*'))
  # Without the TFRecords' metadata: the prior's fit.
  trained.operative_config = trained.operative_config.replace(
      'TFRecordProvider.file_pattern', 'TFRecordProvider.gone')
  ranges_from_prior, origin = sampler.training_controls(trained, prior)
  assert origin == "the prior's fit" and ranges_from_prior
  assert sampler.training_controls(trained, None) == (None, None)

  far = controls.Note(pitch=20, duration=0.2, peak_db=-5.0)
  with caplog.at_level(logging.WARNING):
    written = sampler.generate(trained, prior, far, n_samples=2,
                               save_dir=str(tmp_path), progress=False)
  warnings = [r for r in caplog.records if 'outside what the model was '
              'trained on' in r.getMessage()]
  assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
  sidecar = artifacts.read_json(written[0]['json'], 'sample',
                               (sampler.SAMPLE_FORMAT_VERSION,))
  assert sidecar['training_controls'] == ranges_from_prior
  assert sidecar['outside_training_controls'][0].startswith('pitch MIDI 20')


def test_default_model_ranges_from_its_manifest():
  from ddsp_generative.sampling import default_model  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(default_model.model_dir())
  ranges, origin = sampler.training_controls(trained)
  assert os.path.basename(origin) == 'manifest.json'
  assert ranges == default_model.manifest()['training_controls']


def test_default_level_bindings():
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  assert sampler.default_level_bindings(None) == ()
  bindings = sampler.default_level_bindings(RANGES)
  assert 'Note.peak_db = -4.5' in bindings
  assert 'MidiFile.peak_db = -4.5' in bindings
