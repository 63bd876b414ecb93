"""HTML forums: one adapter, a preset per board software, CSS selectors for any other board."""

from sources.forums.adapter import ForumSource
from sources.forums.presets import PRESETS, Preset

__all__ = ["PRESETS", "ForumSource", "Preset"]
