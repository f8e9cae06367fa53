"""A scriptable loopback server for OpenAI, Anthropic, Ollama and Gemini streaming tests."""

from tests.fakeserver.reply import Reply
from tests.fakeserver.server import FakeServer, RequestRecord

__all__ = ["FakeServer", "Reply", "RequestRecord"]
