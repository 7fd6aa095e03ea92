import { classColour } from "../classes";
import { useLabClassName } from "../classNames";

/** A class name with its chart colour; `swatch={false}` for attribute values, which have no palette. */
export function ClassLabel({ label, swatch = true }: { label: string | null | undefined; swatch?: boolean }) {
  const nameOf = useLabClassName();
  if (!label) return <span className="text-secondary">—</span>;
  return (
    <span className="class-label">
      {swatch && (
        <span className="class-swatch" style={{ background: classColour(label) }} aria-hidden="true" />
      )}
      {nameOf(label)}
    </span>
  );
}
