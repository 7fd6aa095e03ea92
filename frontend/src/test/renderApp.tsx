import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { AppProviders } from "../app/AppProviders";
import { AppRoutes } from "../app/AppRoutes";
import { createQueryClient } from "../app/queryClient";
import type { SendChunk } from "../features/uploads/uploadQueue";

export function renderApp(path: string, send?: SendChunk) {
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  return render(
    <AppProviders queryClient={queryClient} send={send}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </AppProviders>,
  );
}
