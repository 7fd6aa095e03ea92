import { Link, NavLink, Outlet, useLocation } from "react-router";
import { useAuth } from "../features/auth/AuthContext";
import { UploadIndicator } from "../features/uploads/UploadIndicator";
import { ErrorBoundary } from "../shared/components/ErrorBoundary";
import { ConnectionBanner } from "./ConnectionBanner";

export function Layout() {
  const { user, signOut } = useAuth();
  const location = useLocation();
  return (
    <div className="d-flex flex-column min-vh-100">
      <a href="#main" className="visually-hidden-focusable btn btn-light position-absolute m-2">
        Skip to content
      </a>
      <nav className="navbar navbar-expand navbar-dark app-navbar" aria-label="Main">
        <div className="container-xl">
          <Link className="navbar-brand fw-semibold" to="/projects">
            <span className="brand-mark" aria-hidden="true" /> HemoSight
          </Link>
          {user && (
            <>
              <ul className="navbar-nav me-auto">
                <li className="nav-item">
                  <NavLink className="nav-link" to="/projects">
                    Projects
                  </NavLink>
                </li>
                <li className="nav-item">
                  <NavLink className="nav-link" to="/label-sets">
                    Label sets
                  </NavLink>
                </li>
                {user.role === "admin" && (
                  <>
                    <li className="nav-item">
                      <NavLink className="nav-link" to="/models">
                        Models
                      </NavLink>
                    </li>
                    <li className="nav-item">
                      <NavLink className="nav-link" to="/admin/accounts">
                        Accounts
                      </NavLink>
                    </li>
                  </>
                )}
              </ul>
              <div className="d-flex align-items-center gap-3">
                <UploadIndicator />
                <span className="navbar-text small d-none d-md-inline">
                  {user.username} <span className="opacity-75">({user.role})</span>
                </span>
                <button type="button" className="btn btn-sm btn-light" onClick={signOut}>
                  Sign out
                </button>
              </div>
            </>
          )}
        </div>
      </nav>
      <main id="main" className="container-xl flex-grow-1 py-4">
        <ConnectionBanner />
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="border-top py-3 small text-secondary">
        <div className="container-xl d-flex flex-wrap justify-content-between gap-2">
          <span>
            HemoSight — decision support for white blood cell review; a pathologist confirms every result.
          </span>
          <span>
            Default model trained on the PBC dataset (Acevedo et al., 2020, CC BY 4.0); attribute labels from
            WBCAtt (Tsutsui et al., 2023, MIT licence)
          </span>
        </div>
      </footer>
    </div>
  );
}
