import type { ImportFailure } from "./labelImport";

export function ImportFailureMessage({ failure }: { failure: ImportFailure }) {
  return (
    <div className="alert alert-danger py-2 mt-2 mb-0 small" role="alert" data-testid="import-error">
      <div>{failure.summary}</div>
      {failure.problems.length > 0 && (
        <ul className="mb-0 mt-1">
          {failure.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {failure.hint && <div className="mt-1">{failure.hint}</div>}
    </div>
  );
}
