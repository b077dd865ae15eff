"""ProkAi: follow the money of online drug shops."""

__version__ = "0.1.0"
