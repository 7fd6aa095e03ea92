import { type FormEvent, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useCreateLabelSet } from "../../shared/api/queries";
import { parseClasses } from "./labelSets";

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

export function CreateLabelSetForm() {
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
