import type { InputHTMLAttributes } from "react";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onChange"> & {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Spacing below the field (Bootstrap margin class). */
  spacing?: string;
};

/** A labelled, required text or password input: the sign-in and first-run forms share its markup. */
export function TextField({ id, label, value, onChange, spacing = "mb-3", ...input }: Props) {
  return (
    <div className={spacing}>
      <label htmlFor={id} className="form-label">
        {label}
      </label>
      <input
        id={id}
        className="form-control"
        required
        value={value}
        onChange={(event) => onChange(event.target.value)}
        {...input}
      />
    </div>
  );
}
