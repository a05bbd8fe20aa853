"""`python -m opsdesk`."""

from opsdesk.entry import main

main()
