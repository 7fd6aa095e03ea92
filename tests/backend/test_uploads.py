"""Uploads: every kind of bad file gets a 4xx in words, nothing of it is stored, the rest of the batch goes in."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from hemosight.api.main import create_app
from hemosight.core.settings import Settings

if TYPE_CHECKING:
    from tests.backend.conftest import Api

ORIGINALS = Path(__file__).resolve().parents[1] / "fixtures" / "originals"
ORIGINAL = sorted(ORIGINALS.glob("*.jpg"))[0]
LIMIT_BYTES = 200_000


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels but carries almost no data: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def noise_png(side: int) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return encoded(Image.fromarray(pixels), "PNG")


JPEG = ORIGINAL.read_bytes()
BAD_FILES: dict[str, tuple[str, bytes, int, str]] = {
    # case: (filename, bytes, status of the single-file endpoint, words the message must contain)
    "empty": ("empty.jpg", b"", 400, "empty"),
    "text": ("notes.jpg", b"Patient 17, smear 3: lots of blasts\n" * 5, 415, "text"),
    "pdf": ("report.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", 415, "PDF"),
    "truncated": ("cut.jpg", JPEG[: len(JPEG) // 2], 422, "truncated"),
    "bomb": ("bomb.png", png_header_only(30000, 30000), 413, "pixels"),
    "too_large": ("huge.png", noise_png(400), 413, "limit"),
    "unsupported": ("cell.ico", encoded(Image.new("RGB", (32, 32), "red"), "ICO"), 415, "Unsupported image format"),
    "traversal": ("../../etc/cell.jpg", JPEG, 400, "path"),
    "absolute": ("/etc/passwd", JPEG, 400, "path"),
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="s" * 40,
        max_upload_bytes=LIMIT_BYTES,
        max_files_per_request=12,
        frontend_dist=tmp_path / "no-frontend",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def project(alice: Api) -> str:
    return alice.post("projects", json={"name": "Case"}).json()["id"]


def stored_files(client: TestClient) -> list[Path]:
    root = client.app.state.settings.resolved_data_dir / "images"  # type: ignore[attr-defined]
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_batch_reports_each_file_and_keeps_only_good_ones(client: TestClient, alice: Api, project: str) -> None:
    files = [("files", ("good.jpg", JPEG, "image/jpeg"))]
    files += [("files", (name, data, "image/jpeg")) for name, data, _, _ in BAD_FILES.values()]
    files += [("files", ("again.jpg", JPEG, "image/jpeg"))]
    response = alice.post(f"projects/{project}/images", files=files)
    assert response.status_code == 200, response.text
    outcomes = response.json()["files"]
    assert [o["status"] for o in outcomes] == ["accepted", *["rejected"] * len(BAD_FILES), "duplicate"]
    for outcome, (case, (_, _, _, words)) in zip(outcomes[1:-1], BAD_FILES.items(), strict=True):
        assert words.lower() in outcome["error"].lower(), (case, outcome)
        assert outcome["image_id"] is None
    assert outcomes[-1]["image_id"] == outcomes[0]["image_id"] and "already in this project" in outcomes[-1]["error"]
    listed = alice.get(f"projects/{project}/images").json()
    assert [i["filename"] for i in listed] == ["good.jpg"] and listed[0]["status"] == "pending"
    assert [p.read_bytes() for p in stored_files(client)] == [JPEG]


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_single_upload_rejects_bad_file_with_words(client: TestClient, alice: Api, project: str, case: str) -> None:
    filename, data, status_code, words = BAD_FILES[case]
    response = alice.post(f"projects/{project}/images/single", files={"file": (filename, data, "image/jpeg")})
    assert response.status_code == status_code, response.text
    assert words.lower() in response.json()["detail"].lower()
    assert stored_files(client) == []
    assert alice.get(f"projects/{project}/images").json() == []


def test_single_upload_accepts_and_reports_duplicate(client: TestClient, alice: Api, project: str) -> None:
    first = alice.post(f"projects/{project}/images/single", files={"file": ("folder/cell.jpg", JPEG, "image/jpeg")})
    assert first.status_code == 201
    body = first.json()
    assert body["filename"] == "cell.jpg" and body["status"] == "pending" and body["result"] is None
    assert (body["format"], body["width"], body["height"], body["size"]) == ("JPEG", 360, 363, len(JPEG))
    again = alice.post(f"projects/{project}/images/single", files={"file": ("x.jpg", JPEG, "image/jpeg")})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert alice.get(f"images/{body['id']}/file").content == JPEG
    thumbnail = Image.open(io.BytesIO(alice.get(f"images/{body['id']}/thumbnail").content))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 128
    job = alice.get(f"jobs/{body['job_id']}").json()
    assert job["status"] == "pending" and job["attempts"] == 0
    neighbours = alice.get(f"images/{body['id']}/neighbours")
    assert neighbours.status_code == 409 and "pending" in neighbours.json()["detail"]


def test_too_many_files_in_one_request_is_refused_whole(client: TestClient, alice: Api, project: str) -> None:
    files = [
        ("files", (f"c{i}.png", encoded(Image.new("RGB", (16, 16), (i, 0, 0)), "PNG"), "image/png")) for i in range(13)
    ]
    response = alice.post(f"projects/{project}/images", files=files)
    assert response.status_code == 413 and "at most 12" in response.json()["detail"]
    assert stored_files(client) == []


def test_upload_without_files_or_to_foreign_project(
    client: TestClient, alice: Api, project: str, sign_up: Callable[..., Api]
) -> None:
    missing = alice.post(f"projects/{project}/images", data={"note": "x"})
    assert missing.status_code == 422 and "files is required" in missing.json()["detail"]
    text = alice.post(f"projects/{project}/images", data={"files": "not a file"})
    assert text.status_code == 422 and "must be a file" in text.json()["detail"]
    bob = sign_up("bob")
    foreign = bob.post(f"projects/{project}/images", files=[("files", ("good.jpg", JPEG, "image/jpeg"))])
    assert foreign.status_code == 404 and "not a member" in foreign.json()["detail"]
    assert stored_files(client) == []
    image_id = alice.post(f"projects/{project}/images/single", files={"file": ("a.jpg", JPEG, "image/jpeg")}).json()[
        "id"
    ]
    for path in (f"images/{image_id}", f"images/{image_id}/file", f"images/{image_id}/thumbnail"):
        assert bob.get(path).status_code == 404


def test_same_cell_in_two_projects_is_stored_once(client: TestClient, alice: Api, project: str) -> None:
    other = alice.post("projects", json={"name": "Other"}).json()["id"]
    for pid in (project, other):
        response = alice.post(f"projects/{pid}/images", files=[("files", ("a.jpg", JPEG, "image/jpeg"))])
        assert response.json()["files"][0]["status"] == "accepted"
    assert len(stored_files(client)) == 1
    alice.delete(f"projects/{project}")
    assert len(stored_files(client)) == 1
    alice.delete(f"projects/{other}")
    assert stored_files(client) == []


def test_request_over_the_total_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", secret_key="s" * 40, max_request_bytes=50_000, frontend_dist=tmp_path)
    with TestClient(create_app(settings)) as client:
        files = [("files", (f"c{i}.jpg", JPEG, "image/jpeg")) for i in range(5)]
        response = client.post("/api/v1/projects/x/images", files=files)
        assert response.status_code == 413 and "limit per request" in response.json()["detail"]
        assert client.get("/healthz").status_code == 200


def test_results_csv_does_not_let_a_filename_become_a_formula(client: TestClient, alice: Api, project: str) -> None:
    import csv

    names = ["=HYPERLINK(0).jpg", "+1.jpg", "-2.jpg", "@SUM(1).jpg", "plain.jpg"]
    images = [Image.new("RGB", (64, 64), (i * 40, 90, 200)) for i in range(len(names))]
    files = [("files", (n, encoded(im, "PNG"), "image/png")) for n, im in zip(names, images, strict=True)]
    assert [f["status"] for f in alice.post(f"projects/{project}/images", files=files).json()["files"]] == [
        "accepted"
    ] * len(names)
    rows = list(csv.DictReader(io.StringIO(alice.get(f"projects/{project}/results", params={"format": "csv"}).text)))
    cells = sorted(r["filename"] for r in rows)
    assert cells == sorted(["'=HYPERLINK(0).jpg", "'+1.jpg", "'-2.jpg", "'@SUM(1).jpg", "plain.jpg"])


def test_label_export_and_differential_count_escape_formulas_too() -> None:
    import csv

    from hemosight.api.labelling import export_csv
    from hemosight.api.reports import differential_count_csv
    from hemosight.api.schemas import ClassCount, DifferentialCountPublic
    from hemosight.core.store.base import LabelEvent

    event = LabelEvent("img1", "p1", "=set", "@class", "manual", "u1", previous_label="\rold")
    exported = list(csv.reader(io.StringIO(export_csv([event], {"u1": "-bob"}, {"img1": "+file.jpg"}))))[1]
    assert {"'=set", "'@class", "'\rold", "'-bob", "'+file.jpg"} <= set(exported)
    count = DifferentialCountPublic(label_set="t", total=2, classes=[ClassCount(label="\tx", count=2, percentage=100)])
    assert "'\tx,2,100.0" in differential_count_csv(count)


def test_a_chunked_body_over_the_request_limit_is_refused_while_streaming(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", secret_key="s" * 40, max_request_bytes=50_000, frontend_dist=tmp_path)
    with TestClient(create_app(settings)) as client:
        token = _sign_up_token(client)
        project = client.post("/api/v1/projects", json={"name": "x"}, headers=token).json()["id"]
        files = [("files", (f"c{i}.png", noise_png(40 + i), "image/png")) for i in range(12)]
        request = client.build_request("POST", f"/api/v1/projects/{project}/images", files=files, headers=token)
        body = request.read()
        assert len(body) > 50_000

        def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
            for i in range(0, len(body), 8192):
                yield body[i : i + 8192]

        headers = {"content-type": request.headers["content-type"], **token}
        response = client.post(f"/api/v1/projects/{project}/images", content=chunks(), headers=headers)
        assert response.status_code == 413 and "limit per request" in response.json()["detail"]
        assert client.get(f"/api/v1/projects/{project}/images", headers=token).json() == []
        assert not list((tmp_path / "d" / "images").rglob("*.*"))


def _sign_up_token(client: TestClient) -> dict[str, str]:
    from tests.backend.conftest import _sign_up

    return _sign_up(client, "carol").headers


def test_upload_messages_say_what_is_wrong_with_this_file(client: TestClient, alice: Api, project: str) -> None:
    tiny = alice.post(
        f"projects/{project}/images/single",
        files={"file": ("tiny.png", encoded(Image.new("RGB", (1, 1)), "PNG"), "image/png")},
    )
    assert tiny.status_code == 400 and "at least 8x8" in tiny.json()["detail"]  # too small, not too large
    just_over = noise_png(400)
    assert len(just_over) > LIMIT_BYTES
    big = alice.post(f"projects/{project}/images/single", files={"file": ("big.png", just_over, "image/png")})
    assert big.status_code == 413 and f"{len(just_over):,} bytes" in big.json()["detail"]
    assert f"{LIMIT_BYTES:,}-byte limit" in big.json()["detail"]
    # One list of formats everywhere: the same in every message and in the API description.
    from hemosight.ml.imageio import SUPPORTED_FORMATS

    for data in (b"\x00\x00\x01\x00" + b"0" * 100, b"Patient 17 smear\n" * 10):
        refused = alice.post(f"projects/{project}/images/single", files={"file": ("x.jpg", data, "image/jpeg")})
        assert refused.status_code == 415 and all(f in refused.json()["detail"] for f in SUPPORTED_FORMATS), (
            refused.text
        )


def test_more_files_than_the_parser_takes_is_the_same_413(client: TestClient, alice: Api, project: str) -> None:
    files = [("files", (f"c{i}.jpg", b"x", "image/jpeg")) for i in range(1001)]
    response = alice.post(f"projects/{project}/images", files=files)
    assert response.status_code == 413 and "at most 12" in response.json()["detail"], response.text


def test_an_over_long_filename_is_refused_alone_and_the_batch_goes_in(
    client: TestClient, alice: Api, project: str
) -> None:
    # A 5,000-character name used to stop the whole batch in the form parser (a part header over 4 KB) with a 400.
    files = [("files", ("a" * 5000 + ".jpg", JPEG, "image/jpeg")), ("files", ("ok.png", noise_png(20), "image/png"))]
    response = alice.post(f"projects/{project}/images", files=files)
    assert response.status_code == 200, response.text
    long, ok = response.json()["files"]
    assert ok["status"] == "accepted" and long["status"] == "accepted"
    # Stored and reported under a name of at most 255 characters that keeps its start and its extension.
    assert len(long["filename"]) == 255 and long["filename"].startswith("aaaa") and long["filename"].endswith("….jpg")
    listed = {i["filename"] for i in alice.get(f"projects/{project}/images").json()}
    assert listed == {long["filename"], "ok.png"}
    assert len(stored_files(client)) == 2


def test_a_filename_too_long_to_read_is_refused_per_file_with_words(
    client: TestClient, alice: Api, project: str
) -> None:
    from hemosight.api.forms import MAX_PART_HEADER_BYTES

    name = "b" * (MAX_PART_HEADER_BYTES + 10) + ".jpg"
    files = [("files", (name, JPEG, "image/jpeg")), ("files", ("ok.png", noise_png(20), "image/png"))]
    response = alice.post(f"projects/{project}/images", files=files)
    assert response.status_code == 200, response.text
    refused, ok = response.json()["files"]
    assert ok["status"] == "accepted", ok
    assert refused["status"] == "rejected" and "rename it to a shorter name" in refused["error"], refused
    assert len(refused["filename"]) < 255 and refused["filename"].startswith("bbb")
    assert len(stored_files(client)) == 1  # only ok.png: nothing of the refused file
    single = alice.post(f"projects/{project}/images/single", files={"file": (name, JPEG, "image/jpeg")})
    assert single.status_code == 400 and "shorter name" in single.json()["detail"], single.text
    assert len(stored_files(client)) == 1


def test_an_over_long_filename_sent_chunked_is_handled_the_same(client: TestClient, alice: Api, project: str) -> None:
    files = [("files", ("c" * 5000 + ".png", noise_png(21), "image/png")), ("files", ("ok.png", JPEG, "image/jpeg"))]
    request = client.build_request("POST", f"/api/v1/projects/{project}/images", files=files)
    body = request.read()

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked, the name split across chunks
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    headers = {"content-type": request.headers["content-type"], **alice.headers}
    response = client.post(f"/api/v1/projects/{project}/images", content=chunks(), headers=headers)
    assert response.status_code == 200, response.text
    assert [f["status"] for f in response.json()["files"]] == ["accepted", "accepted"]
    assert len(stored_files(client)) == 2


def test_thumbnails_follow_the_exif_orientation(client: TestClient, alice: Api, project: str) -> None:
    pixels = np.zeros((20, 60, 3), np.uint8)  # stored 60 wide x 20 high, red on the left
    pixels[:, :20] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": shown 20 wide x 60 high, red on top
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", exif=exif, quality=95)
    image_id = alice.post(
        f"projects/{project}/images/single", files={"file": ("rotated.jpg", buffer.getvalue(), "image/jpeg")}
    ).json()["id"]
    thumbnail = Image.open(io.BytesIO(alice.get(f"images/{image_id}/thumbnail").content))
    assert thumbnail.size[0] < thumbnail.size[1]  # portrait, as any viewer shows it
    top = np.asarray(thumbnail.convert("RGB"))[:5].mean(axis=(0, 1))
    assert top[0] > 200 and top[1] < 60


def test_temporary_files_of_crashed_uploads_are_swept_on_start(tmp_path: Path) -> None:
    import os
    import time

    settings = Settings(data_dir=tmp_path / "d", secret_key="s" * 40, frontend_dist=tmp_path)
    folder = tmp_path / "d" / "images" / "ab" / "cd"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".upload-x1.tmp", folder / ".upload-x2.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half an image")
    hours_ago = time.time() - 3 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    with TestClient(create_app(settings)):
        pass
    assert not stale.exists()  # left by a process that died mid-write
    assert fresh.exists()  # may be an upload in progress in another process
