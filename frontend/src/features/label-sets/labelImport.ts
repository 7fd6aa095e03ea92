// Pure helpers of the label import / export (admin), tested without a browser.
import { errorMessage } from "../../shared/api/errors";
import { MAX_IMPORT_BYTES } from "../../shared/api/labelImport";
import type { LabelImport } from "../../shared/api/types";

const NOTHING_IMPORTED = "Nothing was imported";

/** "Imported 3 labels, 1 unchanged." */
export function importResultWords(result: LabelImport): string {
  const labels = result.imported === 1 ? "label" : "labels";
  return `Imported ${result.imported} ${labels}, ${result.unchanged} unchanged.`;
}

/** A failed import in words: one summary sentence, the problems the server named (one per row), a hint. */
export type ImportFailure = { summary: string; problems: string[]; hint: string | null };

/**
 * Splits the server's 400 ("Nothing was imported: line 2: there is no image x; line 3: 'y' is not a class
 * of 'z' (and 2 more). Classes of 'z': a, b.") into a list a person can read; any other error is one
 * sentence saying that nothing was imported.
 */
export function importFailure(error: unknown): ImportFailure {
  const message = errorMessage(error).trim();
  const rows = message.match(/^Nothing was imported: (line \d+: .*)$/s);
  if (rows) {
    let rest = rows[1];
    let hint: string | null = null;
    const classesAt = rest.lastIndexOf(". Classes of ");
    if (classesAt >= 0) {
      hint = rest.slice(classesAt + 2);
      rest = rest.slice(0, classesAt);
    }
    const more = rest.match(/ \(and (\d+) more\)$/);
    if (more) rest = rest.slice(0, more.index);
    const problems = rest.split(/; (?=line \d+: )/).map((problem) => capitalise(problem.trim()));
    if (more) problems.push(`…and ${more[1]} more ${Number(more[1]) === 1 ? "problem" : "problems"}.`);
    return { summary: `${NOTHING_IMPORTED}: the CSV has problems.`, problems, hint };
  }
  if (message.startsWith(NOTHING_IMPORTED)) return { summary: message, problems: [], hint: null };
  return { summary: `${NOTHING_IMPORTED}. ${message}`, problems: [], hint: null };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
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
