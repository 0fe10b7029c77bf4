"""The data desk's publishing system for the October 2019 Entity List story."""

__version__ = "0.1.0"
