"""A throwaway installed package that declares provider kinds through the entry point.

:func:`write_distribution` writes, into a folder meant for ``sys.path``, what ``pip
install`` would leave there: the modules and a ``.dist-info`` whose
``entry_points.txt`` registers, in the ``mmchat.providers`` group,

* ``acme``: a working kind (its config adds ``flavour``, sent as a header; its provider
  speaks OpenAI's protocol, so the fake server answers it; its key defaults to
  ``ACME_API_KEY``);
* ``broken``: a module that fails to import;
* ``fake``: an object that is not a ProviderKind.
"""

from __future__ import annotations

from pathlib import Path

KIND_MODULE = """
from typing import Literal

from pydantic import Field

from mmchat.provider_kinds import HttpProviderConfig, ProviderKind


class AcmeConfig(HttpProviderConfig):
    kind: Literal["acme"]
    flavour: str = Field(default="plain", description="Which flavour of Acme to ask for")
    stream_usage: bool = True


KIND = ProviderKind(
    name="acme",
    config=AcmeConfig,
    factory="acme_provider:AcmeProvider",
    summary="Acme's chat API (a test kind).",
    key_env="ACME_API_KEY",
)
NOT_A_KIND = "just a string"
"""

PROVIDER_MODULE = """
from mmchat.providers.openai import OpenAIProvider


class AcmeProvider(OpenAIProvider):
    kind = "acme"

    def _auth_headers(self):
        return {**super()._auth_headers(), "x-acme-flavour": self.cfg.flavour}
"""

BROKEN_MODULE = """
import does_not_exist_anywhere  # noqa: F401
"""

ENTRY_POINTS = """
[mmchat.providers]
acme = acme_kind:KIND
broken = acme_broken:KIND
fake = acme_kind:NOT_A_KIND
"""

MODULES = ("acme_kind", "acme_provider", "acme_broken")


def write_distribution(site: Path) -> Path:
    site.mkdir(parents=True, exist_ok=True)
    (site / "acme_kind.py").write_text(KIND_MODULE)
    (site / "acme_provider.py").write_text(PROVIDER_MODULE)
    (site / "acme_broken.py").write_text(BROKEN_MODULE)
    info = site / "acme_kind-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return site
