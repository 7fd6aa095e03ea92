import { type FormEvent, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useCreateUser, useDeleteUser, useUpdateUser, useUsers } from "../../shared/api/queries";
import { ROLES, type Role, type User } from "../../shared/api/types";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";
import { useAuth } from "../auth/AuthContext";

function CreateAccountForm() {
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

function AccountRow({ user, isSelf, onDelete }: { user: User; isSelf: boolean; onDelete: () => void }) {
  const update = useUpdateUser();
  const [password, setPassword] = useState("");
  const [changing, setChanging] = useState(false);

  return (
    <tr>
      <td className="fw-semibold">
        {user.username}
        {isSelf && <span className="badge text-bg-light border ms-2">you</span>}
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
          Role of {user.username}
        </label>
        <select
          id={`role-${user.id}`}
          className="form-select form-select-sm"
          value={user.role}
          disabled={isSelf || update.isPending}
          onChange={(event) => update.mutate({ userId: user.id, role: event.target.value as Role })}
        >
          {ROLES.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      </td>
      <td>
        {changing ? (
          <form
            className="d-flex gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              update.mutate(
                { userId: user.id, password },
                {
                  onSuccess: () => {
                    setPassword("");
                    setChanging(false);
                  },
                },
              );
            }}
          >
            <label className="visually-hidden" htmlFor={`password-${user.id}`}>
              New password for {user.username}
            </label>
            <input
              id={`password-${user.id}`}
              type="password"
              className="form-control form-control-sm"
              autoComplete="new-password"
              required
              minLength={8}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <button
              type="submit"
              className="btn btn-sm btn-primary"
              disabled={!password}
              title={`Signs ${user.username} out of every session; they sign in again with the new password.`}
            >
              Save
            </button>
            <button
              type="button"
              className="btn btn-sm btn-outline-secondary"
              onClick={() => setChanging(false)}
            >
              Cancel
            </button>
          </form>
        ) : (
          <button
            type="button"
            className="btn btn-sm btn-outline-secondary"
            onClick={() => setChanging(true)}
          >
            Set password
          </button>
        )}
        {update.isError && <div className="text-danger small">{errorMessage(update.error)}</div>}
      </td>
      <td className="text-end">
        <button
          type="button"
          className="btn btn-sm btn-outline-danger"
          disabled={isSelf}
          onClick={onDelete}
          aria-label={`Delete account ${user.username}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

export function AccountsPage() {
  const { user: me } = useAuth();
  const users = useUsers();
  const remove = useDeleteUser();
  const [toDelete, setToDelete] = useState<User | null>(null);

  return (
    <>
      <h1 className="h3 mb-3">Accounts</h1>
      <p className="text-secondary">
        Pathologists upload and review cells; reviewers check results; admins also manage accounts.
      </p>
      <CreateAccountForm />
      {users.isPending && <Loading what="accounts" />}
      {users.isError && <ErrorAlert error={users.error} onRetry={() => users.refetch()} />}
      {remove.isError && <ErrorAlert error={remove.error} />}
      {users.data && (
        <div className="table-responsive">
          <table className="table align-middle">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Password</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <AccountRow
                  key={user.id}
                  user={user}
                  isSelf={user.id === me?.id}
                  onDelete={() => setToDelete(user)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {toDelete && (
        <ConfirmDialog
          title="Delete account?"
          confirmLabel="Delete account"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => remove.mutate(toDelete.id, { onSettled: () => setToDelete(null) })}
        >
          <p className="mb-0">
            <strong>{toDelete.username}</strong> will no longer be able to sign in.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
