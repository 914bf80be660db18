"""One model, many instruments: labels, the timbre encoder and prior, sampling."""

import json
import os

from ddsp.training import data as ddsp_data
import numpy as np
import pytest
import tensorflow as tf

from conftest import run_cli
from conftest import run_ddsp_run
from conftest import TINY_INSTRUMENTS
from ddsp_generative.core import artifacts
from ddsp_generative.core import tfrecords
from ddsp_generative.data_preparation import prepare_tfrecord_write as write
from ddsp_generative.priors import base
from ddsp_generative.priors import timbre as timbre_prior
from ddsp_generative.sampling import requests
from ddsp_generative.training import data as training_data
from ddsp_generative.training import timbre

MULTI_GIN = 'gin/multi_instrument.gin'
INSTRUMENTS_PARAM = f'--gin_param=INSTRUMENTS={list(TINY_INSTRUMENTS)!r}'


# ------------------------------------------------------------- Labels ----
def test_prepare_labels_each_example_with_its_folder(
    tiny_instrument_tfrecords):
  files = tfrecords.match_files(tiny_instrument_tfrecords)
  found, _ = tfrecords.find_metadata(files)
  (record,) = found.values()
  assert record['instrument_labels'] == write.INSTRUMENT_FROM_DIRECTORY
  assert set(record['instruments']) == set(TINY_INSTRUMENTS)
  assert sum(record['instruments'].values()) == record['n_examples']
  assert 'instrument' in record['features']
  names = [ex['instrument'] for ex in tfrecords.read_examples(
      tiny_instrument_tfrecords, keys=('f0_hz',), text_keys=('instrument',))]
  assert sorted(set(names)) == sorted(TINY_INSTRUMENTS)
  assert len(names) == record['n_examples']


def test_ddsps_reader_is_unaffected_by_the_label(tiny_instrument_tfrecords):
  provider = ddsp_data.TFRecordProvider(tiny_instrument_tfrecords,
                                        example_secs=1)
  batch = next(iter(provider.get_batch(2, shuffle=False, repeats=1)))
  assert batch['audio'].shape == (2, 16000)
  assert 'instrument' not in batch


def test_fast_serializer_writes_the_label_as_tf_does():
  rng = np.random.default_rng(0)
  window = {k: rng.standard_normal(n).astype(np.float32) for k, n in (
      ('audio', 160), ('audio_16k', 160), ('f0_hz', 10),
      ('f0_confidence', 10), ('loudness_db', 10))}
  fast = tf.train.Example.FromString(write.serialize_example(window, 'oboe'))
  slow = write.float_dict_to_tfexample(window, 'oboe')
  assert fast == slow
  assert fast.features.feature['instrument'].bytes_list.value == [b'oboe']


def test_instrument_label_from_directory_or_name():
  path = '/data/multi/cello/take_1.wav'
  assert write.instrument_label(path, None) is None
  assert write.instrument_label(path, 'viola') == 'viola'
  assert write.instrument_label(path, write.INSTRUMENT_FROM_DIRECTORY) == (
      'cello')


def test_provider_adds_instrument_ids(tiny_instrument_tfrecords):
  base_provider = ddsp_data.TFRecordProvider(tiny_instrument_tfrecords,
                                             example_secs=1)
  provider = training_data.checked_tfrecord_provider(
      base_provider, check_gin_flags=False, instruments=TINY_INSTRUMENTS)
  assert isinstance(provider, timbre.InstrumentTFRecordProvider)
  ids = np.concatenate([b['instrument_id'].numpy() for b in provider.get_batch(
      4, shuffle=False, repeats=1)])
  names = [ex['instrument'] for ex in tfrecords.read_examples(
      tiny_instrument_tfrecords, keys=(), text_keys=('instrument',))]
  assert ids.tolist() == [TINY_INSTRUMENTS.index(n) for n in names][:len(ids)]


def test_training_refuses_labels_outside_instruments(
    tiny_instrument_tfrecords, tiny_tfrecords):
  labelled = ddsp_data.TFRecordProvider(tiny_instrument_tfrecords,
                                        example_secs=1)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match=r"INSTRUMENTS=\['reed', 'string'\]"):
    training_data.checked_tfrecord_provider(
        labelled, check_gin_flags=False, instruments=('reed',))
  unlabelled = ddsp_data.TFRecordProvider(tiny_tfrecords, example_secs=1)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='--instrument=from_directory'):
    training_data.checked_tfrecord_provider(
        unlabelled, check_gin_flags=False, instruments=TINY_INSTRUMENTS)


