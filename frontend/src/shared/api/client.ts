import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, detailMessage } from "./errors";
import type { paths } from "./schema.d";
import { EXPIRED_MESSAGE, session } from "./session";

const LOGIN_PATH = "/api/v1/auth/login";

/** Ends the session when the backend says the token is no longer valid. */
export async function handleUnauthorized(response: Response): Promise<void> {
  if (response.status !== 401 || !session.token()) return;
  let message = EXPIRED_MESSAGE;
  try {
    message = detailMessage(await response.clone().json(), 401);
  } catch {
    // Not JSON: keep the default words.
  }
  session.end(message);
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ request, response }) {
    if (!new URL(request.url).pathname.endsWith(LOGIN_PATH)) await handleUnauthorized(response);
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  // Looked up at call time so tests can stub fetch.
  fetch: (request) => globalThis.fetch(request),
});
api.use(auth);

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful answer, or an ApiError with the backend's words. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, detailMessage(error, response.status), error);
  return data as T;
}

/** fetch() with the session's token, for bytes (images, CSV) that the typed client does not model. */
export async function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = session.token();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await globalThis.fetch(new URL(url, globalThis.location.origin), { ...init, headers });
  await handleUnauthorized(response);
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON.
    }
    throw new ApiError(response.status, detailMessage(body, response.status), body);
  }
  return response;
}
