# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Load a model trained by `ddsp_run` and run its encoder or decoder alone.

A model directory written by `ddsp_run --mode=train` holds the operative gin
config and checkpoints. `load_model()` rebuilds the model from the config,
restores the latest (or a given) checkpoint and exposes:

* `encode()`: audio features -> z at the model's frame rate (z extraction);
* `decode()`: (f0_hz, loudness_db, z) -> audio, with no input audio at all,
  for any number of frames (the synthesizers' lengths follow the controls);
* `reconstruct()`: audio features -> resynthesised audio (evaluation).

A model directory is data: loading it runs no code from it. Its operative
config is checked by `core.gin_safety` before gin parses it (imports of
anything but ddsp and ddsp_generative, `__gin__` dynamic registration and
`include` are refused), the checkpoint it names must lie inside it, and a
corrupt config or checkpoint is a one-line `ModelLoadError`. `gin_params`
are the caller's own bindings (code, like `--gin_param`), parsed unchecked.
"""

import dataclasses
import hashlib
import os
import re
from typing import Optional

from absl import logging
from ddsp_generative import environment
from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.core import gin_safety
from ddsp_generative.core import tfrecords

environment.setup()
environment.require_ddsp()

import ddsp  # pylint: disable=g-import-not-at-top,g-bad-import-order
from ddsp.training import train_util  # pylint: disable=g-import-not-at-top
import gin  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

import ddsp_generative.training  # pylint: disable=g-import-not-at-top,unused-import
from ddsp_generative.training import timbre  # pylint: disable=g-import-not-at-top


class ModelLoadError(errors.UserError, ValueError):
  """The model directory is missing, incomplete or not a usable model."""


class ModelConfigError(ModelLoadError, gin_safety.ArtifactCodeError):
  """The operative config would run code (import, include) or is not gin."""


# Characters of an underlying error quoted in a ModelLoadError.
_DETAIL_CHARS = 300


def _detail(e):
  """An exception as one short line: its type and message."""
  text = ' '.join(str(getattr(e, 'message', None) or e).split())
  if len(text) > _DETAIL_CHARS:
    text = text[:_DETAIL_CHARS] + '...'
  return f'{type(e).__name__}: {text}' if text else type(e).__name__


@dataclasses.dataclass
class TrainedModel:
  """A restored DDSP autoencoder and what is known about it.

  Attributes:
    model: The restored `ddsp.training.models.Autoencoder`.
    model_dir: Directory it was loaded from.
    checkpoint_path: Checkpoint restored.
    step: Training step of that checkpoint.
    operative_config: Text of the operative gin config.
    fingerprint: SHA-256 of the operative config (the architecture and
      training setup), used to match priors to models.
    sample_rate: Audio sample rate (Hz).
    frame_rate: Control frame rate (frames per second).
    hop_size: Audio samples per control frame.
    example_frames: Frames per training example.
    z_dims: Size of z per frame, or None for a model without an encoder.
      For a multi-instrument model (`training.timbre.TimbreEncoder`), the
      size of its timbre vector, which the priors and the sampler handle as
      z (a `priors.TimbrePrior` samples it).
    z_key: The decoder input z fills: 'z', or 'timbre'.
    instruments: A multi-instrument model's instrument names (id order), or
      None.
    descriptors: The timbre descriptors the decoder reads besides f0 and
      loudness (`training.descriptors.DescriptorPreprocessor`; keys of
      `core.descriptors`), in its input order; () for ddsp's models.
  """
  model: tf.keras.Model
  model_dir: str
  checkpoint_path: str
  step: int
  operative_config: str
  fingerprint: str
  sample_rate: int
  frame_rate: int
  hop_size: int
  example_frames: int
  z_dims: Optional[int]
  # The URL the model was fetched from (`core.filesystem.local_tree`), when
  # model_dir is the local copy of a remote directory.
  source_dir: Optional[str] = None
  z_key: str = 'z'
  instruments: Optional[tuple] = None
  descriptors: tuple = ()

  def info(self):
    """JSON-serialisable description, for provenance records."""
    return {
        'model_dir': self.source_dir or os.path.abspath(self.model_dir),
        'checkpoint': os.path.basename(self.checkpoint_path),
        'step': self.step,
        'fingerprint': self.fingerprint,
        'sample_rate': self.sample_rate,
        'frame_rate': self.frame_rate,
        'z_dims': self.z_dims,
        'instruments': (None if self.instruments is None else
                        list(self.instruments)),
        'descriptors': list(self.descriptors),
    }

  def descriptor_array(self, descriptors, n_frames):
    """Descriptor curves as one [n_frames, n_descriptors] float32 array.

    Args:
      descriptors: {key: [n_frames]} (keys of `self.descriptors`; others are
        ignored), or None for a model that decodes from none.
      n_frames: Frames the curves must have.

    Returns:
      The array in `self.descriptors` order, or None for a model without
      descriptors.

    Raises:
      ValueError: A curve is missing or of another length.
    """
    if not self.descriptors:
      return None
    descriptors = descriptors or {}
    missing = [k for k in self.descriptors if k not in descriptors]
    if missing:
      raise ValueError(
          f'This model decodes from the descriptor(s) {", ".join(missing)}: '
          'pass their curves (the sampler\'s --descriptor).')
    columns = []
    for key in self.descriptors:
      values = np.asarray(descriptors[key], np.float32).reshape(-1)
      if len(values) != n_frames:
        raise ValueError(f'Descriptor {key} has {len(values)} frames, not '
                         f'{n_frames}.')
      columns.append(values)
    return np.stack(columns, axis=-1)

  def read_tfrecords(self, file_pattern, max_examples=None, text_keys=()):
    """TFRecord examples of this model's geometry, as stacked arrays.

    Args:
      file_pattern: TFRecord file pattern.
      max_examples: Read at most this many (None: all).
      text_keys: Text features to read too (e.g. 'instrument').

    Returns:
      The dict of `core.tfrecords.read_arrays`.

    Raises:
      tfrecords.DatasetMismatchError: No TFRecords, or of another sample
        rate, frame rate or example length than the model's (before any
        example is read).
    """
    return tfrecords.read_checked_arrays(
        file_pattern, self.sample_rate, self.frame_rate,
        self.example_frames * self.hop_size, self.example_frames,
        expected_from=f'the model in {self.model_dir}',
        max_examples=max_examples, text_keys=text_keys,
        frame_keys=self.descriptors)

  def _set_lengths(self, n_frames):
    """Points the preprocessor and synthesizers at a clip of n_frames."""
    self.model.preprocessor.time_steps = n_frames
    for processor in _processors(self.model):
      if hasattr(processor, 'n_samples'):
        processor.n_samples = n_frames * self.hop_size

  def _audio_features(self, audio, f0_hz, loudness_db, instrument_id=None,
                      descriptors=None):
    """ddsp's input features as tensors, the model set to their length.

    Args:
      audio: [batch, n_samples] audio at `sample_rate`.
      f0_hz: [batch, n_frames] fundamental frequency.
      loudness_db: [batch, n_frames] loudness.
      instrument_id: [batch] ids (in `instruments`) for a multi-instrument
        model; required by one.
      descriptors: {key: [batch, n_frames]}, for a model that decodes from
        descriptors; required by one.

    Returns:
      Dict of float32 tensors 'audio', 'f0_hz' and 'loudness_db' (and int32
      'instrument_id', and the descriptors).
    """
    f0_hz = np.asarray(f0_hz, np.float32)
    self._set_lengths(f0_hz.shape[1])
    features = {
        'audio': tf.convert_to_tensor(audio, tf.float32),
        'f0_hz': tf.convert_to_tensor(f0_hz),
        'loudness_db': tf.convert_to_tensor(loudness_db, tf.float32),
    }
    if self.instruments is not None:
      if instrument_id is None:
        raise ValueError('A multi-instrument model encodes a clip given its '
                         'instrument: pass instrument_id.')
      features['instrument_id'] = tf.convert_to_tensor(
          np.asarray(instrument_id, np.int32).reshape([-1]))
    features.update(self._descriptor_features(descriptors, f0_hz.shape))
    return features

  def _descriptor_features(self, descriptors, shape):
    """{key: [batch, n_frames] tensor} of the model's descriptors."""
    out = {}
    for key in self.descriptors:
      if descriptors is None or key not in descriptors:
        raise ValueError(
            f'This model decodes from the descriptor {key}: pass its curve '
            '(the sampler\'s --descriptor; TFRecords of '
            'ddsp_generative_prepare_tfrecord hold it).')
      values = np.asarray(descriptors[key], np.float32)
      if values.shape != tuple(shape):
        raise ValueError(f'Descriptor {key} must be {tuple(shape)}, got '
                         f'{values.shape}.')
      out[key] = tf.convert_to_tensor(values)
    return out

  def encode(self, audio, f0_hz, loudness_db, instrument_id=None,
             descriptors=None):
    """Runs the preprocessor and encoder.

    Args:
      audio: [batch, n_samples] audio at `sample_rate`.
      f0_hz: [batch, n_frames] fundamental frequency.
      loudness_db: [batch, n_frames] loudness (ddsp's compute_loudness).
      instrument_id: [batch] instrument ids, for a multi-instrument model
        (its 'z' is then the timbre vector, the same on every frame).
      descriptors: {key: [batch, n_frames]}, for a model that decodes from
        descriptors.

    Returns:
      Dict of numpy arrays 'z' [batch, n_frames, z_dims], 'f0_hz' and
      'loudness_db' [batch, n_frames]. For a probabilistic (VAE) encoder 'z' is
      the posterior mean (the encoder runs in inference mode) and 'z_logvar'
      [batch, n_frames, z_dims] its log-variance is added.
    """
    if self.model.encoder is None:
      raise ModelLoadError(
          f'The model in {self.model_dir} has no z encoder: use a gin config '
          'with one (e.g. gin/harmonic_noise_z.gin).')
    features = self._audio_features(audio, f0_hz, loudness_db, instrument_id,
                                    descriptors)
    features = self.model.encode(features, training=False)
    encoded = {
        'z': features[self.z_key].numpy(),
        'f0_hz': features['f0_hz'].numpy()[..., 0],
        'loudness_db': features['loudness_db'].numpy()[..., 0],
    }
    if 'z_logvar' in features:
      encoded['z_logvar'] = features['z_logvar'].numpy()
    return encoded

  def reconstruct(self, audio, f0_hz, loudness_db, seed=None,
                  instrument_id=None, descriptors=None):
    """Resynthesises audio from its own features (encoder in inference mode).

    Args:
      audio: [batch, n_samples] audio at `sample_rate`.
      f0_hz: [batch, n_frames] fundamental frequency.
      loudness_db: [batch, n_frames] loudness (ddsp's compute_loudness).
      seed: Optional int seeding the synthesizers' own randomness.
      instrument_id: [batch] instrument ids, for a multi-instrument model.
      descriptors: {key: [batch, n_frames]}, for a model that decodes from
        descriptors (its resynthesis uses the clip's own).

    Returns:
      audio: [batch, n_frames * hop_size] float32 numpy array.
    """
    features = self._audio_features(audio, f0_hz, loudness_db, instrument_id,
                                    descriptors)
    if seed is not None:
      tf.random.set_seed(seed)
    outputs = self.model(features, training=False)
    return self.model.get_audio_from_outputs(outputs).numpy()

  def decode(self, f0_hz, loudness_db, z=None, seed=None, descriptors=None):
    """Synthesises audio from controls and z, with no input audio.

    Args:
      f0_hz: [batch, n_frames] fundamental frequency in Hz.
      loudness_db: [batch, n_frames] loudness in dB (ddsp's scale, <= 0).
      z: [batch, n_frames, z_dims] latents, required when the model has an
        encoder.
      seed: Optional int seeding the synthesizers' own randomness (the
        filtered noise), so that the same inputs and seed give the same audio.
      descriptors: {key: [batch, n_frames]} descriptor curves, required by a
        model that decodes from descriptors (`self.descriptors`).

    Returns:
      audio: [batch, n_frames * hop_size] float32 numpy array.
    """
    f0_hz = np.asarray(f0_hz, np.float32)
    loudness_db = np.asarray(loudness_db, np.float32)
    if f0_hz.shape != loudness_db.shape or f0_hz.ndim != 2:
      raise ValueError('f0_hz and loudness_db must both be [batch, n_frames]; '
                       f'got {f0_hz.shape} and {loudness_db.shape}.')
    n_frames = f0_hz.shape[1]
    self._set_lengths(n_frames)
    features = {'f0_hz': f0_hz, 'loudness_db': loudness_db}
    features.update(self._descriptor_features(descriptors, f0_hz.shape))
    features.update(self.model.preprocessor(features, training=False))
    if self.z_dims is not None:
      if z is None:
        raise ValueError('This model decodes from z: pass z sampled from a '
                         'prior.')
      z = np.asarray(z, np.float32)
      expected = (f0_hz.shape[0], n_frames, self.z_dims)
      if z.shape != expected:
        raise ValueError(f'z must be {expected}, got {z.shape}.')
      features[self.z_key] = tf.convert_to_tensor(z)
    if seed is not None:
      tf.random.set_seed(seed)
    audio = self.model.decode(features, training=False)
    return audio.numpy()


