"""Storage: the `Store` interface (base.py) and its two implementations.

`open_store` picks one from the settings; the MongoDB module is imported only when a
MongoDB URI is configured, so the embedded default does not pay for it.
"""

from __future__ import annotations

from hemosight.core.settings import Settings
from hemosight.core.store.base import Store


async def open_store(settings: Settings) -> Store:
    store: Store
    if settings.mongo_uri:
        from hemosight.core.store.mongo import MongoStore

        store = MongoStore(settings.mongo_uri, settings.mongo_database)
    else:
        from hemosight.core.store.sqlite import SQLiteStore

        store = SQLiteStore(settings.resolved_data_dir)
    await store.open()
    return store
