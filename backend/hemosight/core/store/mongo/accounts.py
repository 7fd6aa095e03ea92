"""Users in MongoDB."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from hemosight.core.store.base import (
    ConflictError,
    User,
)
from hemosight.core.store.mongo.codec import (
    from_doc,
    to_doc,
)
from hemosight.core.store.mongo.connection import MongoConnection

FIRST_RUN_OVER = "An account exists already; the first-run set-up is over. Sign in instead."


class AccountsMixin(MongoConnection):
    # --- users -------------------------------------------------------------------------
    async def create_user(self, user: User) -> User:
        try:
            await self.db.users.insert_one(to_doc(user))
        except DuplicateKeyError:
            raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None
        return user

    async def get_user(self, user_id: str) -> User | None:
        doc = await self.db.users.find_one({"_id": user_id})
        return from_doc(User, doc) if doc else None

    async def get_user_by_username(self, username: str) -> User | None:
        doc = await self.db.users.find_one({"username": username})
        return from_doc(User, doc) if doc else None

    async def list_users(self) -> list[User]:
        return [from_doc(User, d) async for d in self.db.users.find().sort("username")]

    async def update_user(self, user: User) -> None:
        try:
            await self.db.users.replace_one({"_id": user.id}, to_doc(user))
        except DuplicateKeyError:
            raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None

    async def delete_user(self, user_id: str) -> bool:
        await self.db.projects.update_many({"member_ids": user_id}, {"$pull": {"member_ids": user_id}})
        return (await self.db.users.delete_one({"_id": user_id})).deleted_count == 1

    async def create_first_user(self, user: User) -> User:
        # One marker document with a fixed id: of two racing requests only one inserts it (the unique _id).
        if await self.db.users.find_one({}, {"_id": 1}) is not None:
            raise ConflictError(FIRST_RUN_OVER)
        try:
            await self.db.meta.insert_one({"_id": "first_admin", "user_id": user.id})
        except DuplicateKeyError:
            raise ConflictError(FIRST_RUN_OVER) from None
        return await self.create_user(user)

    async def count_users(self) -> int:
        return await self.db.users.count_documents({})
