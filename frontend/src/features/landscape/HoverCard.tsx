import { formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { runnerUpOf, runnerUpWords } from "../../shared/runnerUp";
import type { Hover } from "./landscapeView";

export function HoverCard({ hover, modelVersion }: { hover: Hover; modelVersion: string | null }) {
  const { point } = hover;
  const nameOf = useLabClassName();
  const second = runnerUpOf(point);
  const version = modelVersion ? `?model_version=${encodeURIComponent(modelVersion)}` : "";
  const src =
    point.kind === "cell"
      ? `/api/v1/images/${point.image_id}/thumbnail`
      : `/api/v1/references/${point.reference_id}/thumbnail${version}`;
  return (
    <div
      className="card shadow landscape-hover"
      style={{ left: hover.x + 16, top: hover.y + 16 }}
      aria-hidden="true"
    >
      <AuthImage src={src} alt="" width={112} height={112} className="card-img-top" />
      <div className="card-body p-2 small">
        <div className="fw-semibold">{point.kind === "cell" ? "This project's cell" : "Reference cell"}</div>
        <ClassLabel label={point.label} />
        {point.kind === "cell" && (
          <div className="text-secondary">
            confidence {formatPercent(point.confidence)}
            {second && ` · ${runnerUpWords(second, nameOf)}`}
          </div>
        )}
        {point.flag && <div className="fw-semibold">▲ flagged: {point.flag}</div>}
        {point.reviewed_label && (
          <div className="fw-semibold">■ reviewed: {nameOf(point.reviewed_label)}</div>
        )}
        {point.kind === "cell" && <div className="text-secondary">click to open</div>}
      </div>
    </div>
  );
}
