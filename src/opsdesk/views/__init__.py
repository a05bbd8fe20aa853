"""Read models: what a screen, a report or a CLI command shows, built from the store and the
domain, typed, importable and tested without Textual (see the README's architecture section).

Nothing here imports Textual, plotext, pandas or sqlite-utils, and importing the package
does nothing: the app's first paint imports `views.standup_model` from it.
"""
