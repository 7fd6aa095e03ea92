import { handleUnauthorized } from "../api/client";
import { ApiError, detailMessage } from "../api/errors";
import type { UploadOutcome, UploadReport } from "../api/types";
import { session } from "../auth/session";
import type { SendChunk } from "./uploadQueue";

/**
 * POSTs files as multipart `files` to /projects/{id}/images. XMLHttpRequest rather than fetch,
 * because only it reports upload progress.
 */
export const sendChunk: SendChunk = (projectId, files, onProgress) =>
  new Promise<UploadOutcome[]>((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", `/api/v1/projects/${encodeURIComponent(projectId)}/images`);
    const token = session.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new TypeError("network error"));
    request.onload = async () => {
      if (request.status >= 200 && request.status < 300) {
        resolve((request.response as UploadReport).files);
        return;
      }
      const body: unknown = request.response;
      await handleUnauthorized(new Response(JSON.stringify(body), { status: request.status }));
      const message =
        request.status === 413
          ? "Too large: the server refused this batch. Try fewer or smaller files."
          : detailMessage(body, request.status);
      reject(new ApiError(request.status, message));
    };
    request.send(form);
  });
