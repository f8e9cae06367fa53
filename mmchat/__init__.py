"""mmchat: multi-model chat for the terminal."""

__version__ = "0.1.0"
