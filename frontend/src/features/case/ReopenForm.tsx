import { type FormEvent, useState } from "react";
import { useReopen } from "../../shared/api/caseQueries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";

/** An admin reopens a signed-off case, giving a reason (3–500 characters) for the audit log. */
export function ReopenForm({ projectId }: { projectId: string }) {
  const reopen = useReopen(projectId);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");

  if (!open) {
    return (
      <button type="button" className="btn btn-outline-secondary btn-sm" onClick={() => setOpen(true)}>
        Reopen
      </button>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    reopen.mutate(reason.trim(), {
      onSuccess: () => {
        setOpen(false);
        setReason("");
      },
    });
  }

  return (
    <form className="d-flex flex-wrap align-items-start gap-2" onSubmit={submit}>
      <label htmlFor="reopen-reason" className="visually-hidden">
        Reason for reopening
      </label>
      <input
        id="reopen-reason"
        className="form-control form-control-sm w-auto"
        placeholder="Reason for reopening"
        minLength={3}
        maxLength={500}
        required
        value={reason}
        onChange={(event) => setReason(event.target.value)}
      />
      <button type="submit" className="btn btn-outline-danger btn-sm" disabled={reopen.isPending}>
        Reopen case
      </button>
      <button type="button" className="btn btn-link btn-sm" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {reopen.isError && <ErrorAlert error={reopen.error} />}
    </form>
  );
}
