import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError, errorMessage } from "../api/errors";
import {
  useBulkLabel,
  useImage,
  useImages,
  useLabelImage,
  useLabelQueue,
  useLabelSet,
  useLabelSets,
} from "../api/queries";
import type { QueueItem, QueueStrategy } from "../api/types";
import { probabilitySpec } from "../charts/specs";
import { className, formatPercent } from "../classes";
import { AuthImage } from "../components/AuthImage";
import { ClassLabel } from "../components/CellBadges";
import { ErrorAlert, Loading } from "../components/ErrorAlert";
import { RefitStatus } from "../components/RefitStatus";
import { VegaChart } from "../components/VegaChart";
import { DEFAULT_BATCH_SIZE, hasClassifier, labelSetName, queueKeyAction, STRATEGIES } from "./labelling";

type Settings = { labelSet: string; strategy: QueueStrategy; size: number };
/** A cell to label: from the queue, or (before a label set has a classifier) from the project's cells. */
type Item = { image_id: string; filename: string; label: string | null; confidence: number | null };

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
}

function SettingsForm({
  settings,
  labelSets,
  onApply,
}: {
  settings: Settings;
  labelSets: string[];
  onApply: (settings: Settings) => void;
}) {
  const [draft, setDraft] = useState(settings);
  const [sizeText, setSizeText] = useState(String(settings.size));
  const size = Number(sizeText);
  const sizeOk = Number.isInteger(size) && size >= 1 && size <= 1000;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (sizeOk) onApply({ ...draft, size });
  }
  return (
    <form className="card card-body mb-3" onSubmit={submit} aria-label="Queue settings">
      <div className="row g-2 align-items-end">
        <div className="col-sm-4">
          <label htmlFor="queue-label-set" className="form-label small">
            Label set
          </label>
          <select
            id="queue-label-set"
            className="form-select"
            value={draft.labelSet}
            onChange={(event) => setDraft({ ...draft, labelSet: event.target.value })}
          >
            {labelSets.map((name) => (
              <option key={name} value={name}>
                {labelSetName(name)}
              </option>
            ))}
          </select>
        </div>
        <div className="col-sm-4">
          <label htmlFor="queue-strategy" className="form-label small">
            Strategy
          </label>
          <select
            id="queue-strategy"
            className="form-select"
            value={draft.strategy}
            aria-describedby="queue-strategy-help"
            onChange={(event) => setDraft({ ...draft, strategy: event.target.value as QueueStrategy })}
          >
            {STRATEGIES.map((strategy) => (
              <option key={strategy.value} value={strategy.value}>
                {strategy.title}
              </option>
            ))}
          </select>
        </div>
        <div className="col-sm-2">
          <label htmlFor="queue-size" className="form-label small">
            Batch size
          </label>
          <input
            id="queue-size"
            type="number"
            min={1}
            max={1000}
            className={`form-control${sizeOk ? "" : " is-invalid"}`}
            value={sizeText}
            onChange={(event) => setSizeText(event.target.value)}
          />
          {!sizeOk && <div className="invalid-feedback">1 to 1000 cells.</div>}
        </div>
        <div className="col-sm-2">
          <button type="submit" className="btn btn-primary w-100" disabled={!sizeOk}>
            Load queue
          </button>
        </div>
      </div>
      <div id="queue-strategy-help" className="form-text">
        {STRATEGIES.find((strategy) => strategy.value === draft.strategy)?.hint}
      </div>
    </form>
  );
}

function Shortcuts({ classCount }: { classCount: number }) {
  return (
    <section className="small text-secondary mt-3" aria-label="Keyboard shortcuts">
      <h3 className="h6 text-body">Keyboard shortcuts</h3>
      <ul className="list-unstyled mb-0 queue-shortcuts">
        <li>
          <kbd>1</kbd>–<kbd>{Math.max(1, Math.min(9, classCount))}</kbd> pick a class
        </li>
        <li>
          <kbd>Enter</kbd> save the picked class (or confirm the prediction) and go to the next cell
        </li>
        <li>
          <kbd>←</kbd> <kbd>→</kbd> previous / next cell
        </li>
      </ul>
    </section>
  );
}

