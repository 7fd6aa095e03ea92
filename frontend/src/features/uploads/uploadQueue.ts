// The app-wide upload queue: files wait here and go to the backend in chunks, so that a batch of
// hundreds keeps going while the user reviews results elsewhere in the app. When the server is away
// (stopped, restarting, the network down) the chunk goes back to waiting and the queue resumes once the
// server answers: an outage loses no file and marks none failed.
import { backoffMs, isOutage } from "../../shared/api/connection";
import { ApiError, errorMessage } from "../../shared/api/errors";
import type { UploadOutcome } from "../../shared/api/types";

export type UploadStatus = "waiting" | "uploading" | "accepted" | "duplicate" | "rejected" | "failed";

export type UploadItem = {
  id: number;
  projectId: string;
  file: File;
  status: UploadStatus;
  /** 0–1, while the file's chunk is on its way. */
  progress: number;
  error: string | null;
  imageId: string | null;
};

export type SendChunk = (
  projectId: string,
  files: File[],
  onProgress: (fraction: number) => void,
) => Promise<UploadOutcome[]>;

export const CHUNK_SIZE = 10;
/** The backend's default limit (HEMOSIGHT_MAX_UPLOAD_BYTES); it has the last word. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
const IMAGE_EXTENSIONS = /\.(jpe?g|png|tiff?|bmp|gif|webp)$/i;

/** Words for a file the backend would refuse anyway, or null when it is worth sending. */
export function checkFile(file: File): string | null {
  const looksLikeImage = file.type.startsWith("image/") || IMAGE_EXTENSIONS.test(file.name);
  if (!looksLikeImage)
    return "Wrong type: not an image. HemoSight accepts JPEG, PNG, TIFF, BMP, GIF and WEBP images.";
  if (file.size === 0) return "Empty file: nothing to upload.";
  if (file.size > MAX_FILE_BYTES) {
    return `Too large: ${(file.size / 1024 / 1024).toFixed(1)} MB (at most ${MAX_FILE_BYTES / 1024 / 1024} MB).`;
  }
  return null;
}

export function isFinished(item: UploadItem): boolean {
  return item.status !== "waiting" && item.status !== "uploading";
}

type Listener = () => void;

/**
 * Waits out an outage after the `failures`-th chunk in a row failed like one (the app's ServerConnection
 * pauses, then waits until the server answers). The default only pauses, with the same growing backoff.
 */
export type WaitOut = (failures: number) => Promise<void>;

const pauseOnly: WaitOut = (failures) => new Promise((resolve) => setTimeout(resolve, backoffMs(failures)));

export class UploadQueue {
  private items: readonly UploadItem[] = [];
  private readonly listeners = new Set<Listener>();
  private nextId = 1;
  private running = false;
  private generation = 0;
  /** Chunks in a row that failed like an outage; 0 after any answer from the server. */
  private outages = 0;

  constructor(
    private readonly send: SendChunk,
    private readonly onChunkDone: (projectId: string) => void = () => {},
    private readonly chunkSize = CHUNK_SIZE,
    private readonly waitOut: WaitOut = pauseOnly,
  ) {}

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): readonly UploadItem[] => this.items;

  add(projectId: string, files: Iterable<File>): void {
    const added: UploadItem[] = [];
    for (const file of files) {
      const problem = checkFile(file);
      added.push({
        id: this.nextId++,
        projectId,
        file,
        status: problem ? "rejected" : "waiting",
        progress: 0,
        error: problem,
        imageId: null,
      });
    }
    this.set([...this.items, ...added]);
    void this.run();
  }

  /** Sends the files whose request failed (not those the backend refused) again. */
  retryFailed(projectId: string): void {
    this.update((item) =>
      item.projectId === projectId && item.status === "failed"
        ? { ...item, status: "waiting", error: null, progress: 0 }
        : item,
    );
    void this.run();
  }

  clearFinished(projectId: string): void {
    this.set(this.items.filter((item) => item.projectId !== projectId || !isFinished(item)));
  }

  /** Stops everything not yet sent (on sign-out); the chunk in flight finishes on the server. */
  cancelAll(reason: string): void {
    if (this.items.length === 0) return;
    this.generation++;
    this.running = false;
    this.update((item) =>
      isFinished(item) ? item : { ...item, status: "failed", error: reason, progress: 0 },
    );
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const generation = this.generation;
    while (generation === this.generation) {
      const first = this.items.find((item) => item.status === "waiting");
      if (!first) break;
      const chunk = this.items
        .filter((item) => item.status === "waiting" && item.projectId === first.projectId)
        .slice(0, this.chunkSize);
      const outage = await this.sendChunk(first.projectId, chunk, generation);
      if (outage) {
        this.outages += 1;
        await this.waitOut(this.outages);
      } else {
        this.outages = 0;
      }
    }
    if (generation === this.generation) this.running = false;
  }

  /** Sends one chunk and records its outcome; true when it failed like an outage (its files wait again). */
  private async sendChunk(projectId: string, chunk: UploadItem[], generation: number): Promise<boolean> {
    const ids = new Set(chunk.map((item) => item.id));
    const inChunk = (item: UploadItem) => ids.has(item.id) && generation === this.generation;
    this.update((item) => (inChunk(item) ? { ...item, status: "uploading", progress: 0 } : item));
    try {
      const outcomes = await this.send(
        projectId,
        chunk.map((item) => item.file),
        (fraction) => this.update((item) => (inChunk(item) ? { ...item, progress: fraction } : item)),
      );
      const byName = new Map(outcomes.map((outcome) => [outcome.filename, outcome]));
      this.update((item) => {
        if (!inChunk(item)) return item;
        const index = chunk.findIndex((sent) => sent.id === item.id);
        const outcome =
          outcomes[index]?.filename === item.file.name ? outcomes[index] : byName.get(item.file.name);
        if (!outcome) return { ...item, status: "failed", error: "The server did not report on this file." };
        return {
          ...item,
          status: outcome.status,
          progress: 1,
          error: outcome.error ?? null,
          imageId: outcome.image_id ?? null,
        };
      });
    } catch (error) {
      if (isOutage(error)) {
        this.update((item) =>
          inChunk(item) ? { ...item, status: "waiting", error: null, progress: 0 } : item,
        );
        return generation === this.generation;
      }
      const message = errorMessage(error);
      this.update((item) =>
        inChunk(item) ? { ...item, status: "failed", error: message, progress: 0 } : item,
      );
      if (error instanceof ApiError && error.status === 401) this.cancelAll(message);
    }
    this.onChunkDone(projectId);
    return false;
  }

  private update(change: (item: UploadItem) => UploadItem): void {
    this.set(this.items.map(change));
  }

  private set(items: readonly UploadItem[]): void {
    this.items = items;
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export type UploadSummary = {
  total: number;
  finished: number;
  failed: number;
  active: boolean;
  progress: number;
};

export function summarize(items: readonly UploadItem[]): UploadSummary {
  const finished = items.filter(isFinished).length;
  const failed = items.filter((item) => item.status === "rejected" || item.status === "failed").length;
  const done = items.reduce((sum, item) => sum + (isFinished(item) ? 1 : item.progress * 0.99), 0);
  return {
    total: items.length,
    finished,
    failed,
    active: finished < items.length,
    progress: items.length ? done / items.length : 0,
  };
}
