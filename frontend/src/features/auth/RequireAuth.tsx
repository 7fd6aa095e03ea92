import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import type { User } from "../../shared/api/types";
import { useAuth } from "./AuthContext";

/** Sends visitors without a session to the sign-in page, remembering where they were going. */
export function RequireAuth({
  children,
  requiredRole,
}: {
  children: ReactNode;
  requiredRole?: User["role"];
}) {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (requiredRole && user.role !== requiredRole) {
    return (
      <div className="alert alert-warning" role="alert">
        This page is for {requiredRole}s only. Ask an administrator if you need access.
      </div>
    );
  }
  return <>{children}</>;
}