# ------------------------------------------------------------ Encoder ----
def test_timbre_encoder_samples_in_training_and_is_its_mean_otherwise():
  encoder = timbre.TimbreEncoder(instruments=('a', 'b', 'c'),
                                 embedding_dims=3, timbre_dims=2,
                                 rnn_channels=8)
  audio = tf.random.stateless_normal([2, 16000], seed=[0, 1]) * 0.1
  inputs = {'audio': audio, 'f0_scaled': tf.zeros([2, 250, 1]),
            'instrument_id': tf.constant([0, 2])}
  eval_a, eval_b = encoder(inputs), encoder(inputs)
  assert eval_a['timbre'].shape == (2, 250, 5)
  np.testing.assert_allclose(eval_a['timbre'], eval_b['timbre'])
  # Constant over frames; the embedding part is the instrument's.
  np.testing.assert_allclose(eval_a['timbre'][:, 0], eval_a['timbre'][:, -1])
  np.testing.assert_allclose(eval_a['timbre'][1, 0, :3],
                             encoder.embedding.embeddings[2])
  sampled = encoder(inputs, training=True)
  assert not np.allclose(sampled['timbre'][:, 0, 3:], eval_a['timbre'][:, 0,
                                                                        3:])
  losses = encoder.get_losses_dict(eval_a)
  assert float(losses['kl_loss']) >= 0
  assert float(encoder.get_metrics_dict(eval_a)['kl_nats']) * 0.01 == (
      pytest.approx(float(losses['kl_loss'])))


def test_timbre_encoder_without_embedding_needs_no_instruments():
  encoder = timbre.TimbreEncoder(embedding_dims=0, timbre_dims=4,
                                 rnn_channels=8)
  out = encoder({'audio': tf.zeros([1, 16000]),
                 'f0_scaled': tf.zeros([1, 250, 1])})
  assert out['timbre'].shape == (1, 250, 4)
  with pytest.raises(ValueError, match='INSTRUMENTS'):
    timbre.TimbreEncoder(embedding_dims=4)
  with pytest.raises(ValueError, match='embedding_dims or timbre_dims'):
    timbre.TimbreEncoder(instruments=('a',), embedding_dims=0, timbre_dims=0)


# -------------------------------------------------------------- Prior ----
def _fitted_prior(**config):
  rng = np.random.default_rng(0)
  clips = []
  for k, name in enumerate(('flute', 'oboe', 'violin')):
    for _ in range(20):
      clips.append({'z': (k * 3.0 + rng.standard_normal(4) *
                          (0.1 + k * 0.1))[np.newaxis], 'instrument': name})
  return timbre_prior.TimbrePrior(**config).fit(clips, model_fingerprint='f',
                                                frame_rate=250)


def test_timbre_prior_modes():
  prior = _fitted_prior(temperature=0.0)
  means = prior.means
  named = prior.sample(10, seed=0, mode='instrument', instrument='oboe')
  np.testing.assert_allclose(named[0], np.tile(means[1], [10, 1]), atol=1e-5)
  blend = prior.sample(5, seed=0, mode='blend', instruments=('flute',
                                                             'violin'),
                       weights=(3, 1))
  np.testing.assert_allclose(blend[0, 0], 0.75 * means[0] + 0.25 * means[2],
                             atol=1e-5)
  morph = prior.sample(11, seed=0, mode='morph',
                       instruments=('flute', 'violin'))[0]
  np.testing.assert_allclose(morph[0], means[0], atol=1e-5)
  np.testing.assert_allclose(morph[-1], means[2], atol=1e-5)
  np.testing.assert_allclose(morph[5], (means[0] + means[2]) / 2, atol=1e-5)
  new_a = prior.select('new').describe(seed=3)
  assert new_a == prior.describe(seed=3)
  assert sum(new_a['weights']) == pytest.approx(1.0)
  assert new_a['weights'] != prior.describe(seed=4)['weights']


def test_timbre_prior_stream_is_one_clip():
  prior = _fitted_prior().select('morph', instruments=('oboe', 'flute'),
                                 morph_frames=30)
  whole = prior.sample(40, seed=2)[0]
  stream = prior.stream(seed=2)
  blocks = np.concatenate([stream.next(n) for n in (7, 13, 20)])
  np.testing.assert_allclose(blocks, whole, atol=1e-6)
  np.testing.assert_allclose(whole[29:], np.tile(whole[29], [11, 1]))
  named = _fitted_prior().select('instrument', instrument='violin')
  stream = named.stream(seed=5)
  parts = np.concatenate([stream.next(3), stream.next(4)])
  np.testing.assert_allclose(parts, named.sample(7, seed=5)[0], atol=1e-6)


