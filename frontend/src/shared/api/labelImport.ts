import { postWithProgress } from "./postWithProgress";
import type { LabelImport } from "./types";

/** The server's limits for one label import (docs/API.md "Import / export (admin)"). */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;

/** POSTs a CSV of `image_id,label` rows as multipart `file` to a label set's import, with progress. */
export function importLabels(
  labelSet: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<LabelImport> {
  const form = new FormData();
  form.append("file", file, file.name);
  return postWithProgress<LabelImport>(
    `/api/v1/label-sets/${encodeURIComponent(labelSet)}/labels/import`,
    form,
    onProgress,
    `Too large: the server refused this CSV (at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB and ${MAX_IMPORT_ROWS.toLocaleString("en")} rows); split it into smaller files.`,
  );
}
