import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { isOutage, type ServerConnection, serverConnection } from "../shared/api/connection";
import { ApiError } from "../shared/api/errors";

/**
 * The app's cache. A failure that looks like an outage makes `connection` check the server; once it answers
 * again every query is refetched, so pages that showed an error recover by themselves.
 */
export function createQueryClient(connection: ServerConnection = serverConnection): QueryClient {
  const onError = (error: unknown) => {
    if (isOutage(error)) connection.suspect();
  };
  const client = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        // A 4xx will not change by asking again; network hiccups and 5xx might.
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
    },
  });
  connection.onRecovered(() => void client.invalidateQueries());
  return client;
}
