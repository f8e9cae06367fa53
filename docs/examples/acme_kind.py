"""A provider kind from a package: its config table and its declaration (light: pydantic)."""

from typing import Literal

from pydantic import Field

from mmchat.provider_kinds import HttpProviderConfig, ProviderKind


class AcmeConfig(HttpProviderConfig):
    kind: Literal["acme"]
    flavour: str = Field(default="plain", description="Which flavour of Acme to ask for")
    stream_usage: bool = True  # read by the OpenAI protocol code it reuses


KIND = ProviderKind(
    name="acme",
    config=AcmeConfig,
    factory="acme_provider:AcmeProvider",  # imported when an acme provider is first used
    summary="Acme's chat API: OpenAI's protocol plus a flavour header.",
    key_env="ACME_API_KEY",  # read when [providers.NAME] names neither key nor key_env
)
