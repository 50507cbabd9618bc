"""Adapter registry: the config's `adapter` name → the class that knows that CMS family."""

from __future__ import annotations

from govreports.portals.adapters.base import Adapter, Listing, find_attachments
from govreports.portals.adapters.generic import GenericAdapter
from govreports.portals.adapters.gkmlpt import GkmlptAdapter
from govreports.portals.adapters.hanweb import HanwebAdapter
from govreports.portals.adapters.jsonapi import JsonApiAdapter
from govreports.portals.adapters.trs import TrsAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    "trs": TrsAdapter,
    "hanweb": HanwebAdapter,
    "gkmlpt": GkmlptAdapter,
    "json-api": JsonApiAdapter,
    "generic": GenericAdapter,
}


def adapter_for(portal) -> Adapter:
    return ADAPTERS[portal.adapter](portal)


def check_params(portal) -> None:
    adapter = ADAPTERS[portal.adapter]
    adapter.check_params(portal.params)
    adapter.check_hosts(portal)


__all__ = ["ADAPTERS", "Adapter", "Listing", "adapter_for", "check_params", "find_attachments"]
