import type { AuditEntry } from "../../shared/api/types";

/** One audit entry in words: "Signed off", or "cell-001.png, cell type: neutrophil → monocyte". */
export function describeAudit(entry: AuditEntry, nameOf: (code: string) => string): string {
  if (entry.action === "sign_off") return "Signed off";
  if (entry.action === "reopen") return "Reopened for review";
  const cell = `${entry.filename ?? entry.image_id ?? "a cell"}, ${(entry.label_set ?? "").replaceAll("_", " ")}`;
  const before = entry.previous_label ? nameOf(entry.previous_label) : "no label";
  const after = entry.label ? nameOf(entry.label) : "no label";
  if (entry.action === "confirm") return `${cell}: confirmed ${after}`;
  if (entry.action === "undo") return `${cell}: change undone, ${before} → ${after}`;
  return `${cell}: ${before} → ${after}`;
}
