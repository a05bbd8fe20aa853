"""Messages the app's workers post back to the UI thread (past-tense names: what happened)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StoreChanged(Message):
    """Another connection committed to the store (its `PRAGMA data_version` moved)."""


class LoadFailed(Message):
    """A worker could not read or write the store, or the store refused a change; `text` is
    shown as a notification titled `title`."""

    def __init__(self, text: str, title: str = "Store") -> None:
        super().__init__()
        self.text = text
        self.title = title


class DataLoaded(Message):
    """A screen's data arrived from its worker; `token` ties it to the request that asked."""

    def __init__(self, data: Any, token: int = 0) -> None:
        super().__init__()
        self.data = data
        self.token = token


class ValuesSaved(Message):
    """Manual entry stored `count` values for a shop and day."""

    def __init__(self, shop_key: str, day: str, count: int) -> None:
        super().__init__()
        self.shop_key = shop_key
        self.day = day
        self.count = count
