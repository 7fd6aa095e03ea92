import { useState } from "react";
import { useDeleteUser, useUsers } from "../../shared/api/queries";
import type { User } from "../../shared/api/types";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { useAuth } from "../auth/AuthContext";
import { AccountRow } from "./AccountRow";
import { CreateAccountForm } from "./CreateAccountForm";

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
