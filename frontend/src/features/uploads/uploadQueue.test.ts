import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../shared/api/errors";
import type { UploadOutcome } from "../../shared/api/types";
import { checkFile, type SendChunk, summarize, UploadQueue } from "./uploadQueue";

const jpeg = (name: string, size = 1000) => new File([new Uint8Array(size)], name, { type: "image/jpeg" });

function settle(queue: UploadQueue): Promise<void> {
  return vi.waitFor(() => {
    if (summarize(queue.getSnapshot()).active) throw new Error("still uploading");
  });
}

const acceptAll: SendChunk = async (_projectId, files) =>
  files.map(
    (file, index): UploadOutcome => ({
      filename: file.name,
      status: "accepted",
      image_id: `img-${file.name}-${index}`,
    }),
  );

describe("checkFile", () => {
  it("explains wrong types, empty and too large files in words", () => {
    expect(checkFile(new File(["x"], "notes.txt", { type: "text/plain" }))).toMatch(/Wrong type/);
    expect(checkFile(new File([], "empty.jpg", { type: "image/jpeg" }))).toMatch(/Empty/);
    expect(checkFile(jpeg("huge.jpg", 21 * 1024 * 1024))).toMatch(/Too large: 21\.0 MB/);
    expect(checkFile(jpeg("cell.jpg"))).toBeNull();
    expect(checkFile(new File(["x"], "cell.TIF"))).toBeNull();
  });
});