def _processors(model):
  """The synthesizers and effects of the model's ProcessorGroup."""
  return list(getattr(model.processor_group, 'processors', []))


def fingerprint_config(operative_config):
  """Stable hash of an operative config, ignoring comments and blank lines."""
  lines = []
  for line in operative_config.splitlines():
    line = line.strip()
    if line and not line.startswith('#'):
      lines.append(line)
  return hashlib.sha256('\n'.join(lines).encode()).hexdigest()[:16]


def local_model_dir(model_dir):
  """A local directory with the files of a model directory or its URL.

  A URL's files (`core.filesystem.local_tree`; not ddsp_run's summaries)
  are fetched once per process: TensorFlow restores checkpoints from its
  own filesystems only.
  """
  return filesystem.local_tree(model_dir, exclude=('summaries',))


def find_checkpoint(model_dir, checkpoint=None):
  """Returns (checkpoint_path, step), with a clear error when there is none.

  A checkpoint found in a directory (through its `checkpoint` file or the
  `ckpt-*.index` files) must lie inside that directory, symlinks resolved:
  the directory is data and cannot send the loader elsewhere. A checkpoint
  path given explicitly is the caller's choice.

  Raises:
    ModelLoadError: No directory, no checkpoint, an unreadable `checkpoint`
      file, or a checkpoint outside the directory.
  """
  if not os.path.isdir(model_dir):
    raise ModelLoadError(
        f'Model directory not found: {model_dir}. Train one with `ddsp_run '
        '--mode=train --save_dir=... --gin_file=gin/harmonic_noise_z.gin`.')
  path = checkpoint or model_dir
  try:
    ckpt = train_util.get_latest_checkpoint(path)
  except FileNotFoundError as e:
    raise ModelLoadError(
        f'No checkpoint in {path}: training did not reach its first save '
        '(train.steps_per_save), or this is not a ddsp_run --save_dir.') from e
  except (tf.errors.OpError, ValueError) as e:  # A corrupt 'checkpoint' file.
    raise ModelLoadError(
        f'Cannot read the checkpoint list of {path} ({_detail(e)}): the '
        'directory is corrupt; copy it again from the ddsp_run --save_dir '
        'that wrote it.') from e
  if os.path.isdir(path):
    files = [ckpt + '.index'] + tf.io.gfile.glob(ckpt + '.data-*')
    outside = [f for f in files if not gin_safety.inside_directory(f, path)]
    if outside or not gin_safety.inside_directory(ckpt, path):
      raise ModelLoadError(
          f'{path} names a checkpoint outside itself '
          f'({os.path.realpath((outside or [ckpt])[0])}): refused, a model '
          'directory may only use its own files; copy the checkpoint into '
          'it, or pass --checkpoint=<path> if you trust that file.')
  match = re.search(r'ckpt-(\d+)$', ckpt)
  return ckpt, int(match.group(1)) if match else -1


