"""The one factory that turns a ``[providers.NAME]`` table into a Provider.

Kinds are looked up in :mod:`mmchat.provider_kinds`, and each kind's module is imported
only when a provider of that kind is first built, so importing ``mmchat.providers``
costs nothing; ``local`` (which loads llama.cpp) is imported only when a local model
is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmchat import provider_kinds

if TYPE_CHECKING:
    import httpx

    from mmchat.provider_kinds import ProviderConfigBase
    from mmchat.providers.base import Provider

__all__ = ["make_provider"]


def make_provider(
    name: str, cfg: ProviderConfigBase, client: httpx.AsyncClient, key: str | None
) -> Provider:
    """The Provider for config section ``[providers.NAME]`` (dispatch on ``cfg.kind``).

    ``key`` is the resolved secret (keyring/env), or None for servers without auth.
    A kind whose code cannot be imported fails this provider only, with a ProviderError
    that says so.
    """
    from mmchat.providers.base import ErrorKind, Provider, ProviderError

    kind = provider_kinds.get(cfg.kind)
    if kind is None:  # config validation lets no unknown kind through: a caller's bug
        raise ValueError(f"provider {name!r}: unknown kind {getattr(cfg, 'kind', None)!r}")
    try:
        factory = kind.load_factory()
    except Exception as exc:  # a third-party kind's module may be broken or missing
        from mmchat.plugins import _short_error

        raise ProviderError(
            ErrorKind.BAD_REQUEST,
            f"provider kind {kind.name!r} cannot be loaded: {_short_error(exc)}",
            provider=name,
        ) from exc
    provider = factory(name, cfg, client, key)
    if not isinstance(provider, Provider):
        raise ProviderError(
            ErrorKind.BAD_REQUEST,
            f"provider kind {kind.name!r}: {kind.factory} did not return a Provider",
            provider=name,
        )
    return provider
