"""`signals init`: copy the bundled configuration somewhere the user can edit it."""

from __future__ import annotations

import shutil
from pathlib import Path

from signals.config import bundled_config_dir, user_config_dir
from signals.errors import ConfigError


def write_starter_config(directory: Path | None, force: bool = False) -> Path:
    """Copy every bundled TOML file into directory; refuse to overwrite unless forced."""
    target = (directory or user_config_dir()).expanduser()
    files = sorted(bundled_config_dir().glob("*.toml"))
    existing = [f.name for f in files if (target / f.name).exists()]
    if existing and not force:
        raise ConfigError(
            f"{target} already has {', '.join(existing)}; pass --force to overwrite "
            "or choose another directory"
        )
    target.mkdir(parents=True, exist_ok=True)
    for source in files:
        shutil.copyfile(source, target / source.name)
    return target
