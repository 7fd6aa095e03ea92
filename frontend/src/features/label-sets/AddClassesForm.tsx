import { useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useAddClasses } from "../../shared/api/queries";
import type { LabelSet } from "../../shared/api/types";
import { labelSetName, parseClasses } from "./labelSets";

export function AddClassesForm({ labelSet }: { labelSet: LabelSet }) {
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
