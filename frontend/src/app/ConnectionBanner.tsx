import { useSyncExternalStore } from "react";
import { serverConnection } from "../shared/api/connection";

/** A calm notice while the server does not answer; it goes away by itself when the server is back. */
export function ConnectionBanner() {
  const state = useSyncExternalStore(serverConnection.subscribe, serverConnection.getSnapshot);
  return (
    <div aria-live="polite" aria-atomic="true">
      {!state.reachable && (
        <div className="alert alert-warning d-flex align-items-center gap-2 mb-3" data-testid="server-banner">
          <span className="spinner-border spinner-border-sm flex-none" aria-hidden="true" />
          <span>
            <strong>Server unreachable — retrying.</strong> Nothing is lost: queued uploads wait and resume,
            and this page refreshes by itself once the HemoSight server answers again.
          </span>
        </div>
      )}
    </div>
  );
}
