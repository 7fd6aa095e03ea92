import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { AuthProvider } from "../features/auth/AuthContext";
import { UploadProvider } from "../features/uploads/UploadContext";
import type { SendChunk } from "../features/uploads/uploadQueue";

/** Everything above the router: caching, the upload queue and the session. */
export function AppProviders({
  children,
  queryClient,
  send,
}: {
  children: ReactNode;
  queryClient: QueryClient;
  send?: SendChunk;
}) {
  return (
    <QueryClientProvider client={queryClient}>
      <UploadProvider send={send}>
        <AuthProvider>{children}</AuthProvider>
      </UploadProvider>
    </QueryClientProvider>
  );
}
