"""Users of the embedded store."""

from __future__ import annotations

import sqlite3

from hemosight.core.store.base import ConflictError, User
from hemosight.core.store.sqlite.codec import USERS
from hemosight.core.store.sqlite.connection import SQLiteConnection


class AccountsMixin(SQLiteConnection):
    async def create_user(self, user: User) -> User:
        def insert() -> User:
            try:
                USERS.insert(self.conn, user)
            except sqlite3.IntegrityError:
                raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None
            return user

        return await self._run(insert)

    async def get_user(self, user_id: str) -> User | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())
        return USERS.record(row) if row else None

    async def get_user_by_username(self, username: str) -> User | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        )
        return USERS.record(row) if row else None

    async def list_users(self) -> list[User]:
        rows = await self._run(lambda: self.conn.execute("SELECT * FROM users ORDER BY username").fetchall())
        return [USERS.record(r) for r in rows]

    async def update_user(self, user: User) -> None:
        def update() -> None:
            try:
                self.conn.execute(
                    "UPDATE users SET username = ?, password_hash = ?, role = ? WHERE id = ?",
                    (user.username, user.password_hash, user.role, user.id),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None

        await self._run(update)

    async def delete_user(self, user_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM project_members WHERE user_id = ?", (user_id,))
            return conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount == 1

        return await self._run(self._transaction, delete)

    async def create_first_user(self, user: User) -> User:
        def insert(conn: sqlite3.Connection) -> User:
            # BEGIN IMMEDIATE takes the write lock before the count: a racing request waits, then sees this user.
            if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
                raise ConflictError("An account exists already; the first-run set-up is over. Sign in instead.")
            USERS.insert(conn, user)
            return user

        return await self._run(self._transaction, insert)

    async def count_users(self) -> int:
        row = await self._run(lambda: self.conn.execute("SELECT COUNT(*) AS n FROM users").fetchone())
        return int(row["n"])
