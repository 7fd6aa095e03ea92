import { useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useUpdateUser } from "../../shared/api/queries";
import { ROLES, type Role, type User } from "../../shared/api/types";

export function AccountRow({
  user,
  isSelf,
  onDelete,
}: {
  user: User;
  isSelf: boolean;
  onDelete: () => void;
}) {
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
