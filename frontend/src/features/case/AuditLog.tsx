import { Link } from "react-router";
import { useAuditLog } from "../../shared/api/caseQueries";
import { errorMessage } from "../../shared/api/errors";
import { useLabClassName } from "../../shared/classNames";
import { describeAudit } from "./auditLog";

/**
 * The case's audit log, newest first: sign-offs, reopenings and each label change made after sign-off, with
 * who, when and the reason given. Folded; nothing is shown before the first sign-off.
 */
export function AuditLog({ projectId }: { projectId: string }) {
  const log = useAuditLog(projectId);
  const nameOf = useLabClassName();
  if (log.isError) {
    return (
      <p className="small text-danger mb-0" role="alert">
        The audit log could not be read: {errorMessage(log.error)}
      </p>
    );
  }
  if (!log.data || log.data.length === 0) return null;
  const entries = [...log.data].reverse();
  const changes = entries.filter((entry) => entry.image_id).length;
  return (
    <details data-testid="audit-log">
      <summary className="small">
        Audit log{" "}
        <span className="text-secondary">
          ({entries.length} {entries.length === 1 ? "entry" : "entries"}, {changes} label{" "}
          {changes === 1 ? "change" : "changes"} after sign-off)
        </span>
      </summary>
      <div className="table-responsive mt-2">
        <table className="table table-sm small align-middle mb-0">
          <caption className="visually-hidden">Audit log of the case, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} data-testid="audit-entry">
                <td className="text-nowrap">{new Date(entry.created_at).toLocaleString()}</td>
                <td>{entry.username}</td>
                <td>
                  {entry.image_id ? (
                    <Link to={`/projects/${projectId}/cells/${entry.image_id}`}>
                      {describeAudit(entry, nameOf)}
                    </Link>
                  ) : (
                    describeAudit(entry, nameOf)
                  )}
                </td>
                <td>{entry.reason ?? <span className="text-secondary">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
