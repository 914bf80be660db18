# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Reading and writing audio files.

`load_audio` reads any file libsndfile reads (WAV 16/24/32-bit integer and
float, FLAC, OGG/Vorbis, MP3, AIFF, ...) with `soundfile`, falls back to
`librosa.load` (audioread) for other formats, downmixes to mono and resamples
with soxr. Files it cannot turn into finite, non-empty audio raise
`BadAudioError` with the reason, so that a data pipeline can skip them.

`audio_info`, `read_mono_blocks` and `read_mono` read a file piece by piece
(for memory bounded by a block, not by the file): they stream every format
libsndfile seeks in sample-accurately (WAV, FLAC, OGG, AIFF, ...). MP3 is not
one of them (libsndfile 1.2 returns wrong samples on a second read or after
a seek), so `streams(info)` is False for it and for the formats only
`librosa.load` decodes: decode those whole, e.g. with `load_audio`.

Sanity limits, checked before anything is decoded where the header allows
(so that a corrupt header never materialises hours of audio):

* `MIN_SAMPLE_RATE`..`MAX_SAMPLE_RATE` (1 kHz to 768 kHz): a header sample
  rate outside it (0 Hz included) is a corrupt header.
* `MAX_DURATION_SECS` (3 hours) per file: longer files are refused (split
  them), which bounds what a data pipeline writes per file.
* `MAX_PEAK` (10, i.e. +20 dBFS): float samples above it are corrupt data
  (their power overflows float32 in loudness features); samples in
  (1, `MAX_PEAK`] are kept, with a warning (`peak_warning`).
* NaN/Inf samples are refused.

`path_problem` says why a path matched by an input pattern is not an audio
file (a directory, a broken symbolic link, a symbolic link loop, ...).
"""

import contextlib
import errno
import math
import os
import re
import shutil
import stat
import struct
import warnings

import audioread
import librosa
import numpy as np
from scipy import signal
import soundfile as sf

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import filesystem


MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 768000
MAX_DURATION_SECS = 3 * 3600.0
MAX_PEAK = 10.0  # +20 dBFS.


class BadAudioError(errors.UserError, ValueError):
  """An audio file is missing, unreadable, corrupt or empty."""


def path_problem(path):
  """Why `path` is not a readable regular file, or None if it is one.

  Args:
    path: A path, e.g. one matched by an input file pattern.

  Returns:
    None, or a short reason: 'file not found', 'a directory, not an audio
    file', 'broken symbolic link (to ...)', 'symbolic link loop', 'not a
    regular file (...)'.
  """
  if filesystem.is_url(path):
    try:
      if filesystem.isdir(path):
        return 'a directory, not an audio file'
      return None if filesystem.isfile(path) else 'file not found'
    except Exception as e:  # pylint: disable=broad-except
      return f'cannot read: {" ".join(str(e).split())[:200]}'
  try:
    mode = os.stat(path).st_mode
  except OSError as e:
    if e.errno == errno.ELOOP:
      return 'symbolic link loop'
    if os.path.islink(path):
      return (f'broken symbolic link (to {os.readlink(path)!r}, which does '
              'not exist)')
    if e.errno == errno.ENOENT:
      return 'file not found'
    return f'cannot read: {e.strerror}'
  if stat.S_ISDIR(mode):
    return 'a directory, not an audio file'
  if not stat.S_ISREG(mode):
    return 'not a regular file (a device, pipe or socket)'
  return None


def check_sample_rate(rate):
  """Raises BadAudioError unless a header's sample rate is sane.

  Args:
    rate: Sample rate in Hz claimed by a file's header.
  """
  if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
    raise BadAudioError(
        f'header sample rate {rate:g} Hz is outside {MIN_SAMPLE_RATE}..'
        f'{MAX_SAMPLE_RATE} Hz: a corrupt header (re-export the file with '
        'its real rate)')


def check_duration(n_samples, rate):
  """Raises BadAudioError if `n_samples` at `rate` exceeds MAX_DURATION_SECS.

  Args:
    n_samples: Samples per channel (read, or claimed by a header).
    rate: Sample rate in Hz (> 0).
  """
  secs = n_samples / rate
  if secs > MAX_DURATION_SECS:
    raise BadAudioError(
        f'{secs:.0f} s long ({secs / 3600:.2f} h), above the maximum of '
        f'{MAX_DURATION_SECS:g} s ({MAX_DURATION_SECS / 3600:g} h) per file: '
        'split it into shorter files')


def check_peak(peak):
  """Raises BadAudioError for a peak amplitude above MAX_PEAK (or NaN/Inf).

  Args:
    peak: max |sample| of a file or block.
  """
  if not np.isfinite(peak):
    raise BadAudioError('file holds NaN or Inf samples')
  if peak > MAX_PEAK:
    raise BadAudioError(
        f'peak amplitude {peak:.3g} ({20 * np.log10(peak):+.0f} dBFS) is above '
        f'{MAX_PEAK:g} (+{20 * np.log10(MAX_PEAK):.0f} dBFS): corrupt float '
        'data (re-export the file)')


def peak_warning(peak):
  """A warning for float audio above full scale (kept as is), or None.

  Args:
    peak: max |sample|, at most MAX_PEAK.

  Returns:
    None for peak <= 1, else a one-line reason.
  """
  if peak <= 1.0:
    return None
  return (f'peak amplitude {peak:.3g} ({20 * np.log10(peak):+.1f} dBFS) above '
          'full scale (float data): kept unscaled')


@contextlib.contextmanager
def _opened(path):
  """Yields what soundfile reads: a local path, or a URL's open file."""
  if not filesystem.is_url(path):
    yield path
    return
  with filesystem.open(path, 'rb') as f:
    yield f


