"""What pyproject.toml cannot say: the packages are those found under src/ plus the top-level
migrations/ and fixtures/ directories, built in as opsdesk.migrations and opsdesk.fixtures
(their directories are mapped in [tool.setuptools.package-dir], their files are package data).
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src"), "opsdesk.migrations", "opsdesk.fixtures"])
