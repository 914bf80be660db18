"""Every shipped gin file is parsed, built and trained for one step."""

import os
import re

import ddsp
from ddsp.training import data
from ddsp.training import models
from ddsp.training import train_util
from ddsp.training import trainers
import gin
import pytest
import tensorflow as tf

from ddsp_generative import gin_path
from ddsp_generative.core import synths
import ddsp_generative.training  # pylint: disable=unused-import

import conftest

EXPERIMENTS = gin_path.experiment_gin_files()
SIZE_MIXINS = [f for f in gin_path.shipped_gin_files()
               if f.startswith('gin/sizes/')]


def _parse(gin_files, bindings=()):
  """Parses gin like ddsp_run does: ddsp's defaults, then the user's files."""
  gin.clear_config()
  gin_path.add_gin_search_paths()
  with gin.unlock_config():
    gin.parse_config_file(os.path.join('optimization', 'base.gin'))
    gin.parse_config_file('eval/basic.gin')
    gin.parse_config_files_and_bindings(list(gin_files), list(bindings))


def _includes(gin_file, seen=None):
  """gin files reachable from gin_file through `include` lines."""
  seen = set() if seen is None else seen
  seen.add(gin_file)
  path = os.path.join(gin_path.PACKAGE_DIR, gin_file)
  with open(path) as f:
    for name in re.findall(r"^include '([^']+)'", f.read(), re.M):
      if name.startswith('gin/') and name not in seen:
        _includes(name, seen)
  return seen


def test_every_shipped_gin_file_is_exercised():
  assert 'gin/harmonic_noise_z.gin' in EXPERIMENTS
  assert 'gin/sizes/cpu.gin' in SIZE_MIXINS
  covered = set(SIZE_MIXINS)
  for experiment in EXPERIMENTS:
    covered |= _includes(experiment)
  assert set(gin_path.shipped_gin_files()) == covered


# What each experiment is made of: processors, encoder class, model class.
# Every model is checked: training stops on non-finite data or losses.
EXPECTED = {
    'gin/harmonic.gin': (['harmonic'], None, 'CheckedAutoencoder'),
    'gin/harmonic_noise.gin': (['harmonic', 'filtered_noise', 'add'], None,
                               'CheckedAutoencoder'),
    'gin/harmonic_noise_z.gin': (['harmonic', 'filtered_noise', 'add'],
                                 'MfccTimeDistributedRnnEncoder',
                                 'CheckedAutoencoder'),
    'gin/harmonic_noise_reverb_z.gin': (
        ['harmonic', 'filtered_noise', 'add', 'reverb'],
        'MfccTimeDistributedRnnEncoder', 'CheckedAutoencoder'),
    'gin/harmonic_noise_vae_z.gin': (['harmonic', 'filtered_noise', 'add'],
                                     'VaeMfccRnnEncoder', 'VaeAutoencoder'),
    'gin/multi_instrument.gin': (['harmonic', 'filtered_noise', 'add'],
                                 'TimbreEncoder', 'VaeAutoencoder'),
    'gin/harmonic_noise_descriptors.gin': (
        ['harmonic', 'filtered_noise', 'add'], None, 'CheckedAutoencoder'),
    'gin/harmonic_noise_descriptors_z.gin': (
        ['harmonic', 'filtered_noise', 'add'],
        'MfccTimeDistributedRnnEncoder', 'CheckedAutoencoder'),
}
# Experiments trained on labelled TFRecords (prepare_tfrecord --instrument),
# with the bindings they need.
LABELLED = {
    'gin/multi_instrument.gin': [
        f'INSTRUMENTS = {list(conftest.TINY_INSTRUMENTS)!r}'],
}


def _train_one_step(gin_files, bindings, tiny_tfrecords):
  """Builds a config as ddsp_run does and trains it for one step."""
  _parse(gin_files, [
      f"TFRecordProvider.file_pattern = '{tiny_tfrecords}'",
      'batch_size = 2',
  ] + list(bindings))
  # The data provider ddsp_run's train() gets from the experiment's config.
  provider = gin.query_parameter(
      'train.data_provider').scoped_configurable_fn()
  assert isinstance(provider, data.TFRecordProvider)
  strategy = train_util.get_strategy()
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.Trainer(model, strategy)
  dataset = trainer.distribute_dataset(
      provider.get_batch(batch_size=2, shuffle=False, repeats=1))
  dataset_iter = iter(dataset)
  trainer.build(next(dataset_iter))
  losses = trainer.train_step(dataset_iter)
  total = float(losses['total_loss'])
  assert tf.math.is_finite(total)
  assert total > 0
  # The operative config names this package's configuration, so a model dir
  # written by ddsp_run can be rebuilt from it.
  assert 'TFRecordProvider.file_pattern' in gin.operative_config_str()
  gin.clear_config()
  return model, losses


def test_every_experiment_is_listed():
  assert sorted(EXPERIMENTS) == sorted(EXPECTED)


@pytest.mark.parametrize('experiment', EXPERIMENTS)
def test_experiment_builds_and_trains_one_step(experiment, tiny_tfrecords,
                                               tiny_instrument_tfrecords):
  labelled = experiment in LABELLED
  model, losses = _train_one_step(
      [experiment, 'gin/sizes/tiny.gin'], LABELLED.get(experiment, []),
      tiny_instrument_tfrecords if labelled else tiny_tfrecords)
  processors, encoder, model_class = EXPECTED[experiment]
  assert model.processor_group.processor_names == processors
  assert type(model).__name__ == model_class
  assert isinstance(model, ddsp_generative.training.models.CheckedAutoencoder)
  assert (type(model.encoder).__name__ if model.encoder else None) == encoder
  # Every model file uses the fast, equivalent harmonic synthesizer.
  assert isinstance(model.processor_group.harmonic, synths.FastHarmonic)
  if encoder in ('VaeMfccRnnEncoder', 'TimbreEncoder'):
    assert {'kl_loss', 'kl_nats'} <= set(losses)
  if labelled:  # The instrument embedding was trained.
    assert model.encoder.embedding.embeddings.shape[0] == len(
        conftest.TINY_INSTRUMENTS)


@pytest.mark.parametrize('size', [s for s in SIZE_MIXINS
                                  if s != 'gin/sizes/tiny.gin'])
def test_size_mixin_builds_and_trains_one_step(size, tiny_tfrecords):
  # Every model part at the mixin's sizes, on the tiny 1 s examples.
  model, _ = _train_one_step(
      ['gin/harmonic_noise_vae_z.gin', size],
      ['EXAMPLE_SECS = 1', 'N_SAMPLES = 16000', 'TIME_STEPS = 250'],
      tiny_tfrecords)
  assert model.decoder.rnn.rnn.units == _macro_value(size,
                                                     'DECODER_RNN_CHANNELS')


def _macro_value(gin_file, macro):
  """The integer a gin file assigns to a macro."""
  with open(os.path.join(gin_path.PACKAGE_DIR, gin_file)) as f:
    match = re.search(rf'^{macro} = (\d+)', f.read(), re.M)
  return int(match.group(1))


def test_unknown_gin_name_is_an_error():
  with pytest.raises(ValueError, match='NoSuchSynth'):
    _parse(['gin/harmonic_noise_z.gin'], ['NoSuchSynth.n_samples = 4'])
  gin.clear_config()


def test_ddsp_version():
  assert ddsp.__version__ == '3.7.0'
