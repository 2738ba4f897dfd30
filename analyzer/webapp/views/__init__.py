"""Streamlit drawing for app.py, one module per page or tab (the only Streamlit code in analyzer/)."""
