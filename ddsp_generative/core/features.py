# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ddsp's feature constants, and loudness measured as ddsp's pipeline does.

ddsp's TFRecords hold 'audio' (the model's rate), 'audio_16k' (CREPE's rate,
on which f0 and loudness are computed), 'f0_hz', 'f0_confidence' and
'loudness_db' on one frame grid: frame i centred on i / frame_rate seconds.
"""

import numpy as np

CREPE_SAMPLE_RATE = 16000  # ddsp.spectral_ops.CREPE_SAMPLE_RATE: 'audio_16k'.
LOUDNESS_N_FFT = 512  # As ddsp's prepare_tfrecord.
LOUDNESS_PAD_DB = -120.0  # Frames missing at the end read as silence.


def loudness_db(audio, sample_rate, frame_rate, n_frames,
                pad_db=LOUDNESS_PAD_DB):
  """ddsp's `compute_loudness` on its frame grid (frames centred on i * hop).

  Args:
    audio: [n_samples] or [batch, n_samples] audio.
    sample_rate: Its sample rate in Hz (a multiple of frame_rate).
    frame_rate: Frames per second.
    n_frames: Frames to return: the measured ones are trimmed, or padded
      with `pad_db` (ddsp's `pad_or_trim_to_expected_length`, which raises
      ValueError when they differ by more than 20 frames).
    pad_db: Loudness of padded frames.

  Returns:
    float32 [n_frames] or [batch, n_frames] loudness in dB.
  """
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  with np.errstate(divide='ignore'):  # librosa.A_weighting(0 Hz).
    values = spectral_ops.compute_loudness(
        np.asarray(audio), sample_rate, frame_rate, n_fft=LOUDNESS_N_FFT,
        use_tf=False, padding='center')
  return spectral_ops.pad_or_trim_to_expected_length(
      np.asarray(values, np.float32), n_frames, pad_value=pad_db)
