"""Widgets of the chat screen: one widget per module, its DEFAULT_CSS beside it."""