def _riff_sample_rate(path):
  """The sample rate a RIFF/RF64 WAVE header claims, or None if not a WAV."""
  try:
    with filesystem.open(path, 'rb') as f:
      head = f.read(4096)
  except OSError:
    return None
  if len(head) < 12 or head[:4] not in (b'RIFF', b'RIFX', b'RF64') or (
      head[8:12] != b'WAVE'):
    return None
  endian = '>' if head[:4] == b'RIFX' else '<'
  pos = 12
  while pos + 8 <= len(head):
    chunk, size = head[pos:pos + 4], struct.unpack(endian + 'I',
                                                   head[pos + 4:pos + 8])[0]
    if chunk == b'fmt ' and pos + 16 <= len(head):
      return struct.unpack(endian + 'I', head[pos + 12:pos + 16])[0]
    pos += 8 + size + (size & 1)
  return None


def _audioread_header(path):
  """(rate, duration_secs) from audioread's header parse, or (None, None)."""
  try:
    with filesystem.local_copy(path) as local, audioread.audio_open(
        local) as f:
      return int(f.samplerate), float(f.duration)
  except Exception:  # pylint: disable=broad-except
    return None, None


def _describe(error):
  """Short one-line description of a decoding error."""
  message = re.sub(r"^Error opening '.*?': ", '', str(error)).strip()
  if isinstance(error, audioread.NoBackendError):
    message = ('no decoder for this format: soundfile reads WAV, FLAC and '
               'OGG, other formats (MP3, M4A, ...) need ffmpeg'
               + ('' if shutil.which('ffmpeg') else ', which is not '
                  'installed: install it (e.g. `apt-get install ffmpeg`) or '
                  'convert the file to WAV'))
  return ' '.join(message.split()) or type(error).__name__


def _read_soundfile(path):
  """Returns (audio [n_samples, n_channels] float32, rate, info) or raises."""
  with _opened(path) as source, sf.SoundFile(source) as f:
    info = {'format': f.format, 'subtype': f.subtype}
    audio = f.read(dtype='float32', always_2d=True)
    return audio, f.samplerate, info


def _read_librosa(path):
  """Returns (audio [n_samples, n_channels] float32, rate, info) or raises."""
  with warnings.catch_warnings():
    # librosa warns that soundfile failed and that audioread is deprecated.
    warnings.simplefilter('ignore')
    with filesystem.local_copy(path) as local:
      audio, rate = librosa.load(local, sr=None, mono=False,
                                 dtype=np.float32)
  audio = np.atleast_2d(audio).T  # [n_channels, n_samples] -> [n, channels].
  return audio, int(rate), {'format': 'audioread', 'subtype': None}


RESAMPLE_METHODS = ('soxr_hq', 'polyphase')


