import { formatSize } from "../../shared/format";
import type { UploadItem } from "./uploadQueue";

const OUTCOME: Record<UploadItem["status"], { words: string; style: string }> = {
  waiting: { words: "waiting", style: "text-bg-light border" },
  uploading: { words: "uploading", style: "text-bg-info" },
  accepted: { words: "uploaded", style: "text-bg-success" },
  duplicate: { words: "already in project", style: "text-bg-secondary" },
  rejected: { words: "not accepted", style: "text-bg-danger" },
  failed: { words: "failed", style: "text-bg-danger" },
};

export function UploadRow({ item }: { item: UploadItem }) {
  const outcome = OUTCOME[item.status];
  return (
    <li className="list-group-item py-2" data-status={item.status}>
      <div className="d-flex align-items-center gap-2">
        <span className="text-truncate flex-grow-1" title={item.file.name}>
          {item.file.name}
        </span>
        <span className="small text-secondary text-nowrap">{formatSize(item.file.size)}</span>
        <span className={`badge ${outcome.style}`}>{outcome.words}</span>
      </div>
      {item.status === "uploading" && (
        <div
          className="progress mt-1"
          style={{ height: 4 }}
          role="progressbar"
          aria-label={`Uploading ${item.file.name}`}
          aria-valuenow={Math.round(item.progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="progress-bar" style={{ width: `${item.progress * 100}%` }} />
        </div>
      )}
      {item.error && <div className="small text-danger mt-1">{item.error}</div>}
    </li>
  );
}
