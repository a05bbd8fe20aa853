"""Reports: writers that render the views' read models (`opsdesk.views.report`) as text, Markdown,
JSON and CSV. Consumers' side, like the app and the command line: nothing here reads the store."""
