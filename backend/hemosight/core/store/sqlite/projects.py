"""Projects, their members and their images (with the image bytes) in the embedded store."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from typing import Any

from hemosight.core.store.base import CASE_STATUS_FIELDS, Image, ImageEntry, Job, Project, utcnow
from hemosight.core.store.blobs import sha256_of
from hemosight.core.store.sqlite.codec import IMAGES, JOBS, PROJECTS, RESULTS
from hemosight.core.store.sqlite.connection import SQLiteConnection


class ProjectsMixin(SQLiteConnection):
    async def create_project(self, project: Project) -> Project:
        if project.owner_id not in project.member_ids:
            project.member_ids = [project.owner_id, *project.member_ids]

        def insert(conn: sqlite3.Connection) -> Project:
            PROJECTS.insert(conn, project)
            conn.executemany(
                "INSERT INTO project_members (project_id, user_id) VALUES (?, ?)",
                [(project.id, m) for m in project.member_ids],
            )
            return project

        return await self._run(self._transaction, insert)

    def _projects(self, where: str, args: tuple[Any, ...]) -> list[Project]:
        rows = self.conn.execute(f"SELECT * FROM projects {where} ORDER BY created_at, rowid", args).fetchall()
        members: dict[str, list[str]] = {r["id"]: [] for r in rows}
        if rows:
            marks = ",".join("?" * len(rows))
            for m in self.conn.execute(
                f"SELECT project_id, user_id FROM project_members WHERE project_id IN ({marks})", tuple(members)
            ):
                members[m["project_id"]].append(m["user_id"])
        return [PROJECTS.record(r, member_ids=sorted(members[r["id"]])) for r in rows]

    async def get_project(self, project_id: str) -> Project | None:
        projects = await self._run(self._projects, "WHERE id = ?", (project_id,))
        return projects[0] if projects else None

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        if member_id is None:
            return await self._run(self._projects, "", ())
        return await self._run(
            self._projects, "WHERE id IN (SELECT project_id FROM project_members WHERE user_id = ?)", (member_id,)
        )

    async def update_project(self, project: Project) -> None:
        def update(conn: sqlite3.Connection) -> None:
            row = PROJECTS.values(project)
            columns = [c for c in row if c not in ("id", "owner_id", "created_at", *CASE_STATUS_FIELDS)]
            conn.execute(
                f"UPDATE projects SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id",
                {c: row[c] for c in [*columns, "id"]},
            )
            conn.execute("DELETE FROM project_members WHERE project_id = ?", (project.id,))
            members = set(project.member_ids) | {project.owner_id}
            conn.executemany(
                "INSERT INTO project_members (project_id, user_id) VALUES (?, ?)", [(project.id, m) for m in members]
            )

        await self._run(self._transaction, update)

    async def set_case_status(
        self, project_id: str, status: str, user_id: str | None, at: datetime | None, expected: str
    ) -> bool:
        def swap(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                "UPDATE projects SET status = ?, signed_off_by = ?, signed_off_at = ? WHERE id = ? AND status = ?",
                (status, user_id, at.isoformat() if at else None, project_id, expected),
            )
            return changed.rowcount == 1

        return await self._run(self._transaction, swap)

    async def delete_project(self, project_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> tuple[bool, list[str]]:
            hashes = {
                r["sha256"] for r in conn.execute("SELECT sha256 FROM images WHERE project_id = ?", (project_id,))
            }
            deleted = conn.execute("DELETE FROM projects WHERE id = ?", (project_id,)).rowcount == 1
            unused = [
                h for h in hashes if conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (h,)).fetchone() is None
            ]
            return deleted, unused

        def delete_then_remove_files() -> bool:
            # Files go after the commit, on the same thread as every upload of this store, so no upload
            # of the same bytes can slip in between.
            deleted, unused = self._transaction(delete)
            for digest in unused:
                self.blobs.delete(digest)
            return deleted

        return await self._run(delete_then_remove_files)

    # --- images ------------------------------------------------------------------------
    async def add_image(self, image: Image, data: bytes) -> tuple[Image, Job, bool]:
        image.sha256 = sha256_of(data)
        image.size = len(data)

        def add(conn: sqlite3.Connection) -> tuple[Image, Job, bool]:
            row = conn.execute(
                "SELECT * FROM images WHERE project_id = ? AND sha256 = ?", (image.project_id, image.sha256)
            ).fetchone()
            if row is not None:
                job_row = conn.execute("SELECT * FROM jobs WHERE image_id = ?", (row["id"],)).fetchone()
                return IMAGES.record(row), JOBS.record(job_row), True
            if conn.execute("SELECT 1 FROM projects WHERE id = ?", (image.project_id,)).fetchone() is None:
                raise LookupError(f"Project {image.project_id} no longer exists.")
            # Bytes first, inside the write lock: a concurrent project deletion cannot remove them in between.
            self.blobs.put(data)
            IMAGES.insert(conn, image)
            job = Job(image_id=image.id, project_id=image.project_id)
            JOBS.insert(conn, job)
            return image, job, False

        result = await self._run(self._transaction, add)
        if not result[2]:
            self._wake()
        return result

    async def get_image(self, image_id: str) -> Image | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone())
        return IMAGES.record(row) if row else None

    def _entries(self, project_id: str) -> list[ImageEntry]:
        conn = self.conn
        images = conn.execute(
            "SELECT * FROM images WHERE project_id = ? ORDER BY uploaded_at, rowid", (project_id,)
        ).fetchall()
        jobs = {
            r["image_id"]: JOBS.record(r)
            for r in conn.execute("SELECT * FROM jobs WHERE project_id = ?", (project_id,))
        }
        results = {
            r["image_id"]: RESULTS.record(r)
            for r in conn.execute("SELECT * FROM results WHERE project_id = ?", (project_id,))
        }
        return [ImageEntry(IMAGES.record(r), jobs[r["id"]], results.get(r["id"])) for r in images]

    async def get_image_entry(self, image_id: str) -> ImageEntry | None:
        def read() -> list[ImageEntry]:
            images = self.conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchall()
            if not images:
                return []
            job = self.conn.execute("SELECT * FROM jobs WHERE image_id = ?", (image_id,)).fetchone()
            result = self.conn.execute("SELECT * FROM results WHERE image_id = ?", (image_id,)).fetchone()
            return [ImageEntry(IMAGES.record(images[0]), JOBS.record(job), RESULTS.record(result) if result else None)]

        entries = await self._run(read)
        return entries[0] if entries else None

    async def list_image_entries(self, project_id: str) -> list[ImageEntry]:
        return await self._run(self._entries, project_id)

    # --- usable confirmations -----------------------------------------------------------
    async def confirm_usable(self, image_id: str, user_id: str) -> bool:
        def confirm(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT project_id FROM images WHERE id = ?", (image_id,)).fetchone()
            if row is None:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO usable_confirmations (image_id, project_id, user_id, confirmed_at)"
                " VALUES (?, ?, ?, ?)",
                (image_id, row["project_id"], user_id, utcnow().isoformat()),
            )
            return True

        return await self._run(self._transaction, confirm)

    async def list_usable_confirmations(self, project_id: str) -> dict[str, str]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT image_id, user_id FROM usable_confirmations WHERE project_id = ?", (project_id,)
            ).fetchall()
        )
        return {r["image_id"]: r["user_id"] for r in rows}

    async def read_image_bytes(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(self.blobs.get, sha256)
