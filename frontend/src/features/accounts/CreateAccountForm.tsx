import { type FormEvent, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useCreateUser } from "../../shared/api/queries";
import { ROLES, type Role } from "../../shared/api/types";

export function CreateAccountForm() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("pathologist");
  const create = useCreateUser();

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { username: username.trim(), password, role },
      {
        onSuccess: () => {
          setUsername("");
          setPassword("");
        },
      },
    );
  }

  return (
    <form className="card card-body mb-4" onSubmit={submit} aria-labelledby="new-account-title">
      <h2 className="h6" id="new-account-title">
        New account
      </h2>
      <div className="row g-2 align-items-end">
        <div className="col-sm-4">
          <label htmlFor="new-username" className="form-label small">
            Username
          </label>
          <input
            id="new-username"
            className="form-control"
            required
            autoComplete="off"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        </div>
        <div className="col-sm-3">
          <label htmlFor="new-password" className="form-label small">
            Password
          </label>
          <input
            id="new-password"
            type="password"
            className="form-control"
            required
            minLength={8}
            aria-describedby="new-password-help"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <div className="col-sm-3">
          <label htmlFor="new-role" className="form-label small">
            Role
          </label>
          <select
            id="new-role"
            className="form-select"
            value={role}
            onChange={(event) => setRole(event.target.value as Role)}
          >
            {ROLES.map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
        </div>
        <div className="col-sm-2">
          <button
            type="submit"
            className="btn btn-primary w-100"
            disabled={!username.trim() || !password || create.isPending}
          >
            Create
          </button>
        </div>
      </div>
      <div id="new-password-help" className="form-text">
        Passwords need at least 8 characters; usernames letters, digits and . _ @ -.
      </div>
      {create.isError && <div className="text-danger small mt-2">{errorMessage(create.error)}</div>}
      {create.isSuccess && (
        <div className="text-success small mt-2">Account {create.data.username} created.</div>
      )}
    </form>
  );
}
