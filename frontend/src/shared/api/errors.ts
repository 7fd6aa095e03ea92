/**
 * An API answer that was not a success, with the words the backend chose for the user, and the body as sent
 * (some errors carry data beside `detail`, e.g. the rows of a rejected label import).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, message: string, body: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

type ValidationItem = { loc?: unknown[]; msg?: string };

/** Turns a FastAPI error body (`{detail: string}` or a validation list) into one readable sentence. */
export function detailMessage(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return (detail as ValidationItem[])
      .map((item) => {
        const field = item.loc?.filter((part) => part !== "body" && part !== "query").join(".");
        return field ? `${field}: ${item.msg}` : (item.msg ?? "invalid value");
      })
      .join("; ");
  }
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  if (status === 404) return "Not found: it may have been deleted.";
  if (status === 403) return "Your account is not allowed to do this.";
  return `The request failed (HTTP ${status}).`;
}

/** A message for any error thrown while talking to the backend. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError)
    return "Cannot reach the HemoSight server. Check your connection and try again.";
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
