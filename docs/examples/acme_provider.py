"""The protocol code of the acme kind: OpenAI's, with one more header."""

from mmchat.providers.openai import OpenAIProvider


class AcmeProvider(OpenAIProvider):
    kind = "acme"

    def _auth_headers(self) -> dict[str, str]:
        return {**super()._auth_headers(), "x-acme-flavour": self.cfg.flavour}
