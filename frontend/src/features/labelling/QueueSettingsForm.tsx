import { type FormEvent, useState } from "react";
import type { QueueStrategy } from "../../shared/api/types";
import { labelSetName } from "../label-sets/labelSets";
import { type QueueSettings, STRATEGIES } from "./labelling";

/** The queue's label set, strategy and batch size; applied by "Load queue". */
export function QueueSettingsForm({
  settings,
  labelSets,
  onApply,
}: {
  settings: QueueSettings;
  labelSets: string[];
  onApply: (settings: QueueSettings) => void;
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