function CurrentCell({
  item,
  labelSet,
  classes,
  picked,
  done,
  onPick,
}: {
  item: Item;
  labelSet: string;
  classes: string[];
  picked: string | null;
  done: string | undefined;
  onPick: (label: string) => void;
}) {
  const image = useImage(item.image_id);
  const probabilities = image.data?.result?.probabilities?.[labelSet] ?? {};
  const spec = useMemo(() => probabilitySpec(probabilities), [probabilities]);
  const predicted = image.data?.result?.labels?.[labelSet] ?? item.label;
  const confidence = predicted ? (probabilities[predicted] ?? item.confidence) : null;
  return (
    <div className="row g-4">
      <div className="col-md-6">
        <div className="card">
          <AuthImage
            src={`/api/v1/images/${item.image_id}/file`}
            alt={`Cell image ${item.filename}`}
            className="cell-image queue-image"
          />
        </div>
      </div>
      <div className="col-md-6">
        <h3 className="h6 text-break">{item.filename}</h3>
        <dl className="row mb-2">
          <dt className="col-5">Predicted</dt>
          <dd className="col-7" data-testid="queue-predicted">
            {predicted ? (
              <ClassLabel label={predicted} />
            ) : (
              <span className="text-secondary">no classifier yet</span>
            )}
            {confidence !== null && confidence !== undefined && (
              <span className="text-secondary ms-2">{formatPercent(confidence)}</span>
            )}
          </dd>
          {done && (
            <>
              <dt className="col-5">Labelled now</dt>
              <dd className="col-7 text-success" data-testid="queue-done">
                ✓ {className(done)}
              </dd>
            </>
          )}
        </dl>
        <fieldset>
          <legend className="h6">Class</legend>
          <div className="d-flex flex-wrap gap-2" data-testid="queue-classes">
            {classes.map((label, index) => (
              <button
                key={label}
                type="button"
                className={`btn btn-sm ${picked === label ? "btn-primary" : "btn-outline-primary"}`}
                aria-pressed={picked === label}
                onClick={() => onPick(label)}
              >
                {index < 9 && <kbd className="me-1">{index + 1}</kbd>}
                {className(label)}
              </button>
            ))}
          </div>
        </fieldset>
        {Object.keys(probabilities).length > 0 && (
          <div className="mt-3">
            <VegaChart
              spec={spec}
              label={`Probability of each class for ${item.filename}`}
              className="w-100"
            />
          </div>
        )}
      </div>
    </div>
  );
}

function BulkConfirm({
  labelSet,
  items,
  onDone,
}: {
  labelSet: string;
  items: QueueItem[];
  onDone: () => void;
}) {
  const bulk = useBulkLabel();
  if (items.length === 0) {
    return <p className="text-secondary">No cell is confident enough for bulk confirmation.</p>;
  }
  return (
    <section className="card card-body mb-3" aria-labelledby="bulk-title">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
        <h3 className="h6 mb-0" id="bulk-title">
          Confident predictions ({items.length})
        </h3>
        <button
          type="button"
          className="btn btn-success btn-sm ms-auto"
          disabled={bulk.isPending || bulk.isSuccess}
          onClick={() =>
            bulk.mutate(
              {
                label_set: labelSet,
                action: "confirm",
                items: items.map((item) => ({ image_id: item.image_id })),
              },
              { onSuccess: onDone },
            )
          }
        >
          Confirm all shown ({items.length})
        </button>
      </div>
      <ul className="list-unstyled d-flex flex-wrap gap-2 mb-0" aria-label="Cells to confirm">
        {items.map((item) => (
          <li key={item.image_id} className="card p-1 small text-center bulk-cell">
            <AuthImage
              src={`/api/v1/images/${item.image_id}/file`}
              alt={`${item.filename}: ${className(item.label)}`}
              className="cell-image"
              width={80}
              height={80}
            />
            <ClassLabel label={item.label} />
            <span className="text-secondary">{formatPercent(item.confidence)}</span>
          </li>
        ))}
      </ul>
      <div aria-live="polite">
        {bulk.isSuccess && (
          <div className="small text-success mt-2" role="status">
            {bulk.data.length} {bulk.data.length === 1 ? "cell" : "cells"} confirmed.
          </div>
        )}
        {bulk.isError && (
          <div className="small text-danger mt-2" role="alert">
            Nothing was confirmed: {errorMessage(bulk.error)}
          </div>
        )}
      </div>
    </section>
  );
}

