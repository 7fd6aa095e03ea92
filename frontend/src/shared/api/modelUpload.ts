import { postWithProgress } from "./postWithProgress";
import type { ModelVersion } from "./types";

/** POSTs a model bundle as multipart `file` (and `activate`) to /model-versions, with progress. */
export function uploadModelVersion(
  file: File,
  activate: boolean,
  onProgress: (fraction: number) => void,
): Promise<ModelVersion> {
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("activate", activate ? "true" : "false");
  return postWithProgress<ModelVersion>(
    "/api/v1/model-versions",
    form,
    onProgress,
    "Too large: the server refused this file. Check that it is a HemoSight bundle (.hsb).",
  );
}
