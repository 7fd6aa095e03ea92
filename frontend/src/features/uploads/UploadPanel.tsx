import { type DragEvent, useId, useRef, useState } from "react";
import { useUploadItems, useUploads } from "./UploadContext";
import { UploadRow } from "./UploadRow";
import { summarize } from "./uploadQueue";

/** Drop zone and per-file progress for one project; the queue itself lives at app level. */
export function UploadPanel({ projectId, compact = false }: { projectId: string; compact?: boolean }) {
  const queue = useUploads();
  const items = useUploadItems(projectId);
  const summary = summarize(items);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();

  function drop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) queue.add(projectId, event.dataTransfer.files);
  }

  const problems = items.filter((item) => item.status === "rejected" || item.status === "failed");
  const retryable = items.some((item) => item.status === "failed");
  return (
    <section className="card mb-4" aria-labelledby={`${inputId}-title`}>
      <div className="card-body">
        <h2 className="h6 card-title" id={`${inputId}-title`}>
          Upload cell images
        </h2>
        <label
          htmlFor={inputId}
          className={`drop-zone ${compact ? "drop-zone-compact" : ""} ${dragging ? "drop-zone-active" : ""}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          <span className="fw-semibold">Drop images here or choose files</span>
          <span className={`small text-secondary ${compact ? "visually-hidden" : ""}`}>
            JPEG, PNG, TIFF, BMP, GIF or WEBP crops with one white blood cell in the centre; hundreds at once
            are fine. Uploads go on while you look at other pages.
          </span>
        </label>
        <input
          id={inputId}
          ref={input}
          type="file"
          className="visually-hidden"
          multiple
          accept="image/*,.jpg,.jpeg,.png,.tif,.tiff,.bmp,.gif,.webp"
          onChange={(event) => {
            if (event.target.files?.length) queue.add(projectId, event.target.files);
            event.target.value = "";
          }}
        />
        {items.length > 0 && (
          <div className="mt-3">
            <div className="d-flex flex-wrap align-items-center gap-3 mb-2">
              <span className="small" aria-live="polite">
                {summary.finished} of {summary.total} files done
                {summary.failed > 0 && <span className="text-danger"> · {summary.failed} not uploaded</span>}
              </span>
              <div
                className="progress flex-grow-1"
                style={{ height: 8, minWidth: 120 }}
                role="progressbar"
                aria-label="Upload progress"
                aria-valuenow={Math.round(summary.progress * 100)}
                aria-valuemin={0}
                aria-valuemax={100}
              >
                <div
                  className={`progress-bar ${summary.active ? "progress-bar-striped progress-bar-animated" : "bg-success"}`}
                  style={{ width: `${summary.progress * 100}%` }}
                />
              </div>
              {retryable && (
                <button
                  type="button"
                  className="btn btn-sm btn-outline-primary"
                  onClick={() => queue.retryFailed(projectId)}
                >
                  Retry failed
                </button>
              )}
              {!summary.active && (
                <button
                  type="button"
                  className="btn btn-sm btn-outline-secondary"
                  onClick={() => queue.clearFinished(projectId)}
                >
                  Clear list
                </button>
              )}
            </div>
            {problems.length > 0 && (
              <p className="small text-danger mb-2">
                {problems.length} file{problems.length === 1 ? " was" : "s were"} not uploaded; the rest of
                the batch continues. Reasons are shown below.
              </p>
            )}
            {problems.length > 0 && (
              <ul className="list-group upload-list mb-2" aria-label="Files not uploaded">
                {problems.map((item) => (
                  <UploadRow key={item.id} item={item} />
                ))}
              </ul>
            )}
            {/* While uploading every file is in view; afterwards only the problems, the rest on request. */}
            <details open={summary.active} className="upload-details">
              <summary className="small">
                {summary.active
                  ? "Files in this upload"
                  : `Show the ${items.length - problems.length} uploaded files`}
              </summary>
              <ul className="list-group upload-list mt-2" aria-label="Files in this upload">
                {items
                  .filter((item) => !problems.includes(item))
                  .map((item) => (
                    <UploadRow key={item.id} item={item} />
                  ))}
              </ul>
            </details>
          </div>
        )}
      </div>
    </section>
  );
}
