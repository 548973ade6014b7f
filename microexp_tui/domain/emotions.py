"""The emotion labels the product classifies and reports."""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = ("happy", "surprise", "disgust", "sadness", "fear", "anger")
"""The six emotions of the seed dataset, in the order of its blocks."""

NEUTRAL = "neutral"
