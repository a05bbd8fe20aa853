"""Read models combining the store and the domain, shared by the command line and the app.

Nothing here imports Textual, plotext, pandas or sqlite-utils: the app's first paint uses it.
"""