def test_timbre_prior_saves_loads_and_refuses_tampering(tmp_path):
  prior = _fitted_prior(temperature=0.5, concentration=0.3)
  path = str(tmp_path / 'prior.json')
  prior.save(path)
  loaded = base.load_prior(path)
  assert isinstance(loaded, timbre_prior.TimbrePrior)
  assert loaded.instruments == ('flute', 'oboe', 'violin')
  np.testing.assert_allclose(
      loaded.sample(4, seed=1, instrument='oboe'),
      prior.sample(4, seed=1, instrument='oboe'))
  with open(path) as f:
    record = json.load(f)
  record['params']['spreads'][0][0] = -1.0
  with open(path, 'w') as f:
    json.dump(record, f)
  with pytest.raises(base.InvalidPriorError, match='spreads'):
    base.load_prior(path)


def test_timbre_prior_choices_are_checked():
  prior = _fitted_prior()
  with pytest.raises(ValueError, match='plays flute, oboe, violin'):
    prior.select('instrument', instrument='tuba')
  with pytest.raises(ValueError, match='not all 0'):
    prior.select('blend', instruments=('flute', 'oboe'), weights=(0, 0))
  with pytest.raises(ValueError, match='two names'):
    prior.select('morph', instruments=('flute',))
  with pytest.raises(base.PriorDataError, match='instrument'):
    timbre_prior.TimbrePrior().fit(np.zeros([5, 3]))


def test_timbre_request_parses_the_flags():
  assert requests.TimbreRequest(instrument='cello').choice() == (
      'instrument', {'instrument': 'cello'})
  assert requests.TimbreRequest(instrument='new').choice() == ('new', {})
  assert requests.TimbreRequest(blend='a:0.7,b:0.3').choice() == (
      'blend', {'instruments': ('a', 'b'), 'weights': (0.7, 0.3)})
  assert requests.TimbreRequest(morph='a,b', morph_secs=2).choice(100) == (
      'morph', {'instruments': ('a', 'b'), 'morph_frames': 200})
  assert requests.TimbreRequest().choice() == (None, {})
  for bad, match in ((dict(instrument='a', morph='a,b'), 'not several'),
                     (dict(blend='a:x'), 'not a weight'),
                     (dict(morph='a'), 'two'),
                     (dict(instrument='a', morph_secs=1.0), '--morph')):
    with pytest.raises(requests.TimbreRequestError, match=match):
      requests.TimbreRequest(**bad).choice()


# ------------------------------------------------ The whole path, CLIs ----
@pytest.fixture(scope='module')
def multi_model(tiny_multi_model_dir):
  """conftest's tiny multi-instrument model and its timbre prior."""
  return tiny_multi_model_dir


def test_ddsp_run_refuses_a_vocabulary_missing_a_label(
    tmp_path, tiny_instrument_tfrecords):
  result = run_ddsp_run(str(tmp_path / 'm'), tiny_instrument_tfrecords,
                        num_steps=1, gin_file=MULTI_GIN,
                        extra=["--gin_param=INSTRUMENTS=['reed']"],
                        check=False)
  assert result.returncode != 0
  assert "INSTRUMENTS=['reed', 'string']" in result.stderr


def test_fit_timbre_prior_refuses_unlabelled_clips(multi_model, tmp_path,
                                                  tiny_tfrecords):
  result = run_cli('ddsp_generative.fit_timbre_prior',
                   f'--model_dir={multi_model}',
                   f'--tfrecord_pattern={tiny_tfrecords}',
                   f'--output={tmp_path}/prior.json', expect_ok=False)
  assert 'without an instrument label' in result.stderr.strip().splitlines()[
      -1]
  assert 'Traceback' not in result.stderr
  assert not os.path.exists(tmp_path / 'prior.json')


def test_timbre_prior_file_records_the_model(multi_model):
  record = artifacts.read_json(os.path.join(multi_model, 'prior.json'),
                               base.KIND, base.SUPPORTED_VERSIONS)
  assert record['type'] == 'timbre'
  assert record['params']['instruments'] == list(TINY_INSTRUMENTS)
  assert record['provenance']['model']['instruments'] == list(
      TINY_INSTRUMENTS)


def _sample(model_dir, save_dir, *flags, expect_ok=True):
  return run_cli('ddsp_generative.sample', f'--model_dir={model_dir}',
                 f'--save_dir={save_dir}', '--pitch=60', '--duration=0.5',
                 '--expression=rules', '--phrase_model=none', *flags,
                 expect_ok=expect_ok)


def _sidecar(save_dir):
  with open(os.path.join(save_dir, 'sample_000.json')) as f:
    return json.load(f)


