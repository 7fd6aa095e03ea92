import { type FormEvent, useState } from "react";
import { useAddMember, useMembers, useRemoveMember } from "../../shared/api/caseQueries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";

/** Who may see and review this case: list, add by username, remove (not the owner). */
export function MembersSection({ projectId }: { projectId: string }) {
  const members = useMembers(projectId);
  const add = useAddMember(projectId);
  const remove = useRemoveMember(projectId);
  const [username, setUsername] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    const name = username.trim();
    if (!name) return;
    remove.reset();
    add.mutate(name, { onSuccess: () => setUsername("") });
  }

  return (
    <section aria-labelledby="members-title" className="mt-3">
      <h3 className="h6" id="members-title">
        Members
      </h3>
      {members.isError && <ErrorAlert error={members.error} onRetry={() => members.refetch()} />}
      <ul className="list-inline mb-2" data-testid="members">
        {members.data?.map((member) => (
          <li key={member.username} className="list-inline-item border rounded px-2 py-1 mb-1">
            {member.username} <span className="small text-secondary">({member.role})</span>
            {member.is_owner ? (
              <span className="badge text-bg-light border ms-1">owner</span>
            ) : (
              <button
                type="button"
                className="btn btn-link btn-sm text-danger p-0 ms-2"
                aria-label={`Remove ${member.username}`}
                disabled={remove.isPending}
                onClick={() => {
                  add.reset();
                  remove.mutate(member.username);
                }}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="d-flex flex-wrap gap-2 align-items-start" onSubmit={submit}>
        <label htmlFor="member-username" className="visually-hidden">
          Username to add
        </label>
        <input
          id="member-username"
          className="form-control form-control-sm w-auto"
          placeholder="Username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <button
          type="submit"
          className="btn btn-outline-primary btn-sm"
          disabled={add.isPending || !username.trim()}
        >
          Add member
        </button>
      </form>
      {add.isError && (
        <div className="mt-2">
          <ErrorAlert error={add.error} />
        </div>
      )}
      {remove.isError && (
        <div className="mt-2">
          <ErrorAlert error={remove.error} />
        </div>
      )}
    </section>
  );
}
