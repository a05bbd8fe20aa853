"""The terminal app (Textual). The only package that imports Textual; see app.py."""