def load_model(model_dir, checkpoint=None, gin_params=()):
  """Rebuilds and restores a model trained with `ddsp_run`.

  Clears the global gin config and parses the model's operative config, once
  `core.gin_safety` has checked that it runs no code (see the module
  docstring); unknown configurables in it are skipped, as ddsp does.

  Args:
    model_dir: `--save_dir` of the training run.
    checkpoint: Optional checkpoint path ('.../ckpt-1000'); default latest.
    gin_params: Extra gin bindings applied after the operative config: the
      caller's own (trusted) code, not checked.

  Returns:
    A TrainedModel.

  Raises:
    ModelConfigError: The operative config imports a module other than ddsp
      and ddsp_generative, uses `__gin__` dynamic registration or `include`,
      or is not gin.
    ModelLoadError: Missing directory, config or checkpoint, a config or
      gin_params from which the model cannot be built, or a corrupt
      checkpoint or one that does not match the config.
  """
  source_dir = None
  if filesystem.is_url(model_dir):  # Restored from a local copy.
    source_dir = filesystem.abspath(model_dir)
    if not filesystem.isdir(model_dir):
      raise ModelLoadError(f'Model directory not found: {model_dir}.')
    model_dir = local_model_dir(model_dir)
    if checkpoint and filesystem.is_url(checkpoint):
      checkpoint = os.path.join(model_dir, filesystem.basename(checkpoint))
  ckpt, step = find_checkpoint(model_dir, checkpoint)
  try:
    config_path = train_util.get_latest_operative_config(model_dir)
  except FileNotFoundError as e:
    raise ModelLoadError(
        f'No operative_config-*.gin in {model_dir}: not a ddsp_run model '
        'directory.') from e
  if not gin_safety.inside_directory(config_path, model_dir):
    raise ModelConfigError(
        f'{model_dir} has no operative config of its own (found '
        f'{os.path.realpath(config_path)}, outside it, symlinks resolved): '
        'refused, a model directory may only use its own files; copy the '
        "ddsp_run --save_dir's operative_config-*.gin into it.")
  gin.clear_config()
  with gin.unlock_config():
    try:
      # Checked before gin sees any of it: nothing is imported or bound first.
      operative_config = gin_safety.parse_artifact_config(config_path)
    except gin_safety.ArtifactCodeError as e:
      raise ModelConfigError(str(e)) from e
    except Exception as e:  # pylint: disable=broad-except
      gin.clear_config()
      raise ModelLoadError(
          f'Cannot parse {config_path} ({_detail(e)}): it does not fit this '
          'ddsp/ddsp_generative, or was edited; copy it again from the '
          'ddsp_run --save_dir that wrote it.') from e
    try:
      gin.parse_config(list(gin_params))
    except Exception as e:  # pylint: disable=broad-except
      gin.clear_config()
      raise ModelLoadError(
          f'Cannot parse the gin params {list(gin_params)!r} ({_detail(e)}).'
      ) from e
    try:
      model = ddsp.training.models.get_model()
    except Exception as e:  # pylint: disable=broad-except
      raise ModelLoadError(_build_failure(config_path, gin_params, e)) from e

  preprocessor = model.preprocessor
  if not all(hasattr(preprocessor, a)
             for a in ('time_steps', 'frame_rate', 'sample_rate')):
    raise ModelLoadError('Only models with an F0LoudnessPreprocessor can be '
                         'sampled without audio; this one has '
                         f'{type(preprocessor).__name__}.')
  try:
    sample_rate = int(preprocessor.sample_rate)
    frame_rate = int(preprocessor.frame_rate)
    example_frames = int(preprocessor.time_steps)
  except (TypeError, ValueError) as e:
    raise ModelLoadError(_build_failure(config_path, gin_params, e)) from e
  if sample_rate <= 0 or frame_rate <= 0 or sample_rate % frame_rate:
    raise ModelLoadError(f'sample_rate {sample_rate} is not a positive '
                         f'multiple of frame_rate {frame_rate} '
                         f'({config_path}).')
  if hasattr(preprocessor, 'compute_loudness'):
    preprocessor.compute_loudness = False

  loaded = TrainedModel(
      model=model, model_dir=model_dir, checkpoint_path=ckpt, step=step,
      operative_config=operative_config,
      fingerprint=fingerprint_config(operative_config),
      sample_rate=sample_rate, frame_rate=frame_rate,
      hop_size=sample_rate // frame_rate, example_frames=example_frames,
      z_dims=None, source_dir=source_dir,
      descriptors=tuple(getattr(preprocessor, 'descriptors', ())))

  # Build every variable with one short silent example, then restore.
  n_frames = 4
  n_samples = n_frames * loaded.hop_size
  features = {
      'audio': tf.zeros([1, n_samples]),
      'f0_hz': tf.fill([1, n_frames], 220.0),
      'loudness_db': tf.fill([1, n_frames], -60.0),
  }
  for key in loaded.descriptors:
    features[key] = tf.zeros([1, n_frames])
  if isinstance(model.encoder, timbre.TimbreEncoder):
    loaded.z_key = timbre.TIMBRE_KEY
    if model.encoder.embedding_dims:
      loaded.instruments = tuple(model.encoder.instruments)
      features[timbre.INSTRUMENT_ID_KEY] = tf.zeros([1], tf.int32)
  try:
    loaded._set_lengths(n_frames)  # pylint: disable=protected-access
    outputs = model.encode(dict(features), training=False)
    if model.encoder is not None:
      loaded.z_dims = int(outputs[loaded.z_key].shape[-1])
    model.decode(outputs, training=False)
  except Exception as e:  # pylint: disable=broad-except
    raise ModelLoadError(_build_failure(config_path, gin_params, e)) from e
  # The checkpoint also holds the optimizer, which sampling does not need.
  try:
    status = tf.train.Checkpoint(model=model).read(ckpt).expect_partial()
    status.assert_existing_objects_matched()
  except AssertionError as e:
    raise ModelLoadError(
        f'Checkpoint {ckpt} does not match the model built from '
        f'{config_path}: {_detail(e)}') from e
  except (tf.errors.OpError, ValueError, IndexError, KeyError,
          TypeError) as e:  # Truncated, corrupt or missing files.
    raise ModelLoadError(
        f'Cannot restore checkpoint {ckpt} into the model of {config_path} '
        f'({_detail(e)}): the checkpoint is corrupt, incomplete or from '
        'another model; copy the model directory again from the ddsp_run '
        '--save_dir that wrote it.') from e
  logging.info('Loaded %s (step %d, z_dims=%s).', ckpt, step, loaded.z_dims)
  return loaded


def _build_failure(config_path, gin_params, e):
  """The message of a model that cannot be built from its config."""
  given = f' with the gin params {list(gin_params)!r}' if gin_params else ''
  return (f'Cannot build the model of {config_path}{given} ({_detail(e)}): '
          'the config does not fit this ddsp/ddsp_generative, or was edited; '
          'copy it again from the ddsp_run --save_dir that wrote it.')
