import { type FormEvent, useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { session } from "../../shared/api/session";
import { TextField } from "../../shared/components/TextField";
import { useAuth } from "./AuthContext";
import { FirstAdminForm } from "./FirstAdminForm";
import { useSetupStatus } from "./setup";

export function LoginPage() {
  const { user, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/projects";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ended = session.endedMessage();
  const setup = useSetupStatus(!user);

  if (user) return <Navigate to={from} replace />;
  const firstRun = setup?.needs_setup === true;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
      navigate(from, { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  return (
    <div className="row justify-content-center">
      <div className="col-sm-10 col-md-7 col-lg-5">
        <div className="card shadow-sm mt-4">
          <div className="card-body p-4">
            {firstRun && setup?.local && <FirstAdminForm />}
            {firstRun && !setup?.local && (
              <div className="alert alert-info" role="status">
                No account exists yet. Create the first administrator on the server with{" "}
                <code>hemosight create-admin</code>, then sign in here.
              </div>
            )}
            {!(firstRun && setup?.local) && (
              <>
                <h1 className="h4 mb-1">Sign in</h1>
                <p className="text-secondary mb-4">
                  Classify white blood cells and review them against reference cells.
                </p>
                {ended && !error && (
                  <div className="alert alert-warning" role="alert">
                    {ended}
                  </div>
                )}
                {error && (
                  <div className="alert alert-danger" role="alert">
                    {error}
                  </div>
                )}
                <form onSubmit={submit} noValidate={false}>
                  <TextField
                    id="username"
                    label="Username"
                    autoComplete="username"
                    value={username}
                    onChange={setUsername}
                  />
                  <TextField
                    id="password"
                    label="Password"
                    type="password"
                    autoComplete="current-password"
                    value={password}
                    onChange={setPassword}
                    spacing="mb-4"
                  />
                  <button type="submit" className="btn btn-primary w-100" disabled={busy}>
                    {busy && <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />}
                    Sign in
                  </button>
                </form>
              </>
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
