import { handleUnauthorized } from "./client";
import { ApiError, detailMessage } from "./errors";
import { session } from "./session";

/**
 * POSTs a multipart form with the session's token and reports upload progress. XMLHttpRequest
 * rather than fetch, because only it reports upload progress (image batches, model bundles).
 * A 413 is explained with `tooLargeMessage`; other errors carry the server's words.
 */
export function postWithProgress<T>(
  url: string,
  form: FormData,
  onProgress: (fraction: number) => void,
  tooLargeMessage: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    const token = session.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new TypeError("network error"));
    request.onload = async () => {
      if (request.status >= 200 && request.status < 300) {
        resolve(request.response as T);
        return;
      }
      const body: unknown = request.response;
      await handleUnauthorized(new Response(JSON.stringify(body), { status: request.status }));
      const message = request.status === 413 ? tooLargeMessage : detailMessage(body, request.status);
      reject(new ApiError(request.status, message, body));
    };
    request.send(form);
  });
}
