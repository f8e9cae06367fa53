"""Conversation history: the SQLite store, the recorder that writes turns from their
events, replay of stored turns as events, and export."""
