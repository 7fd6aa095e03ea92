import { type FormEvent, useRef, useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useUploadModelVersion } from "../../shared/api/queries";
import { formatSize } from "../../shared/format";

export function UploadModelForm() {
  const [file, setFile] = useState<File | null>(null);
  const [activate, setActivate] = useState(false);
  const [progress, setProgress] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const upload = useUploadModelVersion(setProgress);
  const wrongType = file !== null && !file.name.toLowerCase().endsWith(".hsb");

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || wrongType) return;
    setProgress(0);
    upload.mutate(
      { file, activate },
      {
        onSuccess: () => {
          setFile(null);
          if (inputRef.current) inputRef.current.value = "";
        },
      },
    );
  }

  return (
    <form className="card card-body mb-4" onSubmit={submit} aria-labelledby="upload-model-title">
      <h2 className="h6" id="upload-model-title">
        Upload a model bundle
      </h2>
      <div className="row g-2 align-items-end">
        <div className="col-md-6">
          <label htmlFor="model-file" className="form-label small">
            Bundle file (.hsb)
          </label>
          <input
            id="model-file"
            ref={inputRef}
            type="file"
            accept=".hsb"
            className={`form-control${wrongType ? " is-invalid" : ""}`}
            aria-describedby="model-file-help"
            disabled={upload.isPending}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              upload.reset();
            }}
          />
        </div>
        <div className="col-md-3">
          <div className="form-check mb-2">
            <input
              id="model-activate"
              type="checkbox"
              className="form-check-input"
              checked={activate}
              disabled={upload.isPending}
              onChange={(event) => setActivate(event.target.checked)}
            />
            <label htmlFor="model-activate" className="form-check-label">
              Activate after upload
            </label>
          </div>
        </div>
        <div className="col-md-3">
          <button
            type="submit"
            className="btn btn-primary w-100"
            disabled={!file || wrongType || upload.isPending}
          >
            {upload.isPending && (
              <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />
            )}
            Upload
          </button>
        </div>
      </div>
      <div id="model-file-help" className="form-text">
        A bundle made by <code>hemosight train</code>. It is checked before it is registered; workers switch
        to it only when it is activated.
        {file && !wrongType && ` Selected: ${file.name} (${formatSize(file.size)}).`}
      </div>
      {wrongType && (
        <div className="text-danger small mt-2">
          {file?.name} is not a model bundle: choose a file ending in .hsb.
        </div>
      )}
      {upload.isPending && (
        <div
          className="progress mt-2"
          role="progressbar"
          aria-label="Bundle upload progress"
          aria-valuenow={Math.round(progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div
            className="progress-bar progress-bar-striped progress-bar-animated"
            style={{ width: `${progress * 100}%` }}
          >
            {progress < 1 ? `${Math.round(progress * 100)} %` : "Checking the bundle…"}
          </div>
        </div>
      )}
      {upload.isError && (
        <div className="text-danger small mt-2" role="alert">
          Upload failed: {errorMessage(upload.error)}
        </div>
      )}
      {upload.isSuccess && (
        <div className="text-success small mt-2" role="status">
          Model {upload.data.version} registered
          {upload.data.active ? " and active: new results will use it." : ". Activate it to use it."}
        </div>
      )}
    </form>
  );
}
