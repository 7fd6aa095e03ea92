import { postWithProgress } from "../../shared/api/postWithProgress";
import type { UploadReport } from "../../shared/api/types";
import type { SendChunk } from "./uploadQueue";

/** POSTs files as multipart `files` to /projects/{id}/images, with progress. */
export const sendChunk: SendChunk = async (projectId, files, onProgress) => {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const report = await postWithProgress<UploadReport>(
    `/api/v1/projects/${encodeURIComponent(projectId)}/images`,
    form,
    onProgress,
    "Too large: the server refused this batch. Try fewer or smaller files.",
  );
  return report.files;
};
