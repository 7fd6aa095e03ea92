import { type FormEvent, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { TextField } from "../../shared/components/TextField";
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
        <TextField
          id="setup-username"
          label="Username"
          autoComplete="username"
          value={username}
          onChange={setUsername}
        />
        <TextField
          id="setup-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
        />
        <TextField
          id="setup-repeat"
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          spacing="mb-4"
        />
        <button type="submit" className="btn btn-primary w-100" disabled={busy}>
          {busy && <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />}
          Create administrator and sign in
        </button>
      </form>
    </section>
  );
}
