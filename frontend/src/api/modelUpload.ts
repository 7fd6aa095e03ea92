import { session } from "../auth/session";
import { handleUnauthorized } from "./client";
import { ApiError, detailMessage } from "./errors";
import type { ModelVersion } from "./types";

/**
 * POSTs a model bundle as multipart `file` (and `activate`) to /model-versions. XMLHttpRequest
 * rather than fetch, because only it reports upload progress (bundles are tens of megabytes).
 */
export function uploadModelVersion(
  file: File,
  activate: boolean,
  onProgress: (fraction: number) => void,
): Promise<ModelVersion> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("activate", activate ? "true" : "false");
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/model-versions");
    const token = session.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new TypeError("network error"));
    request.onload = async () => {
      if (request.status >= 200 && request.status < 300) {
        resolve(request.response as ModelVersion);
        return;
      }
      const body: unknown = request.response;
      await handleUnauthorized(new Response(JSON.stringify(body), { status: request.status }));
      const message =
        request.status === 413
          ? "Too large: the server refused this file. Check that it is a HemoSight bundle (.hsb)."
          : detailMessage(body, request.status);
      reject(new ApiError(request.status, message));
    };
    request.send(form);
  });
}
