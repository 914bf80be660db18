# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Chunked decoding: audio of any duration in bounded memory.

`TrainedModel.decode` synthesises a whole clip at once: its audio-rate
tensors (the harmonic synth's sines, the noise filter's frames) grow with the
clip, about 0.2 GB per minute at 60 harmonics. `StreamingDecoder` yields the
same audio chunk by chunk, with memory bounded by `chunk_frames`:

* the decoder network (ddsp's `RnnFcDecoder`) runs chunk after chunk with its
  GRU state carried over, so its outputs equal one pass over the whole clip;
* the harmonic synth (`FastHarmonic`, or ddsp's `Harmonic` with window/linear
  amplitude resampling) continues the fundamental's phase from chunk to chunk
  and sees the next chunk's first frame, so its audio equals
  `fast_harmonic_synthesis` over the whole clip;
* the filtered noise is filtered frame-locally (ddsp's `frequency_filter`);
  each chunk is filtered with a few frames of context on both sides and the
  noise of every frame is drawn once, in frame order, from a NumPy generator
  seeded with `seed`, so the noise does not depend on the chunking either;
* a trainable `Reverb` convolves chunk by chunk and carries its tail
  (overlap-add), which equals one long convolution.

A clip can be fed in blocks as it is generated (`StreamingDecoder.clip(seed)
.feed(f0, loudness, z, last=...)`): the decoder network runs on chunks of
`chunk_frames` frames counted from the clip's start whatever the block sizes
(a partial chunk waits for the next block), so the audio of a clip fed in
blocks is the audio of the same clip given whole, and nothing is held for the
whole clip: memory is bounded by the block and chunk sizes, for any duration.
`decode` takes a whole clip. Models with other decoders or processors are not
supported (`unsupported_reason` says why): `clip_decoder` decodes those in
one pass once the last block has arrived (memory then grows with the clip).
"""

import math
import weakref

from absl import logging
import ddsp
from ddsp.training import decoders
from ddsp.training import nn
import numpy as np
import scipy.signal
import tensorflow as tf

from ddsp_generative.core import errors
from ddsp_generative.core import synths

# 4 s at 250 frames/s: ~30 MB of audio-rate tensors at 60 harmonics, so that
# the sampler's peak memory for a long clip stays within 1.2x of a 1 s clip's
# (benchmarks/sample_memory.py; 2000 frames peaked 1.24x at 70 s, 1000 at
# 1.16x, decoding ~5% slower). Chunk sizes differ in the audio by at most an
# LSB of 16-bit.
DEFAULT_CHUNK_FRAMES = 1000


class StreamingUnsupportedError(errors.UserError, ValueError):
  """The model has a decoder or processor chunked decoding cannot handle."""


def unsupported_reason(trained):
  """Why `StreamingDecoder` cannot decode this model, or None if it can.

  Args:
    trained: `model_io.TrainedModel`.

  Returns:
    A sentence, or None.
  """
  decoder = trained.model.decoder
  if type(decoder) is not decoders.RnnFcDecoder:  # pylint: disable=unidiomatic-typecheck
    return f'its decoder is {type(decoder).__name__}, not RnnFcDecoder'
  if decoder.stateless or not isinstance(decoder.rnn.rnn, tf.keras.layers.GRU):
    return 'its decoder RNN is not a plain GRU'
  group = trained.model.processor_group
  for node in group.dag:
    module = getattr(group, node[0])
    if isinstance(module, ddsp.synths.Harmonic):
      if module.amp_resample_method not in synths._FAST_AMP_METHODS:  # pylint: disable=protected-access
        return (f'its harmonic synth resamples amplitudes with '
                f'{module.amp_resample_method!r}')
    elif isinstance(module, ddsp.effects.Reverb):
      if not module.trainable:
        return 'its reverb takes its impulse response from the network'
    elif not isinstance(module, (ddsp.synths.FilteredNoise,
                                 ddsp.processors.Add)):
      return f'it has a {type(module).__name__} processor'
  return None


class StreamingDecoder:
  """Decodes (f0, loudness, z) of any length chunk by chunk.

  Attributes:
    trained: The `model_io.TrainedModel`.
    chunk_frames: Frames decoded per chunk (memory grows with it).
  """

  def __init__(self, trained, chunk_frames=DEFAULT_CHUNK_FRAMES):
    reason = unsupported_reason(trained)
    if reason:
      raise StreamingUnsupportedError(
          f'Chunked decoding does not support this model: {reason}.')
    if chunk_frames < 1:
      raise ValueError(f'chunk_frames must be >= 1, got {chunk_frames}.')
    self.trained = trained
    self.chunk_frames = int(chunk_frames)
    group = trained.model.processor_group
    self._nodes = [(node[0], getattr(group, node[0]), list(node[1]))
                   for node in group.dag]
    hop = trained.hop_size
    # Frames of context each side of a chunk for the noise filter's impulse
    # responses (window_size samples, centred) to be complete.
    windows = [m.window_size for _, m, _ in self._nodes
               if isinstance(m, ddsp.synths.FilteredNoise)]
    self._context = max([1] + [math.ceil(max(w, 1) / hop) + 1
                               for w in windows])

  def decode(self, f0_hz, loudness_db, z=None, seed=0, descriptors=None):
    """Yields the audio of one clip, chunk by chunk.

    Args:
      f0_hz: [n_frames] fundamental frequency in Hz.
      loudness_db: [n_frames] loudness in dB.
      z: [n_frames, z_dims] latents, for a model with an encoder.
      seed: Seeds the filtered noise.
      descriptors: {key: [n_frames]} descriptor curves, for a model that
        decodes from descriptors (`TrainedModel.descriptors`).

    Yields:
      float32 audio chunks [chunk_frames * hop_size] (the last one shorter);
      n_frames * hop_size samples in all.
    """
    yield from self.clip(seed).feed(f0_hz, loudness_db, z, last=True,
                                    descriptors=descriptors)

  def clip(self, seed=0):
    """A `ClipStream` decoding one clip fed block by block.

    Args:
      seed: Seeds the filtered noise.

    Returns:
      A `ClipStream`.
    """
    return ClipStream(self, seed)

  def _network(self, f0_hz, loudness_db, z, rnn_state, descriptors=None):
    """Preprocessor and decoder on one chunk, GRU state carried.

    Args:
      f0_hz: [n] f0.
      loudness_db: [n] loudness.
      z: [n, z_dims] or None.
      rnn_state: [1, rnn_channels] GRU state after the previous chunk, or
        None at the start.
      descriptors: [n, n_descriptors] in `trained.descriptors` order, or
        None.

    Returns:
      (dict of [n, ...] numpy arrays of the decoder's inputs and outputs,
      new GRU state).
    """
    model = self.trained.model
    n = len(f0_hz)
    self.trained._set_lengths(n)  # pylint: disable=protected-access
    features = {'f0_hz': f0_hz[np.newaxis], 'loudness_db':
                    loudness_db[np.newaxis]}
    for i, key in enumerate(self.trained.descriptors):
      features[key] = descriptors[np.newaxis, :, i]
    features.update(model.preprocessor(features, training=False))
    if z is not None:
      features[self.trained.z_key] = tf.convert_to_tensor(z[np.newaxis])
    decoder = model.decoder
    inputs = [tf.convert_to_tensor(features[k], tf.float32)
              for k in decoder.input_keys]
    inputs = [tf.reshape(x, [1, n, x.shape[-1] if x.shape.rank == 3 else 1])
              for x in inputs]
    if rnn_state is None:
      rnn_state = tf.zeros([1, decoder.rnn.rnn.units])  # Keras' default.
    outputs, new_state = _traced_decoder(decoder, inputs)(inputs, rnn_state)
    features.update(outputs)
    arrays = {}
    for key, value in features.items():
      value = np.asarray(value, np.float32)
      arrays[key] = value.reshape([n, -1])
    return arrays, new_state

  def _synthesize(self, buffer, start, end, n_frames, state):
    """Audio of frames [start, end) from the frame-rate buffer.

    Args:
      buffer: `_FrameBuffer` holding at least [start - context, end +
        context) ∩ [0, n_frames).
      start: First frame.
      end: End frame (exclusive).
      n_frames: Frames available: through the network so far, the clip's
        length once its last block has arrived.
      state: `_SynthState` carried between chunks.

    Returns:
      float32 [(end - start) * hop_size] audio.
    """
    hop = self.trained.hop_size
    signals = {}
    signal = None
    for name, module, keys in self._nodes:
      def frames(first, last, keys=keys):
        return [tf.convert_to_tensor(buffer.get(k, first, last)[np.newaxis])
                for k in keys]
      if isinstance(module, ddsp.synths.Harmonic):
        last = min(n_frames, end + 1)  # The next chunk's first frame.
        controls = module.get_controls(*frames(start, last))
        n = last - start
        audio, phase = synths.fast_harmonic_synthesis(
            controls['f0_hz'], controls['amplitudes'],
            controls['harmonic_distribution'], n_samples=n * hop,
            sample_rate=module.sample_rate,
            amp_resample_method=module.amp_resample_method,
            initial_phase=state.phases.get(name, np.zeros([1])),
            return_phase=True)
        length = (end - start) * hop
        state.phases[name] = phase[:, length - 1].numpy()
        signal = audio.numpy()[0, :length]
      elif isinstance(module, ddsp.synths.FilteredNoise):
        first = max(0, start - self._context)
        last = min(n_frames, end + self._context)
        controls = module.get_controls(*frames(first, last))
        noise = state.noise(name, first, last, hop)
        filtered = ddsp.core.frequency_filter(
            noise[np.newaxis], controls['magnitudes'],
            window_size=module.window_size).numpy()[0]
        signal = filtered[(start - first) * hop:(end - first) * hop]
      elif isinstance(module, ddsp.processors.Add):
        one, two = (signals[k] for k in keys)
        signal = one + two
      else:  # Trainable ddsp.effects.Reverb (see unsupported_reason).
        dry = signals[keys[0]]
        ir = module._mask_dry_ir(  # pylint: disable=protected-access
            module.get_controls(dry[np.newaxis])['ir']).numpy()[0]
        wet = scipy.signal.fftconvolve(dry.astype(np.float64), ir)
        tail = state.tails.get(name)
        if tail is not None:
          overlap = min(len(tail), len(wet))
          wet[:overlap] += tail[:overlap]
          if len(tail) > overlap:  # A chunk shorter than the impulse.
            wet = np.concatenate([wet, tail[overlap:]])
        state.tails[name] = wet[len(dry):]
        wet = wet[:len(dry)].astype(np.float32)
        signal = wet + dry if module._add_dry else wet  # pylint: disable=protected-access
      signals[f'{name}/signal'] = signal
    return np.asarray(signal, np.float32)


def check_block(trained, f0_hz, loudness_db, z, descriptors=None):
  """A block of controls (and z) as float32 arrays of one length.

  Args:
    trained: `model_io.TrainedModel`.
    f0_hz: [n] f0.
    loudness_db: [n] loudness.
    z: [n, z_dims], or None for a model without z.
    descriptors: {key: [n]} for a model that decodes from descriptors
      (`trained.descriptors`), else None.

  Returns:
    (f0_hz [n], loudness_db [n], z [n, z_dims] or None, descriptors
    [n, n_descriptors] in `trained.descriptors` order or None), float32.

  Raises:
    ValueError: Lengths or z's shape do not match, or descriptors missing.
  """
  f0_hz = np.asarray(f0_hz, np.float32).reshape(-1)
  loudness_db = np.asarray(loudness_db, np.float32).reshape(-1)
  n_frames = len(f0_hz)
  if len(loudness_db) != n_frames:
    raise ValueError('f0_hz and loudness_db must be [n_frames] of one '
                     f'length; got {f0_hz.shape} and {loudness_db.shape}.')
  if trained.z_dims is not None:
    if z is None:
      raise ValueError('This model decodes from z: pass z sampled from a '
                       'prior.')
    z = np.asarray(z, np.float32)
    if z.size != n_frames * trained.z_dims:
      raise ValueError(f'z must be [{n_frames}, {trained.z_dims}], got '
                       f'{z.shape}.')
    z = z.reshape(n_frames, trained.z_dims)
  return f0_hz, loudness_db, z, trained.descriptor_array(descriptors,
                                                         n_frames)


class ClipStream:
  """One clip decoded as its blocks arrive (`StreamingDecoder.clip`).

  Carries the GRU state, the synthesizers' phase, noise and reverb tail and
  the frames not yet synthesised from block to block.
  """

  def __init__(self, decoder, seed=0):
    self._decoder = decoder
    self._state = _SynthState(np.random.default_rng(seed))
    self._buffer = _FrameBuffer()
    self._rnn_state = None
    self._pending = []  # Blocks not yet through the network.
    self._n_pending = 0
    self._end = 0  # Frames through the network.
    self._done = 0  # Frames synthesised.
    self._closed = False

  def feed(self, f0_hz, loudness_db, z=None, last=False, descriptors=None):
    """Takes the next block; returns a generator of the audio it completes.

    The block is checked and queued at once; the returned generator runs
    the network and the synthesizers as it is iterated. The audio of a frame
    comes once the next frames its synthesis needs (a few, for the noise
    filter and the harmonic synth's interpolation) have arrived, or with the
    last block.

    Args:
      f0_hz: [n] f0 in Hz of the block's frames.
      loudness_db: [n] loudness in dB.
      z: [n, z_dims] latents, for a model with an encoder.
      last: Whether this is the clip's last block; then every remaining
        frame is synthesised and the stream is closed.
      descriptors: {key: [n]} descriptor curves, for a model that decodes
        from descriptors.

    Returns:
      A generator of float32 audio chunks; over all blocks, n_frames *
      hop_size samples.

    Raises:
      ValueError: Shapes do not match, the stream is closed, or the clip
        ends with no frame.
    """
    if self._closed:
      raise ValueError('This clip is complete: its last block was fed.')
    trained = self._decoder.trained
    block = check_block(trained, f0_hz, loudness_db, z, descriptors)
    if len(block[0]):
      self._pending.append(block)
      self._n_pending += len(block[0])
    if last:
      self._closed = True
      if self._end + self._n_pending < 1:
        raise ValueError('f0_hz and loudness_db must be [n_frames] of one '
                         'length >= 1; the clip has no frame.')
    return self._run(last)

  def _run(self, last):
    """Network and synthesis of the queued frames (see `feed`)."""
    chunk_frames = self._decoder.chunk_frames
    context = self._decoder._context  # pylint: disable=protected-access
    while self._n_pending >= chunk_frames or (last and self._n_pending):
      take = min(chunk_frames, self._n_pending)
      f0_chunk, loudness_chunk, z_chunk, d_chunk = self._take(take)
      outputs, self._rnn_state = self._decoder._network(  # pylint: disable=protected-access
          f0_chunk, loudness_chunk, z_chunk, self._rnn_state, d_chunk)
      self._buffer.append(outputs)
      self._end += take
      final = last and not self._n_pending
      ready = self._end if final else self._end - context
      if ready > self._done:
        yield self._synthesize(ready)
    if last and self._end > self._done:
      yield self._synthesize(self._end)

  def _take(self, n):
    """The first n pending frames (f0, loudness, z, descriptors), removed.

    z and descriptors are None for models without them.
    """
    parts, taken = [], 0
    while taken < n:
      block = self._pending[0]
      use = min(n - taken, len(block[0]))
      parts.append(tuple(None if x is None else x[:use] for x in block))
      if use == len(block[0]):
        self._pending.pop(0)
      else:
        self._pending[0] = tuple(None if x is None else x[use:]
                                 for x in block)
      taken += use
    self._n_pending -= n
    if len(parts) == 1:
      return parts[0]
    return tuple(None if parts[0][i] is None else
                 np.concatenate([p[i] for p in parts]) for i in range(4))

  def _synthesize(self, ready):
    """Audio of frames [done, ready); drops the frames no longer needed."""
    decoder = self._decoder
    audio = decoder._synthesize(  # pylint: disable=protected-access
        self._buffer, self._done, ready, self._end, self._state)
    self._buffer.drop_before(ready - decoder._context)  # pylint: disable=protected-access
    self._done = ready
    return audio


class OnePassClip:
  """`ClipStream`'s interface for models chunked decoding cannot handle.

  Holds every block and decodes the clip in one pass with the last one
  (memory grows with the clip).
  """

  def __init__(self, trained, seed=0):
    self._trained = trained
    self._seed = seed
    self._blocks = []
    self._closed = False

  def feed(self, f0_hz, loudness_db, z=None, last=False, descriptors=None):
    """Like `ClipStream.feed`; the whole clip comes with the last block."""
    if self._closed:
      raise ValueError('This clip is complete: its last block was fed.')
    self._blocks.append(check_block(self._trained, f0_hz, loudness_db, z,
                                    descriptors))
    if not last:
      return iter(())
    self._closed = True
    f0_hz, loudness_db, z, values = (
        None if self._blocks[0][i] is None else
        np.concatenate([b[i] for b in self._blocks]) for i in range(4))
    self._blocks = []
    if len(f0_hz) < 1:
      raise ValueError('f0_hz and loudness_db must be [n_frames] of one '
                       'length >= 1; the clip has no frame.')
    return self._decode(f0_hz, loudness_db, z, values)

  def _decode(self, f0_hz, loudness_db, z, values):
    descriptors = (None if values is None else
                   {k: values[np.newaxis, :, i]
                    for i, k in enumerate(self._trained.descriptors)})
    yield self._trained.decode(
        f0_hz[np.newaxis], loudness_db[np.newaxis],
        None if z is None else z[np.newaxis], seed=self._seed,
        descriptors=descriptors)[0]


def clip_decoder(trained, seed=0, chunk_frames=None):
  """A decoder of one clip fed block by block, chunked when the model allows.

  Args:
    trained: `model_io.TrainedModel`.
    seed: Seeds the synthesizers' noise.
    chunk_frames: Frames per chunk; None for DEFAULT_CHUNK_FRAMES.

  Returns:
    A `ClipStream`, or a `OnePassClip` (with a warning) for a model that
    cannot be decoded in chunks; either has `feed(f0_hz, loudness_db, z,
    last)`.
  """
  reason = unsupported_reason(trained)
  if reason:
    logging.warning('Decoding in one pass (memory grows with the clip): %s.',
                    reason)
    return OnePassClip(trained, seed)
  return StreamingDecoder(trained, chunk_frames or
                          DEFAULT_CHUNK_FRAMES).clip(seed)


# One traced function per decoder layer, shared by every StreamingDecoder of
# a model (tracing costs ~2 s; a sampler makes one decoder per clip).
_TRACED = weakref.WeakKeyDictionary()


def _traced_decoder(decoder, inputs):
  """`_decoder_with_state(decoder)` in a tf.function, for any chunk length."""
  if decoder not in _TRACED:
    signature = [[tf.TensorSpec([1, None, x.shape[-1]]) for x in inputs],
                 tf.TensorSpec([1, decoder.rnn.rnn.units])]
    _TRACED[decoder] = tf.function(_decoder_with_state(decoder),
                                   input_signature=signature)
  return _TRACED[decoder]


def _decoder_with_state(decoder):
  """ddsp's `RnnFcDecoder.call`, with the GRU's state passed in and out.

  Args:
    decoder: A `ddsp.training.decoders.RnnFcDecoder` (not stateless).

  Returns:
    A function (inputs: list of [1, n, dims] in `decoder.input_keys` order,
    state: [1, rnn_channels]) -> (dict of outputs [1, n, dims], new state).
  """
  def call(inputs, state):
    stacked = [stack(x) for stack, x in zip(decoder.input_stacks, inputs)]
    x = decoder.rnn.rnn(tf.concat(stacked, axis=-1), initial_state=state)
    new_state = x[:, -1]  # A GRU's output is its state.
    x = decoder.dense_out(decoder.out_stack(tf.concat(stacked + [x], -1)))
    return nn.split_to_dict(x, decoder.output_splits), new_state
  return call


class _FrameBuffer:
  """Frame-rate arrays for a sliding range of frames [start, end)."""

  def __init__(self):
    self.start = 0
    self.arrays = {}

  def append(self, arrays):
    for key, value in arrays.items():
      if key in self.arrays:
        self.arrays[key] = np.concatenate([self.arrays[key], value])
      else:
        self.arrays[key] = value

  def get(self, key, first, last):
    if key not in self.arrays:
      raise KeyError(f'The processor group reads {key!r}, which the decoder '
                     f'does not output ({sorted(self.arrays)}).')
    return self.arrays[key][first - self.start:last - self.start]

  def drop_before(self, frame):
    cut = frame - self.start
    if cut > 0:
      self.arrays = {k: v[cut:] for k, v in self.arrays.items()}
      self.start = frame


class _SynthState:
  """What the synthesizers carry from chunk to chunk."""

  def __init__(self, rng):
    self.rng = rng
    self.phases = {}  # Harmonic synth name -> [1] float64 phase.
    self.tails = {}  # Reverb name -> wet tail past the last chunk.
    self._noise = {}  # Noise synth name -> (first frame, [samples]).

  def noise(self, name, first, last, hop):
    """Uniform [-1, 1) noise of frames [first, last), drawn once per frame."""
    start, samples = self._noise.get(name, (0, np.zeros([0], np.float32)))
    have = start + len(samples) // hop
    if last > have:
      fresh = self.rng.uniform(-1.0, 1.0, (last - have) * hop)
      samples = np.concatenate([samples, fresh.astype(np.float32)])
    if first > start:  # Frames before `first` are never asked for again.
      samples = samples[(first - start) * hop:]
      start = first
    self._noise[name] = (start, samples)
    return samples[(first - start) * hop:(last - start) * hop]


def iter_audio(trained, f0_hz, loudness_db, z=None, seed=0,
               chunk_frames=None, descriptors=None):
  """Yields the audio of one clip, chunked when the model allows it.

  Args:
    trained: `model_io.TrainedModel`.
    f0_hz: [n_frames] f0 in Hz.
    loudness_db: [n_frames] loudness in dB.
    z: [n_frames, z_dims] or None.
    seed: Seeds the synthesizers' noise.
    chunk_frames: Frames per chunk; None for DEFAULT_CHUNK_FRAMES.
    descriptors: {key: [n_frames]} for a model that decodes from
      descriptors, else None.

  Yields:
    float32 audio chunks, n_frames * hop_size samples in all (one chunk
    when the model cannot be decoded in chunks).
  """
  yield from clip_decoder(trained, seed, chunk_frames).feed(
      f0_hz, loudness_db, z, last=True, descriptors=descriptors)


def decode_audio(trained, f0_hz, loudness_db, z=None, seed=0,
                 chunk_frames=None, descriptors=None):
  """`iter_audio` as one float32 [n_frames * hop_size] array."""
  return np.concatenate(list(iter_audio(trained, f0_hz, loudness_db, z, seed,
                                        chunk_frames, descriptors)))
