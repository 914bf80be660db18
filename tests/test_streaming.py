"""Chunked decoding equals one-pass decoding, for any chunk size."""

import ddsp
import numpy as np
import pytest
import tensorflow as tf

from ddsp_generative.sampling import model_io
from ddsp_generative.sampling import streaming
from ddsp_generative.core import synths

from conftest import run_ddsp_run

FRAME_RATE = 250
HOP = 64


def _controls(n_frames, seed=0):
  rng = np.random.default_rng(seed)
  t = np.arange(n_frames) / FRAME_RATE
  f0 = 220.0 * 2 ** (np.sin(2 * np.pi * 0.7 * t) / 6.0)
  loudness = -30.0 + 10.0 * np.sin(2 * np.pi * 1.3 * t)
  z = rng.normal(size=(n_frames, 4)).astype(np.float32)
  return f0.astype(np.float32), loudness.astype(np.float32), z


def test_harmonic_phase_carry_equals_one_pass():
  rng = np.random.default_rng(0)
  n_frames, split, n_harm = 40, 17, 8
  f0 = tf.constant(rng.uniform(100, 900, (1, n_frames, 1)), tf.float32)
  amps = tf.constant(rng.uniform(0, 1, (1, n_frames, 1)), tf.float32)
  dist = tf.constant(rng.uniform(0, 1, (1, n_frames, n_harm)), tf.float32)
  full = synths.fast_harmonic_synthesis(f0, amps, dist, n_frames * HOP)
  # First part sees the next part's first frame; the second continues the
  # phase.
  first, phase = synths.fast_harmonic_synthesis(
      f0[:, :split + 1], amps[:, :split + 1], dist[:, :split + 1],
      (split + 1) * HOP, return_phase=True)
  second = synths.fast_harmonic_synthesis(
      f0[:, split:], amps[:, split:], dist[:, split:],
      (n_frames - split) * HOP, initial_phase=phase[:, split * HOP - 1])
  joined = np.concatenate([first[0, :split * HOP], second[0]])
  np.testing.assert_allclose(joined, full[0], atol=2e-4 * np.abs(full).max())


def test_noise_chunking_equals_one_pass():
  # The noise synth's context, as StreamingDecoder uses it, on random
  # magnitudes (the reverb's tail is covered by the model test below).
  rng = np.random.default_rng(1)
  n_frames, n_bands, window = 50, 17, 33
  mags = rng.uniform(0, 1, (1, n_frames, n_bands)).astype(np.float32)
  state = streaming._SynthState(np.random.default_rng(5))  # pylint: disable=protected-access
  noise = state.noise('n', 0, n_frames, HOP)
  full = ddsp.core.frequency_filter(noise[np.newaxis], mags,
                                    window_size=window).numpy()[0]
  context = int(np.ceil(window / HOP)) + 1
  parts = []
  for start in range(0, n_frames, 12):
    end = min(n_frames, start + 12)
    first, last = max(0, start - context), min(n_frames, end + context)
    out = ddsp.core.frequency_filter(noise[first * HOP:last * HOP][None],
                                     mags[:, first:last],
                                     window_size=window).numpy()[0]
    parts.append(out[(start - first) * HOP:(end - first) * HOP])
  np.testing.assert_allclose(np.concatenate(parts), full, atol=1e-5)
  # Noise drawn in pieces equals noise drawn at once.
  again = streaming._SynthState(np.random.default_rng(5))  # pylint: disable=protected-access
  pieces = [again.noise('n', a, min(n_frames, a + 7), HOP)
            for a in range(0, n_frames, 7)]
  np.testing.assert_array_equal(np.concatenate(pieces), noise)


@pytest.fixture(scope='module')
def reverb_model_dir(tmp_path_factory, tiny_tfrecords):
  save_dir = str(tmp_path_factory.mktemp('tiny_reverb_model'))
  run_ddsp_run(save_dir, tiny_tfrecords, num_steps=2,
               gin_file='gin/harmonic_noise_reverb_z.gin')
  return save_dir


def test_model_chunks_equal_one_chunk(reverb_model_dir):
  trained = model_io.load_model(reverb_model_dir)
  assert streaming.unsupported_reason(trained) is None
  n_frames = 300  # 1.2 s; the tiny reverb is 0.25 s long.
  f0, loudness, z = _controls(n_frames)
  z = z[:, :trained.z_dims]
  whole = streaming.decode_audio(trained, f0, loudness, z, seed=3,
                                 chunk_frames=n_frames)
  decoder = streaming.StreamingDecoder(trained, chunk_frames=37)
  chunks = list(decoder.decode(f0, loudness, z, seed=3))
  assert len(chunks) > 5
  chunked = np.concatenate(chunks)
  assert chunked.shape == (n_frames * trained.hop_size,)
  assert np.abs(whole).max() > 0
  np.testing.assert_allclose(chunked, whole, atol=1e-4 * np.abs(whole).max())
  # Another seed, other noise.
  other = streaming.decode_audio(trained, f0, loudness, z, seed=4,
                                 chunk_frames=n_frames)
  assert np.abs(other - whole).max() > 1e-6


def test_chunked_network_equals_decoder(tiny_model_dir):
  trained = model_io.load_model(tiny_model_dir)
  n_frames = 120
  f0, loudness, z = _controls(n_frames)
  z = z[:, :trained.z_dims]
  decoder = streaming.StreamingDecoder(trained, chunk_frames=50)
  state, parts = None, []
  for start in range(0, n_frames, 50):
    sl = slice(start, start + 50)
    outputs, state = decoder._network(f0[sl], loudness[sl], z[sl], state)  # pylint: disable=protected-access
    parts.append(outputs['amps'])
  trained._set_lengths(n_frames)  # pylint: disable=protected-access
  features = {'f0_hz': f0[None], 'loudness_db': loudness[None]}
  features.update(trained.model.preprocessor(features, training=False))
  features['z'] = tf.convert_to_tensor(z[None])
  reference = trained.model.decoder(features, training=False)['amps']
  np.testing.assert_allclose(np.concatenate(parts)[:, 0],
                             reference.numpy()[0, :, 0], atol=1e-5)


def test_streaming_matches_one_pass_decode_without_noise(tiny_model_dir):
  # Same model, its noise synth silenced by a huge negative bias: the
  # harmonic audio of chunked decoding equals TrainedModel.decode.
  trained = model_io.load_model(tiny_model_dir)
  group = trained.model.processor_group
  noise = group.filtered_noise
  noise.initial_bias = -1e4
  n_frames = 200
  f0, loudness, z = _controls(n_frames)
  z = z[:, :trained.z_dims]
  reference = trained.decode(f0[None], loudness[None], z[None], seed=0)[0]
  chunked = streaming.decode_audio(trained, f0, loudness, z, seed=0,
                                   chunk_frames=45)
  assert np.abs(reference).max() > 1e-4
  np.testing.assert_allclose(chunked, reference,
                             atol=2e-4 * np.abs(reference).max())


def test_bad_inputs(tiny_model_dir):
  trained = model_io.load_model(tiny_model_dir)
  decoder = streaming.StreamingDecoder(trained)
  f0, loudness, z = _controls(10)
  with pytest.raises(ValueError, match='z sampled from a prior'):
    list(decoder.decode(f0, loudness, None))
  with pytest.raises(ValueError, match='same|length'):
    list(decoder.decode(f0, loudness[:5], z[:, :trained.z_dims]))
  with pytest.raises(ValueError, match='chunk_frames'):
    streaming.StreamingDecoder(trained, chunk_frames=0)
