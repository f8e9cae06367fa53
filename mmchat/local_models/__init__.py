"""GGUF model files the user already has: where they are, and what their headers say.

Nothing here is imported at start-up; `mmchat models` imports it when it lists them.
"""
