"""opsdesk: the e-commerce operations desk. Version only; imports nothing heavy."""

__version__ = "0.1.0"