def test_sampler_plays_named_blended_morphed_and_new_instruments(
    multi_model, tmp_path):
  for name, flags in (('reed', ['--instrument=reed']),
                      ('string', ['--instrument=string']),
                      ('blend', ['--blend=reed:0.25,string:0.75']),
                      ('morph', ['--morph=reed,string']),
                      ('new', ['--instrument=new', '--n_samples=2'])):
    save_dir = str(tmp_path / name)
    _sample(multi_model, save_dir, *flags)
    timbre_info = _sidecar(save_dir)['timbre']
    assert timbre_info['instruments'] == list(TINY_INSTRUMENTS)
    if name in TINY_INSTRUMENTS:
      assert timbre_info['mode'] == 'instrument'
      assert timbre_info['weights'][TINY_INSTRUMENTS.index(name)] == 1.0
    elif name == 'blend':
      assert timbre_info['weights'] == [0.25, 0.75]
    elif name == 'morph':
      assert (timbre_info['weights'], timbre_info['end_weights']) == (
          [1.0, 0.0], [0.0, 1.0])
    else:
      assert timbre_info['mode'] == 'new'
      assert sum(timbre_info['weights']) == pytest.approx(1.0)
  import soundfile  # pylint: disable=g-import-not-at-top
  reed, _ = soundfile.read(str(tmp_path / 'reed' / 'sample_000.wav'))
  string, _ = soundfile.read(str(tmp_path / 'string' / 'sample_000.wav'))
  assert reed.shape == string.shape and not np.allclose(reed, string)


def test_sampler_timbre_errors_are_one_line(multi_model, tmp_path,
                                            tiny_model_dir, tiny_prior_path):
  cases = (
      (multi_model, [], 'choose with --instrument'),
      (multi_model, ['--instrument=tuba'], 'plays reed, string'),
      (multi_model, ['--instrument=reed', '--morph=reed,string'],
       'not several'),
      (tiny_model_dir, ['--instrument=reed', f'--prior={tiny_prior_path}'],
       'not a multi-instrument model'),
  )
  for i, (model_dir, flags, match) in enumerate(cases):
    result = _sample(model_dir, str(tmp_path / str(i)), *flags,
                     expect_ok=False)
    lines = result.stderr.strip().splitlines()
    assert match in lines[-1], result.stderr[-2000:]
    assert 'Traceback' not in result.stderr


# ------------------------------------------------- Watching the space ----
def test_is_monotonic_within_a_tolerance():
  from ddsp_generative.evaluation import timbre_space  # pylint: disable=g-import-not-at-top
  assert timbre_space.is_monotonic([0.1, 0.3, 0.29, 0.9])
  assert not timbre_space.is_monotonic([0.1, 0.5, 0.3, 0.9])
  assert timbre_space.is_monotonic([900, 700, 710, 400], relative=True)
  assert not timbre_space.is_monotonic([900, 500, 800, 400], relative=True)


def test_instrument_classifier_and_latent_maps(tmp_path):
  from ddsp_generative.evaluation import timbre_space  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  features = {'a': rng.standard_normal([30, 5]),
              'b': rng.standard_normal([30, 5]) + 3.0}
  classifier = timbre_space.InstrumentClassifier().fit(features)
  assert classifier.names == ('a', 'b')
  assert classifier.recognised(features['b'] + 0.1, 'b') > 0.9
  assert classifier.recognised(features['b'], 'a') < 0.1
  vectors = np.concatenate(list(features.values()))
  for method in ('pca', 'tsne'):
    assert timbre_space.latent_map(vectors, method).shape == (60, 2)
  with pytest.raises(ValueError, match='pca'):
    timbre_space.latent_map(vectors, 'umap')
  path = str(tmp_path / 'map.png')
  timbre_space.save_map_figure(
      path, {'PCA': timbre_space.latent_map(vectors, 'pca')},
      ['a'] * 30 + ['b'] * 30, marked=np.arange(60) >= 55)
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_interpolation_curve_of_the_tiny_model(multi_model,
                                               tiny_instrument_tfrecords):
  from ddsp_generative.evaluation import clip_features  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import timbre_space  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(multi_model)
  prior = base.load_prior(os.path.join(multi_model, 'prior.json'))
  data = trained.read_tfrecords(tiny_instrument_tfrecords,
                                text_keys=('instrument',))
  features = {name: clip_features.clip_features(
      data['audio'][data['instrument'] == name], trained.sample_rate)
              for name in TINY_INSTRUMENTS}
  classifier = timbre_space.InstrumentClassifier().fit(features)
  curve = timbre_space.interpolation_curve(
      trained, prior, classifier, TINY_INSTRUMENTS, data['f0_hz'][:2],
      data['loudness_db'][:2], weights=(0.0, 0.5, 1.0))
  assert curve['weights'] == [0.0, 0.5, 1.0]
  assert all(0 <= p <= 1 for p in curve['p_second'])
  assert len(curve['centroid_hz']) == 3
  assert curve['span'] == pytest.approx(curve['p_second'][-1] -
                                        curve['p_second'][0])
  assert curve['interpolates'] == (curve['monotonic_probability'] and
                                   curve['span'] >= timbre_space.MIN_SPAN)
