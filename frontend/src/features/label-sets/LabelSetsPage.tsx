import { type ChangeEvent, type FormEvent, type ReactNode, useMemo, useState } from "react";
import { download } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import {
  useAddClasses,
  useCreateLabelSet,
  useImportLabels,
  useLabelSets,
  useLearningCurve,
} from "../../shared/api/queries";
import type { LabelSet } from "../../shared/api/types";
import { learningCurveSpec } from "../../shared/charts/specs";
import { className } from "../../shared/classes";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";
import { VegaChart } from "../../shared/components/VegaChart";
import { useAuth } from "../auth/AuthContext";
import { labelSetName, labelSetStatusWords, parseClasses } from "../labelling/labelling";
import {
  checkImportFile,
  exportFileName,
  exportPath,
  type ImportFailure,
  importFailure,
  importResultWords,
} from "./labelImport";
import { RefitStatus } from "./RefitStatus";

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

function CreateLabelSetForm() {
  const create = useCreateLabelSet();
  const [name, setName] = useState("");
  const [classText, setClassText] = useState("");
  const [description, setDescription] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const classes = parseClasses(classText);
    if (!NAME_PATTERN.test(name.trim())) {
      setProblem("The name may use letters, digits, '_', '.' and '-' only, without spaces.");
      return;
    }
    if (classes.length < 2) {
      setProblem("Give at least two classes, separated by commas or one per line.");
      return;
    }
    setProblem(null);
    create.mutate(
      { name: name.trim(), classes, description: description.trim() },
      {
        onSuccess: () => {
          setName("");
          setClassText("");
          setDescription("");
        },
      },
    );
  }

  return (
    <form
      className="card card-body mb-4"
      onSubmit={submit}
      aria-labelledby="create-label-set-title"
      noValidate
    >
      <h2 className="h6" id="create-label-set-title">
        New custom label set
      </h2>
      <div className="row g-2 align-items-end">
        <div className="col-md-3">
          <label htmlFor="label-set-name" className="form-label small">
            Name
          </label>
          <input
            id="label-set-name"
            className="form-control"
            value={name}
            required
            maxLength={64}
            placeholder="e.g. reactive"
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <div className="col-md-4">
          <label htmlFor="label-set-classes" className="form-label small">
            Classes (comma-separated or one per line)
          </label>
          <textarea
            id="label-set-classes"
            className="form-control"
            rows={1}
            value={classText}
            placeholder="reactive lymphocyte, normal"
            onChange={(event) => setClassText(event.target.value)}
          />
        </div>
        <div className="col-md-3">
          <label htmlFor="label-set-description" className="form-label small">
            Description (optional)
          </label>
          <input
            id="label-set-description"
            className="form-control"
            value={description}
            maxLength={500}
            onChange={(event) => setDescription(event.target.value)}
          />
        </div>
        <div className="col-md-2">
          <button type="submit" className="btn btn-primary w-100" disabled={create.isPending}>
            Create label set
          </button>
        </div>
      </div>
      <div aria-live="polite">
        {problem && (
          <div className="small text-danger mt-2" role="alert">
            {problem}
          </div>
        )}
        {create.isError && (
          <div className="small text-danger mt-2" role="alert">
            The label set was not created: {errorMessage(create.error)}
          </div>
        )}
        {create.isSuccess && (
          <div className="small text-success mt-2" role="status">
            Label set {create.data.name} created. Label cells of at least two classes (from a project's
            Labelling queue or a cell's page) to get a classifier.
          </div>
        )}
      </div>
    </form>
  );
}

function AddClassesForm({ labelSet }: { labelSet: LabelSet }) {
  const add = useAddClasses();
  const [text, setText] = useState("");
  const inputId = `add-classes-${labelSet.name}`;
  return (
    <form
      className="mt-3"
      onSubmit={(event) => {
        event.preventDefault();
        const classes = parseClasses(text).filter((item) => !labelSet.classes.includes(item));
        if (classes.length === 0) return;
        add.mutate({ name: labelSet.name, classes }, { onSuccess: () => setText("") });
      }}
    >
      <label htmlFor={inputId} className="form-label small">
        Add classes to {labelSetName(labelSet.name)} (existing classes are kept)
      </label>
      <div className="input-group input-group-sm">
        <input
          id={inputId}
          className="form-control"
          value={text}
          placeholder="new class, another class"
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" className="btn btn-outline-primary" disabled={add.isPending || !text.trim()}>
          Add classes
        </button>
      </div>
      {add.isError && (
        <div className="small text-danger mt-1" role="alert">
          Classes not added: {errorMessage(add.error)}
        </div>
      )}
    </form>
  );
}

