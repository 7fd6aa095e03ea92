import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { BrowserRouter, Navigate, Outlet, Route, Routes } from "react-router";
import { AccountsPage } from "../features/accounts/AccountsPage";
import { AuthProvider, RequireAuth } from "../features/auth/AuthContext";
import { LoginPage } from "../features/auth/LoginPage";
import { CellDetailsPage } from "../features/cells/CellDetailsPage";
import { CellsPage } from "../features/cells/CellsPage";
import { DifferentialCountPage } from "../features/differential/DifferentialCountPage";
import { LabelSetsPage } from "../features/label-sets/LabelSetsPage";
import { LabellingQueuePage } from "../features/labelling/LabellingQueuePage";
import { LandscapePage } from "../features/landscape/LandscapePage";
import { ModelsPage } from "../features/models/ModelsPage";
import { ProjectLayout } from "../features/projects/ProjectLayout";
import { ProjectsPage } from "../features/projects/ProjectsPage";
import { UploadProvider } from "../features/uploads/UploadContext";
import type { SendChunk } from "../features/uploads/uploadQueue";
import { ApiError } from "../shared/api/errors";
import { Layout } from "./Layout";
import { NotFoundPage } from "./NotFoundPage";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not change by asking again; network hiccups and 5xx might.
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
    },
  });
}

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

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireAuth>
              <Outlet />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/projects" replace />} />
          <Route path="projects" element={<ProjectsPage />} />
          <Route path="projects/:projectId" element={<ProjectLayout />}>
            <Route index element={<Navigate to="cells" replace />} />
            <Route path="cells" element={<CellsPage />} />
            <Route path="cells/:imageId" element={<CellDetailsPage />} />
            <Route path="landscape" element={<LandscapePage />} />
            <Route path="differential-count" element={<DifferentialCountPage />} />
            <Route path="queue" element={<LabellingQueuePage />} />
          </Route>
          <Route path="label-sets" element={<LabelSetsPage />} />
          <Route
            path="admin/accounts"
            element={
              <RequireAuth requiredRole="admin">
                <AccountsPage />
              </RequireAuth>
            }
          />
          <Route
            path="models"
            element={
              <RequireAuth requiredRole="admin">
                <ModelsPage />
              </RequireAuth>
            }
          />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

export default function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <AppProviders queryClient={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AppProviders>
  );
}
