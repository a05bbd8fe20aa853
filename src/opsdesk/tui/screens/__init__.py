"""The app's screens, one per file: an area's base screen (a Textual mode) or a dialog."""
