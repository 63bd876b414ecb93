"""Errors of the domain package; the CLI turns each into one `error: ...` line.

    SignalsError            root
     +-- ConfigError        configuration or a command-line value is wrong (message names the fix)
     +-- InputError         an input file is malformed (message names the file and line)
     +-- StoreError         the database cannot be used

`sources.SourceError` and `classifiers.ClassifierError` are the roots of the other two packages.
"""

from __future__ import annotations


class SignalsError(Exception):
    """Root of the domain package's errors."""


class ConfigError(SignalsError):
    """Configuration or a command-line value is wrong; the message names the fix."""


class InputError(SignalsError):
    """An input file is malformed; the message names the file and the line."""


class StoreError(SignalsError):
    """The database cannot be used."""
