"""The nine built-in strategies. Each module imports only ``mmchat.api``."""
