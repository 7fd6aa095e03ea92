// Pure helpers of the label import / export (admin), tested without a browser.
import { ApiError, errorMessage } from "../../shared/api/errors";
import { MAX_IMPORT_BYTES } from "../../shared/api/labelImport";
import type { LabelImport, LabelImportRejected } from "../../shared/api/types";

const NOTHING_IMPORTED = "Nothing was imported";

/** "Imported 3 labels, 1 unchanged." */
export function importResultWords(result: LabelImport): string {
  const labels = result.imported === 1 ? "label" : "labels";
  return `Imported ${result.imported} ${labels}, ${result.unchanged} unchanged.`;
}

/** A failed import in words: one summary sentence, the rows the server named (one per line), a hint. */
export type ImportFailure = { summary: string; problems: string[]; hint: string | null };

/** Whether an error body is a rejected import's (rows at fault, listed as data). */
function isImportRejected(body: unknown): body is LabelImportRejected {
  const problems = (body as { problems?: unknown } | null)?.problems;
  return Array.isArray(problems) && problems.length > 0;
}

/**
 * A failed import for people: the rows the server listed (its 400 `problems`), with "…and n more" when it
 * listed only the first ones and the classes of `labelSet` as a hint; any other error is one sentence saying
 * that nothing was imported.
 */
export function importFailure(error: unknown, labelSet: string): ImportFailure {
  const body = error instanceof ApiError ? error.body : null;
  if (isImportRejected(body)) {
    const problems = body.problems.map((problem) => problem.message);
    const more = body.problem_count - body.problems.length;
    if (more > 0) problems.push(`…and ${more} more ${more === 1 ? "problem" : "problems"}.`);
    const hint = body.classes.length > 0 ? `Classes of '${labelSet}': ${body.classes.join(", ")}.` : null;
    return { summary: `${NOTHING_IMPORTED}: the CSV has problems.`, problems, hint };
  }
  const message = errorMessage(error).trim();
  if (message.startsWith(NOTHING_IMPORTED)) return { summary: message, problems: [], hint: null };
  return { summary: `${NOTHING_IMPORTED}. ${message}`, problems: [], hint: null };
}

/** Why a picked file cannot be imported, before it is sent (null when it may be). */
export function checkImportFile(file: { name: string; size: number }): string | null {
  if (file.size === 0) return `${file.name} is empty: nothing to import.`;
  if (file.size > MAX_IMPORT_BYTES) {
    return `${file.name} is too large: ${(file.size / 1024 / 1024).toFixed(1)} MB (at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB); split it into smaller files.`;
  }
  if (!/\.(csv|txt)$/i.test(file.name)) return `${file.name} is not a CSV file: pick a .csv file.`;
  return null;
}

/** The label history export: every label set, or one. */
export function exportPath(labelSet?: string): string {
  const query = labelSet ? `?label_set=${encodeURIComponent(labelSet)}` : "";
  return `/api/v1/labels/export${query}`;
}

/** "label-history.csv" or "label-history-reactive.csv". */
export function exportFileName(labelSet?: string): string {
  const safe = (labelSet ?? "").replace(/[^\w.-]+/g, "_");
  return safe ? `label-history-${safe}.csv` : "label-history.csv";
}