describe("UploadQueue", () => {
  it("sends files in chunks of ten and records each file's outcome", async () => {
    const send = vi.fn(acceptAll);
    const queue = new UploadQueue(send);
    queue.add(
      "p1",
      Array.from({ length: 25 }, (_, i) => jpeg(`cell-${i}.jpg`)),
    );
    await settle(queue);
    expect(send.mock.calls.map((call) => call[1].length)).toEqual([10, 10, 5]);
    expect(queue.getSnapshot().every((item) => item.status === "accepted" && item.imageId)).toBe(true);
  });

  it("keeps the rest of the batch when some files are refused", async () => {
    const send: SendChunk = async (_p, files) =>
      files.map((file) =>
        file.name.startsWith("corrupt")
          ? { filename: file.name, status: "rejected", error: "Corrupt image: it cannot be decoded." }
          : { filename: file.name, status: "accepted", image_id: file.name },
      );
    const queue = new UploadQueue(send);
    queue.add("p1", [jpeg("a.jpg"), jpeg("corrupt.jpg"), new File(["x"], "readme.txt"), jpeg("b.jpg")]);
    await settle(queue);
    const byName = Object.fromEntries(queue.getSnapshot().map((item) => [item.file.name, item]));
    expect(byName["a.jpg"].status).toBe("accepted");
    expect(byName["b.jpg"].status).toBe("accepted");
    expect(byName["corrupt.jpg"]).toMatchObject({
      status: "rejected",
      error: "Corrupt image: it cannot be decoded.",
    });
    expect(byName["readme.txt"].status).toBe("rejected");
    expect(byName["readme.txt"].error).toMatch(/Wrong type/);
  });

  it("marks a chunk the server failed on, goes on with the next, and can retry", async () => {
    let calls = 0;
    const send: SendChunk = async (projectId, files, onProgress) => {
      calls += 1;
      onProgress(0.5);
      if (calls === 1) throw new ApiError(500, "The server had a problem (HTTP 500). Try again in a moment.");
      return acceptAll(projectId, files, onProgress);
    };
    const onChunkDone = vi.fn();
    const queue = new UploadQueue(send, onChunkDone, 2);
    queue.add("p1", [jpeg("1.jpg"), jpeg("2.jpg"), jpeg("3.jpg")]);
    await settle(queue);
    const statuses = queue.getSnapshot().map((item) => item.status);
    expect(statuses).toEqual(["failed", "failed", "accepted"]);
    expect(queue.getSnapshot()[0].error).toMatch(/HTTP 500/);
    expect(onChunkDone).toHaveBeenCalledWith("p1");

    queue.retryFailed("p1");
    await settle(queue);
    expect(queue.getSnapshot().map((item) => item.status)).toEqual(["accepted", "accepted", "accepted"]);
  });

  it("stops the queue when the session has expired", async () => {
    const send = vi.fn<SendChunk>(async () => {
      throw new ApiError(401, "Your session has expired; sign in again.");
    });
    const queue = new UploadQueue(send, undefined, 1);
    queue.add("p1", [jpeg("1.jpg"), jpeg("2.jpg"), jpeg("3.jpg")]);
    await settle(queue);
    expect(send).toHaveBeenCalledTimes(1);
    expect(queue.getSnapshot().map((item) => item.error)).toEqual([
      "Your session has expired; sign in again.",
      "Your session has expired; sign in again.",
      "Your session has expired; sign in again.",
    ]);
  });

  it("keeps projects apart in one chunk and in clearFinished", async () => {
    const send = vi.fn(acceptAll);
    const queue = new UploadQueue(send);
    queue.add("p1", [jpeg("a.jpg")]);
    queue.add("p2", [jpeg("b.jpg")]);
    await settle(queue);
    expect(send.mock.calls.map((call) => call[0])).toEqual(["p1", "p2"]);
    queue.clearFinished("p1");
    expect(queue.getSnapshot().map((item) => item.projectId)).toEqual(["p2"]);
  });

  it("keeps the files of a chunk lost to an outage waiting, and resumes when the server is back", async () => {
    // The server is away for three attempts (no answer, then a proxy's 502 and 503), then answers.
    const failures = [
      new TypeError("network down"),
      new ApiError(502, "Bad gateway"),
      new ApiError(503, "Down"),
    ];
    const send = vi.fn<SendChunk>(async (projectId, files, onProgress) => {
      const failure = failures.shift();
      if (failure) throw failure;
      return acceptAll(projectId, files, onProgress);
    });
    let release: () => void = () => {};
    const waits: number[] = [];
    const waitOut = vi.fn((failuresInARow: number) => {
      waits.push(failuresInARow);
      // The first wait holds until the test lets the server "come back"; the others pass at once.
      return failuresInARow === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    });
    const queue = new UploadQueue(send, undefined, 2, waitOut);
    queue.add("p1", [jpeg("1.jpg"), jpeg("2.jpg"), jpeg("3.jpg")]);
    await vi.waitFor(() => expect(waitOut).toHaveBeenCalledTimes(1));
    // During the outage nothing is failed: the chunk's files wait again, the others were never sent.
    expect(queue.getSnapshot().map((item) => item.status)).toEqual(["waiting", "waiting", "waiting"]);
    expect(summarize(queue.getSnapshot())).toMatchObject({ active: true, failed: 0 });
    release();
    await settle(queue);
    expect(queue.getSnapshot().map((item) => item.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(waits).toEqual([1, 2, 3]);
    // Three failed attempts of the first chunk, then the two chunks.
    expect(send.mock.calls.map((call) => call[1].map((file) => file.name))).toEqual([
      ["1.jpg", "2.jpg"],
      ["1.jpg", "2.jpg"],
      ["1.jpg", "2.jpg"],
      ["1.jpg", "2.jpg"],
      ["3.jpg"],
    ]);
  });

  it("starts counting outages again after the server answered", async () => {
    const failures = [true, false, true, false];
    const send = vi.fn<SendChunk>(async (projectId, files, onProgress) => {
      if (failures.shift()) throw new TypeError("network down");
      return acceptAll(projectId, files, onProgress);
    });
    const waitOut = vi.fn(async (_failures: number) => {});
    const queue = new UploadQueue(send, undefined, 1, waitOut);
    queue.add("p1", [jpeg("1.jpg"), jpeg("2.jpg")]);
    await settle(queue);
    expect(waitOut.mock.calls.map((call) => call[0])).toEqual([1, 1]);
    expect(queue.getSnapshot().every((item) => item.status === "accepted")).toBe(true);
  });

  it("stops waiting for the server when the session ends", async () => {
    const send = vi.fn<SendChunk>(async () => {
      throw new TypeError("network down");
    });
    let release: () => void = () => {};
    const queue = new UploadQueue(
      send,
      undefined,
      1,
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    queue.add("p1", [jpeg("1.jpg"), jpeg("2.jpg")]);
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    queue.cancelAll("Signed out.");
    release();
    await settle(queue);
    expect(send).toHaveBeenCalledTimes(1);
    expect(queue.getSnapshot().map((item) => item.error)).toEqual(["Signed out.", "Signed out."]);
  });
});