def resample(audio, from_rate, to_rate, method='soxr_hq'):
  """Resamples mono audio from `from_rate` to `to_rate`.

  Args:
    audio: Audio, [n_samples], at `from_rate`.
    from_rate: Sample rate of `audio` in Hz.
    to_rate: Sample rate of the result in Hz.
    method: 'soxr_hq' (librosa's default, high quality; float32, what audio
      is loaded and features are computed with) or 'polyphase'
      (`scipy.signal.resample_poly` by to_rate / from_rate reduced; float64,
      the generation metrics' embedding).

  Returns:
    Audio at `to_rate`: 'soxr_hq' gives float32 [ceil(n_samples * to_rate /
    from_rate)], 'polyphase' float64 [ceil(n_samples * to_rate / from_rate)].
    Equal rates return the audio as is (in the method's dtype).
  """
  from_rate, to_rate = int(from_rate), int(to_rate)
  if method == 'polyphase':
    audio = np.asarray(audio, np.float64)
    if from_rate == to_rate:
      return audio
    g = math.gcd(from_rate, to_rate)
    return signal.resample_poly(audio, to_rate // g, from_rate // g)
  if method != 'soxr_hq':
    raise ValueError(f'resample method must be one of {RESAMPLE_METHODS}, '
                     f'got {method!r}.')
  audio = np.asarray(audio, dtype=np.float32)
  if from_rate == to_rate or not audio.size:
    return audio
  return librosa.resample(audio, orig_sr=from_rate, target_sr=to_rate,
                          res_type='soxr_hq').astype(np.float32)


# `highpass` keeps blocks of this many samples that are exactly 0 at 0.
SILENT_BLOCK = 64


def highpass(audio, sample_rate, cutoff_hz, order=2):
  """Removes a DC offset and sub-sonic content: a Butterworth high-pass.

  Causal (`scipy.signal.sosfilt`), its state started at the first sample's
  steady state, so a constant offset does not ring at the start. Digital
  silence stays silent: where a whole block of `SILENT_BLOCK` input samples
  is exactly 0 the output is 0 too, not the filter's decaying tail (about
  1e-6 RMS after a note with an offset, which a log-magnitude loss sees
  as sound where the recording has none).

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Its rate in Hz.
    cutoff_hz: The -3 dB frequency, in (0, sample_rate / 2).
    order: Filter order (2: -12 dB per octave below the cut-off).

  Returns:
    float32 [n_samples].
  """
  audio = np.asarray(audio, np.float32)
  if not len(audio):
    return audio
  sos = signal.butter(order, cutoff_hz, 'highpass', fs=sample_rate,
                      output='sos')
  zi = signal.sosfilt_zi(sos) * audio[0]
  out = signal.sosfilt(sos, audio, zi=zi)[0].astype(np.float32)
  n = len(audio) // SILENT_BLOCK * SILENT_BLOCK
  silent = ~np.any(audio[:n].reshape(-1, SILENT_BLOCK), axis=1)
  out[:n].reshape(-1, SILENT_BLOCK)[silent] = 0.0
  if n < len(audio) and not np.any(audio[n:]):
    out[n:] = 0.0
  return out


def load_audio(path, sample_rate=None):
  """Loads an audio file as mono float32 at `sample_rate`.

  Args:
    path: Audio file path.
    sample_rate: Target sample rate in Hz, or None to keep the file's own.

  Returns:
    audio: float32 mono audio, [n_samples]; channels are averaged.
    info: dict with 'path', 'reader' ('soundfile' or 'librosa'), 'format',
      'subtype', 'original_sample_rate', 'sample_rate', 'channels',
      'original_n_samples', 'duration_secs', 'peak' (max |sample| of the
      mono audio, before resampling) and 'warning' (`peak_warning`).

  Raises:
    BadAudioError: The file is missing, empty, cannot be decoded, holds no
      samples, holds NaN/Inf samples or samples above MAX_PEAK, or its
      sample rate or length is outside the limits (module docstring).
  """
  audio_info(path)  # Refuses bad header rates and lengths, undecoded.
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
  check_sample_rate(rate)
  check_duration(audio.shape[0], rate)
  if not np.all(np.isfinite(audio)):
    raise BadAudioError('file holds NaN or Inf samples')
  check_peak(float(np.max(np.abs(audio))))

  n_channels = audio.shape[1]
  mono = audio.mean(axis=1) if n_channels > 1 else audio[:, 0]
  target_rate = int(sample_rate) if sample_rate else int(rate)
  mono = resample(mono, from_rate=rate, to_rate=target_rate)
  peak = float(np.max(np.abs(mono))) if mono.size else 0.0
  info.update({
      'path': path,
      'reader': reader,
      'original_sample_rate': int(rate),
      'sample_rate': target_rate,
      'channels': int(n_channels),
      'original_n_samples': int(audio.shape[0]),
      'duration_secs': float(audio.shape[0]) / rate,
      'peak': peak,
      'warning': peak_warning(peak),
  })
  return np.ascontiguousarray(mono, dtype=np.float32), info


def _check_file(path):
  problem = path_problem(path)
  if problem == 'file not found':
    raise BadAudioError(f'file not found: {path}')
  if problem:
    raise BadAudioError(problem)
  if filesystem.getsize(path) == 0:
    raise BadAudioError('file is empty (0 bytes)')


def audio_info(path):
  """Format, rate and size of an audio file, from its header only.

  Args:
    path: Audio file path.

  Returns:
    dict with 'path', 'reader' ('soundfile', or 'librosa' when libsndfile
    cannot open the file), 'format', 'subtype', 'original_sample_rate',
    'channels' and 'original_n_samples' (None for 'librosa', and only the
    header's claim otherwise: count the samples read).

  Raises:
    BadAudioError: The file is missing or empty, or its header claims a
      sample rate outside MIN_SAMPLE_RATE..MAX_SAMPLE_RATE or a length above
      MAX_DURATION_SECS.
  """
  _check_file(path)
  try:
    with _opened(path) as source:
      info = sf.info(source)
  except Exception:  # pylint: disable=broad-except
    # libsndfile refuses some corrupt headers (e.g. a WAV of 0 Hz): say why
    # rather than what the fallback decoder trips on.
    riff_rate = _riff_sample_rate(path)
    if riff_rate is not None:
      check_sample_rate(riff_rate)
    rate, secs = _audioread_header(path)
    if rate is not None:
      check_sample_rate(rate)
      check_duration(secs * rate, rate)
    return {'path': path, 'reader': 'librosa', 'format': 'audioread',
            'subtype': None, 'original_sample_rate': None, 'channels': None,
            'original_n_samples': None}
  check_sample_rate(info.samplerate)
  check_duration(info.frames, info.samplerate)
  return {'path': path, 'reader': 'soundfile', 'format': info.format,
          'subtype': info.subtype,
          'original_sample_rate': int(info.samplerate),
          'channels': int(info.channels),
          'original_n_samples': int(info.frames)}


def streams(info):
  """True when `read_mono_blocks`/`read_mono` read the file of `info` exactly.

  Args:
    info: dict from `audio_info` (or `load_audio`).

  Returns:
    bool: False for MP3 (libsndfile's block reads and seeks are wrong) and
      for formats that only librosa/audioread decodes.
  """
  mpeg = (info['format'] in ('MP3', 'MPEG') or
          str(info['subtype'] or '').startswith('MPEG_LAYER'))
  return info['reader'] == 'soundfile' and not mpeg


def _mono(block):
  """[n, channels] -> [n] float32 (channel mean), checking NaN/Inf, peak."""
  if not np.all(np.isfinite(block)):
    raise BadAudioError('file holds NaN or Inf samples')
  if block.size:
    check_peak(float(np.max(np.abs(block))))
  mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
  return np.ascontiguousarray(mono, dtype=np.float32)


def read_mono_blocks(path, block_size):
  """Yields a file's audio as mono blocks at its own sample rate.

  Only one block is in memory at a time. Use it on files for which
  `streams(audio_info(path))` is True.

  Args:
    path: Audio file path.
    block_size: Samples per block (the last block may be shorter).

  Yields:
    float32 mono audio, [block_size]; channels are averaged.

  Raises:
    BadAudioError: The file cannot be decoded or holds NaN/Inf samples or
      samples above MAX_PEAK.
  """
  try:
    with _opened(path) as source:
      for block in sf.blocks(source, blocksize=int(block_size),
                             dtype='float32', always_2d=True):
        if block.shape[0]:
          yield _mono(block)
  except BadAudioError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    raise BadAudioError(f'cannot decode audio: {_describe(e)}') from e


def read_mono(path, start, stop):
  """Reads samples [start, stop) of a file as mono, zero-padded past its end.

  Seeks, so that only the region is read. Use it on files for which
  `streams(audio_info(path))` is True.

  Args:
    path: Audio file path.
    start: First sample (at the file's own rate), >= 0.
    stop: One past the last sample, >= start.

  Returns:
    float32 mono audio, [stop - start].

  Raises:
    BadAudioError: The file cannot be decoded or holds NaN/Inf samples or
      samples above MAX_PEAK.
  """
  start, stop = int(start), int(stop)
  try:
    with _opened(path) as source, sf.SoundFile(source) as f:
      first = min(start, f.frames)
      f.seek(first)
      block = f.read(max(0, min(stop, f.frames) - first), dtype='float32',
                     always_2d=True)
  except Exception as e:  # pylint: disable=broad-except
    raise BadAudioError(f'cannot decode audio: {_describe(e)}') from e
  audio = _mono(block) if block.shape[0] else np.zeros(0, np.float32)
  return np.pad(audio, (0, stop - start - len(audio)))


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


@contextlib.contextmanager
def wav_writer(path, sample_rate):
  """Writes a mono 16-bit WAV chunk by chunk; it appears only when complete.

  Usage:
    with wav_writer('out.wav', 16000) as write:
      for chunk in chunks:
        write(chunk)  # [n] float audio, clipped to [-1, 1].

  If the block raises, nothing is left at `path` (nor a temporary file).

  Args:
    path: Destination path.
    sample_rate: Sample rate in Hz.

  Yields:
    A function taking one [n_samples] chunk.
  """
  with artifacts.atomic_path(path) as tmp:
    with sf.SoundFile(tmp, 'w', samplerate=int(sample_rate), channels=1,
                      subtype='PCM_16', format='WAV') as f:
      yield lambda chunk: f.write(
          np.clip(np.asarray(chunk, np.float32), -1.0, 1.0))


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
