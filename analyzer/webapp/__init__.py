"""What the Streamlit app (``app.py``) needs besides drawing: configuration (local or accounts
mode), analyses run in a background thread with per-stage progress, the sample-visit cache and
the recompute after a role change. ``views/`` draws; nothing here imports Streamlit except it.
"""
