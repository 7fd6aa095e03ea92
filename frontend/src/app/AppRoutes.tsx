import { Navigate, Outlet, Route, Routes } from "react-router";
import { AccountsPage } from "../features/accounts/AccountsPage";
import { LoginPage } from "../features/auth/LoginPage";
import { RequireAuth } from "../features/auth/RequireAuth";
import { CaseReportPage } from "../features/case/CaseReportPage";
import { CellDetailsPage } from "../features/cells/CellDetailsPage";
import { CellsPage } from "../features/cells/CellsPage";
import { LabDifferentialPage } from "../features/differential/LabDifferentialPage";
import { LabelSetsPage } from "../features/label-sets/LabelSetsPage";
import { LabellingQueuePage } from "../features/labelling/LabellingQueuePage";
import { LandscapePage } from "../features/landscape/LandscapePage";
import { ModelsPage } from "../features/models/ModelsPage";
import { ProjectLayout } from "../features/projects/ProjectLayout";
import { ProjectsPage } from "../features/projects/ProjectsPage";
import { Layout } from "./Layout";
import { NotFoundPage } from "./NotFoundPage";

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
            <Route path="differential-count" element={<LabDifferentialPage />} />
            <Route path="queue" element={<LabellingQueuePage />} />
          </Route>
          {/* Outside the project layout: the printed report is the page, without tabs and case panel. */}
          <Route path="projects/:projectId/report" element={<CaseReportPage />} />
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
