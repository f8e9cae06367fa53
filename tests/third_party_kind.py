"""A throwaway installed package that declares provider kinds through the entry point.

:func:`write_distribution` writes, into a folder meant for ``sys.path``, what ``pip
install`` would leave there: the modules and a ``.dist-info`` whose
``entry_points.txt`` registers, in the ``mmchat.providers`` group,

* ``acme``: the working kind of the README (docs/examples/acme_kind.py and
  acme_provider.py, copied as they are): its config adds ``flavour``, sent as a header;
  its provider speaks OpenAI's protocol, so the fake server answers it; its key
  defaults to ``ACME_API_KEY``;
* ``broken``: a module that fails to import;
* ``fake``: an object that is not a ProviderKind.
"""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
BROKEN_MODULE = """
import does_not_exist_anywhere  # noqa: F401
"""
NOT_A_KIND_MODULE = """
NOT_A_KIND = "just a string"
"""
ENTRY_POINTS = """
[mmchat.providers]
acme = acme_kind:KIND
broken = acme_broken:KIND
fake = acme_extra:NOT_A_KIND
"""

MODULES = ("acme_kind", "acme_provider", "acme_broken", "acme_extra")


def write_distribution(site: Path) -> Path:
    site.mkdir(parents=True, exist_ok=True)
    for name in ("acme_kind.py", "acme_provider.py"):
        (site / name).write_text((EXAMPLES / name).read_text())
    (site / "acme_broken.py").write_text(BROKEN_MODULE)
    (site / "acme_extra.py").write_text(NOT_A_KIND_MODULE)
    info = site / "acme_kind-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return site
