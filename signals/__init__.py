"""The buying-signal detector's domain: store, pipeline, identities, CLI.

Imports `sources` and `classifiers`; neither imports this package.
"""

from importlib import metadata

try:
    __version__ = metadata.version("buying-signals")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
