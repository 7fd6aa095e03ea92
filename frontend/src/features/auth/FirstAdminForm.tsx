import { type FormEvent, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { createFirstAdmin } from "./setup";

/** The first-run form: no account exists yet and the browser runs on the server's machine. */
export function FirstAdminForm() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== repeat) {
      setError("The two passwords differ; type the same password twice.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await createFirstAdmin(username.trim(), password);
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="first-admin-title">
      <h1 id="first-admin-title" className="h4 mb-1">
        Create the first administrator
      </h1>
      <p className="text-secondary mb-4">
        No account exists yet. The administrator can then add the other accounts.
      </p>
      {error && (
        <div className="alert alert-danger" role="alert">
          {error}
        </div>
      )}
      <form onSubmit={submit}>
        <div className="mb-3">
          <label htmlFor="setup-username" className="form-label">
            Username
          </label>
          <input
            id="setup-username"
            className="form-control"
            autoComplete="username"
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        </div>
        <div className="mb-3">
          <label htmlFor="setup-password" className="form-label">
            Password
          </label>
          <input
            id="setup-password"
            type="password"
            className="form-control"
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <div className="mb-4">
          <label htmlFor="setup-repeat" className="form-label">
            Repeat the password
          </label>
          <input
            id="setup-repeat"
            type="password"
            className="form-control"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(event) => setRepeat(event.target.value)}
          />
        </div>
        <button type="submit" className="btn btn-primary w-100" disabled={busy}>
          {busy && <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />}
          Create administrator and sign in
        </button>
      </form>
    </section>
  );
}
