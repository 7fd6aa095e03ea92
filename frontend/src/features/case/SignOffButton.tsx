import { useState } from "react";
import { useSignOff } from "../../shared/api/caseQueries";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert } from "../../shared/components/ErrorAlert";

/** Signs the case off after asking: it locks the labels until an admin reopens the case. */
export function SignOffButton({ projectId }: { projectId: string }) {
  const signOff = useSignOff(projectId);
  const [asking, setAsking] = useState(false);
  const [comment, setComment] = useState("");
  return (
    <>
      <button type="button" className="btn btn-success btn-sm" onClick={() => setAsking(true)}>
        Sign off
      </button>
      {asking && (
        <ConfirmDialog
          title="Sign off this case?"
          confirmLabel="Sign off the case"
          busy={signOff.isPending}
          onCancel={() => {
            setAsking(false);
            signOff.reset();
          }}
          onConfirm={() => signOff.mutate(comment.trim(), { onSuccess: () => setAsking(false) })}
        >
          <p>Signing off locks the labels: a later change needs a reason and is written to the audit log.</p>
          <label htmlFor="sign-off-comment" className="form-label">
            Comment (optional)
          </label>
          <input
            id="sign-off-comment"
            className="form-control mb-2"
            value={comment}
            onChange={(event) => setComment(event.target.value)}
          />
          {signOff.isError && <ErrorAlert error={signOff.error} />}
        </ConfirmDialog>
      )}
    </>
  );
}
