"""Training code for the shipped models that needs more than the package: the overlapped-speech
detector's synthetic conversations are voiced with benchmarks/synth.py. Run from the repository
root (``python -m training.overlap_train``); nothing in ``analyzer/`` imports this."""