function Queue({
  projectId,
  settings,
  classes,
  loads,
}: {
  projectId: string;
  settings: Settings;
  classes: string[];
  /** Goes up each time "Load queue" is pressed: the same settings then ask for a fresh batch. */
  loads: number;
}) {
  const queue = useLabelQueue(settings.labelSet, settings.strategy, settings.size, projectId);
  // Without a classifier the label set has no queue (409): label the project's cells in upload order.
  const noClassifier = queue.error instanceof ApiError && queue.error.status === 409;
  // The queue is cached until asked again (it must not reorder under the reviewer), so its 409 would
  // outlive the classifier: ask again once the label set's refit has produced one (the label set is
  // polled while it updates, by RefitStatus after each label and by the label sets page).
  const labelSet = useLabelSet(settings.labelSet);
  const classifierReady = hasClassifier(labelSet.data);
  const [gotClassifier, setGotClassifier] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: ask once per change of these two
  useEffect(() => {
    if (noClassifier && classifierReady) {
      setGotClassifier(true);
      queue.refetch();
    }
  }, [noClassifier, classifierReady]);
  const mountedLoads = useRef(loads);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when "Load queue" is pressed again
  useEffect(() => {
    if (loads !== mountedLoads.current) queue.refetch();
  }, [loads]);
  const images = useImages(projectId);
  const label = useLabelImage();
  const [index, setIndex] = useState(0);
  const [picked, setPicked] = useState<string | null>(null);
  const [done, setDone] = useState<Record<string, string>>({});
  const [lastChange, setLastChange] = useState<string | null>(null);
  const [hint, setHint] = useState<string | null>(null);

  const items: Item[] = useMemo(() => {
    if (noClassifier) {
      return (images.data ?? [])
        .filter((image) => image.status === "done")
        .slice(0, settings.size)
        .map((image) => ({ image_id: image.id, filename: image.filename, label: null, confidence: null }));
    }
    return queue.data?.review ?? [];
  }, [noClassifier, images.data, queue.data, settings.size]);

  // A new batch starts at its first cell.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the batch changes
  useEffect(() => {
    setIndex(0);
    setPicked(null);
  }, [queue.dataUpdatedAt, noClassifier]);

  const current = items[Math.min(index, items.length - 1)];

  function move(step: number) {
    setPicked(null);
    setHint(null);
    setIndex((value) => Math.max(0, Math.min(items.length - 1, value + step)));
  }

  function save() {
    if (!current || label.isPending) return;
    const predicted = current.label;
    if (!picked && !predicted) {
      setHint(`Pick a class first (keys 1–${Math.min(9, classes.length)}).`);
      return;
    }
    setHint(null);
    const item = current;
    label.mutate(
      picked
        ? { imageId: item.image_id, label_set: settings.labelSet, action: "set", label: picked }
        : { imageId: item.image_id, label_set: settings.labelSet, action: "confirm" },
      {
        onSuccess: (event) => {
          setDone((value) => ({ ...value, [item.image_id]: event.label ?? "" }));
          setLastChange(event.id);
          move(1);
        },
      },
    );
  }

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
      const action = queueKeyAction(event.key, classes.length);
      if (!action) return;
      if (
        action.kind === "confirm" &&
        event.target instanceof HTMLElement &&
        /^(BUTTON|A)$/.test(event.target.tagName)
      ) {
        return; // Enter on a button presses that button.
      }
      event.preventDefault();
      if (action.kind === "pick") setPicked(classes[action.index]);
      else if (action.kind === "next") move(1);
      else if (action.kind === "previous") move(-1);
      else save();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (queue.isPending || (noClassifier && images.isPending)) return <Loading what="queue" />;
  if (queue.isError && !noClassifier)
    return <ErrorAlert error={queue.error} onRetry={() => queue.refetch()} />;
  const showBulk = settings.strategy === "cst" || settings.strategy === "cst+al";
  // Why there is no classifier: the queue's 409 was true when it was asked; after a label the refit
  // status above says what is still missing, in fresher words.
  const noClassifierReason = lastChange
    ? null
    : (labelSet.data?.status === "needs_labels" && labelSet.data.message) || errorMessage(queue.error);
  const labelledCount = Object.keys(done).length;

  return (
    <>
      {lastChange && <RefitStatus key={lastChange} name={settings.labelSet} afterChange />}
      {noClassifier && (
        <div className="alert alert-secondary" role="status" data-testid="queue-no-classifier">
          {labelSetName(settings.labelSet)} has no classifier yet
          {noClassifierReason ? ` (${noClassifierReason})` : ""}. Showing the project's cells in upload order:
          label cells of at least two classes; the queue appears here once the classifier is ready.
        </div>
      )}
      {gotClassifier && !noClassifier && queue.data && (
        <div className="alert alert-success py-2" role="status" data-testid="queue-got-classifier">
          {labelSetName(settings.labelSet)} now has a classifier: the cells below are its queue (
          {STRATEGIES.find((strategy) => strategy.value === settings.strategy)?.hint}).
        </div>
      )}
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        <span data-testid="queue-summary">
          {queue.data
            ? `${queue.data.candidates} unlabelled ${queue.data.candidates === 1 ? "cell" : "cells"} with a prediction; ${items.length} to review`
            : `${items.length} cells`}
          {labelledCount > 0 && `, ${labelledCount} labelled now`}
        </span>
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary ms-auto"
          onClick={() => queue.refetch()}
        >
          Load next batch
        </button>
      </div>
      {showBulk && queue.data && (
        <BulkConfirm
          key={queue.dataUpdatedAt}
          labelSet={settings.labelSet}
          items={queue.data.confirm}
          onDone={() => setLastChange(`bulk-${Date.now()}`)}
        />
      )}
      {current ? (
        <section className="card card-body" aria-labelledby="queue-cell-title" data-testid="queue-cell">
          <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
            <h2 className="h5 mb-0" id="queue-cell-title">
              Cell {Math.min(index, items.length - 1) + 1} of {items.length}
            </h2>
            <div className="btn-group btn-group-sm ms-auto">
              <button
                type="button"
                className="btn btn-outline-secondary"
                disabled={index <= 0}
                onClick={() => move(-1)}
              >
                ← Previous
              </button>
              <button
                type="button"
                className="btn btn-outline-secondary"
                disabled={index >= items.length - 1}
                onClick={() => move(1)}
              >
                Next →
              </button>
            </div>
            <Link className="btn btn-sm btn-link" to={`/projects/${projectId}/cells/${current.image_id}`}>
              Open cell page
            </Link>
          </div>
          <CurrentCell
            key={current.image_id}
            item={current}
            labelSet={settings.labelSet}
            classes={classes}
            picked={picked}
            done={done[current.image_id]}
            onPick={setPicked}
          />
          <div className="d-flex flex-wrap align-items-center gap-2 mt-3">
            <button type="button" className="btn btn-success" disabled={label.isPending} onClick={save}>
              {picked
                ? `Save as ${className(picked)}`
                : current.label
                  ? `Confirm ${className(current.label)}`
                  : "Save"}{" "}
              <kbd>Enter</kbd>
            </button>
            <div aria-live="polite">
              {hint && (
                <span className="text-warning-emphasis small" role="status">
                  {hint}
                </span>
              )}
              {label.isError && (
                <span className="text-danger small" role="alert">
                  Not saved: {errorMessage(label.error)}
                </span>
              )}
            </div>
          </div>
          <Shortcuts classCount={classes.length} />
        </section>
      ) : (
        <p className="text-secondary" role="status">
          Nothing to review in this batch{showBulk ? " by hand" : ""}.
        </p>
      )}
    </>
  );
}

export function LabellingQueuePage() {
  const { projectId = "" } = useParams();
  const labelSets = useLabelSets();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [loads, setLoads] = useState(0);

  if (labelSets.isPending) return <Loading what="label sets" />;
  if (labelSets.isError) return <ErrorAlert error={labelSets.error} onRetry={() => labelSets.refetch()} />;
  const names = labelSets.data.map((set) => set.name);
  if (names.length === 0) return <p className="text-secondary">There are no label sets.</p>;
  const applied: Settings = settings ?? {
    labelSet: names.includes("cell_type") ? "cell_type" : names[0],
    strategy: "uncertainty",
    size: DEFAULT_BATCH_SIZE,
  };
  const classes = labelSets.data.find((set) => set.name === applied.labelSet)?.classes ?? [];

  return (
    <>
      <SettingsForm
        settings={applied}
        labelSets={names}
        onApply={(next) => {
          setSettings(next);
          setLoads((count) => count + 1);
        }}
      />
      <Queue
        key={`${applied.labelSet}/${applied.strategy}/${applied.size}`}
        projectId={projectId}
        settings={applied}
        classes={classes}
        loads={loads}
      />
    </>
  );
}
