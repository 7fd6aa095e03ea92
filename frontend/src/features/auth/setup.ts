import { useEffect, useState } from "react";
import { api, unwrap } from "../../shared/api/client";
import { session } from "../../shared/api/session";

export type SetupStatus = { needs_setup: boolean; local: boolean };

/**
 * Whether the first administrator still has to be created, and whether this browser may do it (same machine).
 * A plain effect rather than a cached query: signing out clears the query cache while this page mounts, and
 * a failed answer simply means "show the usual sign-in form".
 */
export function useSetupStatus(enabled: boolean): SetupStatus | null {
  const [status, setStatus] = useState<SetupStatus | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    unwrap(api.GET("/api/v1/setup")).then(
      (answer) => live && setStatus(answer),
      () => live && setStatus(null),
    );
    return () => {
      live = false;
    };
  }, [enabled]);
  return status;
}

/** Creates the first administrator and starts their session: the API answers with a token, as sign-in does. */
export async function createFirstAdmin(username: string, password: string): Promise<void> {
  const answer = await unwrap(api.POST("/api/v1/setup", { body: { username, password } }));
  session.start({ token: answer.access_token, user: answer.user });
}