/** Admin: downloads the label history (every change, who, when, previous label) as CSV. */
function ExportHistoryButton({
  labelSet,
  ariaLabel,
  className: buttonClass = "btn btn-outline-primary btn-sm",
  children,
}: {
  labelSet?: string;
  ariaLabel?: string;
  className?: string;
  children: ReactNode;
}) {
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div>
      <button
        type="button"
        className={buttonClass}
        aria-label={ariaLabel}
        disabled={pending}
        onClick={() => {
          setProblem(null);
          setPending(true);
          download(exportPath(labelSet), exportFileName(labelSet))
            .catch((error) => setProblem(`The label history was not exported: ${errorMessage(error)}`))
            .finally(() => setPending(false));
        }}
      >
        {pending && <span className="spinner-border spinner-border-sm me-1" aria-hidden="true" />}
        {children}
      </button>
      <div aria-live="polite">
        {problem && (
          <div className="small text-danger mt-1" role="alert">
            {problem}
          </div>
        )}
      </div>
    </div>
  );
}

function ImportFailureMessage({ failure }: { failure: ImportFailure }) {
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

/** Admin: imports a CSV of `image_id,label` rows into one label set, and exports that set's history. */
function LabelImportExport({ labelSet }: { labelSet: LabelSet }) {
  const [progress, setProgress] = useState(0);
  const importer = useImportLabels(labelSet.name, setProgress);
  const [problem, setProblem] = useState<string | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [refitKey, setRefitKey] = useState<string | null>(null);
  const inputId = `import-labels-${labelSet.name}`;
  const name = labelSetName(labelSet.name);

  function pick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ""; // the same file may be picked again after fixing it
    if (!file) return;
    importer.reset();
    setFileName(file.name);
    const issue = checkImportFile(file);
    setProblem(issue);
    if (issue) return;
    setProgress(0);
    importer.mutate(file, {
      onSuccess: (result) => {
        if (result.imported > 0) setRefitKey(`import-${Date.now()}`);
      },
    });
  }

  return (
    <section
      className="border-top pt-3 mt-3"
      aria-labelledby="label-io-title"
      data-testid="label-import-export"
    >
      <h3 className="h6" id="label-io-title">
        Import and export labels — {name}
      </h3>
      <p className="small text-secondary mb-2" id={`${inputId}-help`}>
        A UTF-8 CSV with the columns <code>image_id,label</code>, one cell per row; each label must be a class
        of {name}. Every row is checked first: if one is wrong, nothing is imported. Rows equal to a cell's
        current label are left unchanged.
      </p>
      <div className="d-flex flex-wrap align-items-end gap-3">
        <div className="flex-grow-1 label-import-picker">
          <label htmlFor={inputId} className="form-label small mb-1">
            Import labels (CSV) into {name}
          </label>
          <input
            id={inputId}
            type="file"
            accept=".csv,text/csv"
            className="form-control form-control-sm"
            aria-describedby={`${inputId}-help`}
            disabled={importer.isPending}
            onChange={pick}
          />
        </div>
        <ExportHistoryButton labelSet={labelSet.name} ariaLabel={`Export label history (CSV) of ${name}`}>
          Export label history (CSV)
        </ExportHistoryButton>
      </div>
      {importer.isPending && (
        <div
          className="progress mt-2"
          role="progressbar"
          aria-label={`Uploading ${fileName ?? "the CSV"}`}
          aria-valuenow={Math.round(progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="progress-bar" style={{ width: `${Math.round(progress * 100)}%` }} />
        </div>
      )}
      <div aria-live="polite">
        {problem && (
          <div className="small text-danger mt-2" role="alert">
            {problem}
          </div>
        )}
        {importer.isError && <ImportFailureMessage failure={importFailure(importer.error)} />}
        {importer.isSuccess && (
          <div className="small text-success mt-2" role="status" data-testid="import-result">
            {fileName ? `${fileName}: ` : ""}
            {importResultWords(importer.data)}
          </div>
        )}
      </div>
      {refitKey && (
        <div className="mt-2">
          <RefitStatus key={refitKey} name={labelSet.name} afterChange />
        </div>
      )}
    </section>
  );
}

function LearningCurve({ name }: { name: string }) {
  const curve = useLearningCurve(name);
  const spec = useMemo(
    () => (curve.data ? learningCurveSpec(curve.data.points, curve.data.power_law) : null),
    [curve.data],
  );
  if (curve.isPending) return <Loading what="learning curve" />;
  if (curve.isError) return <ErrorAlert error={curve.error} onRetry={() => curve.refetch()} />;
  const scored = curve.data.points.filter((point) => point.agreement !== null).length;
  const fit = curve.data.power_law;
  return (
    <>
      <p className="small text-secondary">
        {curve.data.points.length} classifier {curve.data.points.length === 1 ? "version" : "versions"};{" "}
        {scored} scored on cells labelled after them.{" "}
        {fit
          ? `Power-law fit: plateau ${(fit.p_max * 100).toFixed(1)}% (RMSE ${fit.rmse.toFixed(3)}).`
          : "The power-law fit needs at least 4 scored versions."}
      </p>
      {scored > 0 && spec ? (
        <VegaChart spec={spec} label={`Learning curve of label set ${name}`} className="w-100" />
      ) : (
        <p className="text-secondary">
          No points yet: each classifier version is scored on the cells labelled after it.
        </p>
      )}
    </>
  );
}

export function LabelSetsPage() {
  const labelSets = useLabelSets();
  const { user } = useAuth();
  const canEdit = user?.role === "pathologist" || user?.role === "admin";
  const isAdmin = user?.role === "admin";
  const [selected, setSelected] = useState<string | null>(null);

  if (labelSets.isPending) return <Loading what="label sets" />;
  if (labelSets.isError) return <ErrorAlert error={labelSets.error} onRetry={() => labelSets.refetch()} />;
  const sets = labelSets.data;
  const chosen = sets.find((set) => set.name === selected) ?? sets[0];

  return (
    <>
      <div className="d-flex flex-wrap align-items-start gap-2 mb-3">
        <h1 className="h3 mb-0">Label sets</h1>
        {isAdmin && (
          <div className="ms-auto">
            <ExportHistoryButton>Export label history (CSV), all label sets</ExportHistoryButton>
          </div>
        )}
      </div>
      <p className="text-secondary">
        Each label set has a light classifier that is refitted on the lab's labels within seconds of a change.
        Label cells from a project's <em>Labelling queue</em> tab or a cell's page.
      </p>
      {canEdit && <CreateLabelSetForm />}
      <div className="table-responsive">
        <table className="table table-hover align-middle">
          <caption className="visually-hidden">Label sets and the state of their classifiers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Classes</th>
              <th scope="col">Classifier version</th>
              <th scope="col">Lab labels</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {sets.map((set) => (
              <tr
                key={set.name}
                className={set.name === chosen?.name ? "table-active" : undefined}
                data-testid={`label-set-${set.name}`}
              >
                <th scope="row">
                  <button
                    type="button"
                    className="btn btn-link p-0 text-start"
                    aria-pressed={set.name === chosen?.name}
                    onClick={() => setSelected(set.name)}
                  >
                    {labelSetName(set.name)}
                  </button>
                  {set.description && <div className="small text-secondary fw-normal">{set.description}</div>}
                </th>
                <td>{set.kind === "custom" ? "lab" : "model"}</td>
                <td className="small">{set.classes.map(className).join(", ")}</td>
                <td>{set.classifier_version ?? <span className="text-secondary">model's</span>}</td>
                <td>{set.lab_labels}</td>
                <td className="small" data-testid="label-set-status">
                  {set.updating && (
                    <span className="spinner-border spinner-border-sm me-1" aria-hidden="true" />
                  )}
                  <span
                    className={
                      set.status === "failed"
                        ? "text-danger"
                        : set.status === "needs_labels"
                          ? "text-warning-emphasis"
                          : undefined
                    }
                  >
                    {labelSetStatusWords(set)}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen && (
        <section className="card card-body" aria-labelledby="label-set-detail-title">
          <h2 className="h5" id="label-set-detail-title">
            Learning curve — {labelSetName(chosen.name)}
          </h2>
          <LearningCurve name={chosen.name} key={`${chosen.name}-${chosen.classifier_version}`} />
          {canEdit && <AddClassesForm labelSet={chosen} key={chosen.name} />}
          {isAdmin && <LabelImportExport labelSet={chosen} key={`io-${chosen.name}`} />}
        </section>
      )}
    </>
  );
}
