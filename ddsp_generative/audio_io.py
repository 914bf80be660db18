# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Reading and writing audio files.

`load_audio` reads any file libsndfile reads (WAV 16/24/32-bit integer and
float, FLAC, OGG/Vorbis, MP3, AIFF, ...) with `soundfile`, falls back to
`librosa.load` (audioread) for other formats, downmixes to mono and resamples
with soxr. Files it cannot turn into finite, non-empty audio raise
`BadAudioError` with the reason, so that a data pipeline can skip them.
"""

import os
import re
import warnings

import audioread
import librosa
import numpy as np
import soundfile as sf

from ddsp_generative import artifacts


class BadAudioError(ValueError):
  """An audio file is missing, unreadable, corrupt or empty."""


def _describe(error):
  """Short one-line description of a decoding error."""
  message = re.sub(r"^Error opening '.*?': ", '', str(error)).strip()
  if isinstance(error, audioread.NoBackendError):
    message = 'no audioread backend can decode it (is ffmpeg installed?)'
  return ' '.join(message.split()) or type(error).__name__


def _read_soundfile(path):
  """Returns (audio [n_samples, n_channels] float32, rate, info) or raises."""
  with sf.SoundFile(path) as f:
    info = {'format': f.format, 'subtype': f.subtype}
    audio = f.read(dtype='float32', always_2d=True)
    return audio, f.samplerate, info


def _read_librosa(path):
  """Returns (audio [n_samples, n_channels] float32, rate, info) or raises."""
  with warnings.catch_warnings():
    # librosa warns that soundfile failed and that audioread is deprecated.
    warnings.simplefilter('ignore')
    audio, rate = librosa.load(path, sr=None, mono=False, dtype=np.float32)
  audio = np.atleast_2d(audio).T  # [n_channels, n_samples] -> [n, channels].
  return audio, int(rate), {'format': 'audioread', 'subtype': None}


def resample(audio, original_sample_rate, sample_rate):
  """Resamples mono audio with soxr (librosa's default, high quality).

  Args:
    audio: Audio, [n_samples].
    original_sample_rate: Sample rate of `audio` in Hz.
    sample_rate: Target sample rate in Hz.

  Returns:
    float32 audio, [ceil(n_samples * sample_rate / original_sample_rate)].
  """
  audio = np.asarray(audio, dtype=np.float32)
  if int(original_sample_rate) == int(sample_rate) or not audio.size:
    return audio
  return librosa.resample(
      audio, orig_sr=int(original_sample_rate), target_sr=int(sample_rate),
      res_type='soxr_hq').astype(np.float32)


def load_audio(path, sample_rate=None):
  """Loads an audio file as mono float32 at `sample_rate`.

  Args:
    path: Audio file path.
    sample_rate: Target sample rate in Hz, or None to keep the file's own.

  Returns:
    audio: float32 mono audio, [n_samples]; channels are averaged.
    info: dict with 'path', 'reader' ('soundfile' or 'librosa'), 'format',
      'subtype', 'original_sample_rate', 'sample_rate', 'channels',
      'original_n_samples', 'duration_secs' and 'peak' (max |sample|).

  Raises:
    BadAudioError: The file is missing, empty, cannot be decoded, holds no
      samples or holds NaN/Inf samples.
  """
  if not os.path.isfile(path):
    raise BadAudioError(f'file not found: {path}')
  if os.path.getsize(path) == 0:
    raise BadAudioError('file is empty (0 bytes)')
  try:
    audio, rate, info = _read_soundfile(path)
    reader = 'soundfile'
  except Exception as sf_error:  # pylint: disable=broad-except
    try:
      audio, rate, info = _read_librosa(path)
      reader = 'librosa'
    except Exception as librosa_error:  # pylint: disable=broad-except
      raise BadAudioError(
          f'cannot decode audio (soundfile: {_describe(sf_error)}; '
          f'librosa: {_describe(librosa_error)})') from librosa_error
  if audio.shape[0] == 0 or audio.shape[1] == 0:
    raise BadAudioError('file holds no audio samples')
  if not np.all(np.isfinite(audio)):
    raise BadAudioError('file holds NaN or Inf samples')

  n_channels = audio.shape[1]
  mono = audio.mean(axis=1) if n_channels > 1 else audio[:, 0]
  target_rate = int(sample_rate) if sample_rate else int(rate)
  mono = resample(mono, rate, target_rate)
  info.update({
      'path': path,
      'reader': reader,
      'original_sample_rate': int(rate),
      'sample_rate': target_rate,
      'channels': int(n_channels),
      'original_n_samples': int(audio.shape[0]),
      'duration_secs': float(audio.shape[0]) / rate,
      'peak': float(np.max(np.abs(mono))) if mono.size else 0.0,
  })
  return np.ascontiguousarray(mono, dtype=np.float32), info


def write_wav(path, audio, sample_rate):
  """Atomically writes 16-bit PCM WAV; samples are clipped to [-1, 1].

  Args:
    path: Destination path.
    audio: Audio, [n_samples] or [n_samples, n_channels].
    sample_rate: Sample rate in Hz.
  """
  audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
  with artifacts.atomic_path(path) as tmp:
    sf.write(tmp, audio, int(sample_rate), subtype='PCM_16', format='WAV')


def peak_db(audio):
  """Peak level of `audio` in dB relative to full scale (-inf if silent)."""
  audio = np.asarray(audio)
  peak = float(np.max(np.abs(audio))) if audio.size else 0.0
  with np.errstate(divide='ignore'):
    return float(20.0 * np.log10(peak)) if peak > 0 else -np.inf


def is_silent(audio, threshold_db=-60.0):
  """True when the peak level of `audio` is below `threshold_db` dBFS.

  Peak, not average, level: a quiet file with a few notes is not silent.

  Args:
    audio: Audio, any shape.
    threshold_db: Level in dB relative to full scale (1.0).

  Returns:
    bool.
  """
  return peak_db(audio) < threshold_db
