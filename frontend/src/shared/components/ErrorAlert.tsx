import { ApiError, errorMessage } from "../api/errors";

/** An API error in words; "Try again" only where trying again can help (not for a 4xx). */
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const retryable = !(error instanceof ApiError && error.status < 500);
  return (
    <div className="alert alert-danger d-flex align-items-center justify-content-between gap-3" role="alert">
      <span>{errorMessage(error)}</span>
      {onRetry && retryable && (
        <button type="button" className="btn btn-sm btn-outline-danger" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
