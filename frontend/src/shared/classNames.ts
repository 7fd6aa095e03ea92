import { useMemo } from "react";
import { useClassNames } from "./api/caseQueries";

/** The API's rule for a code it does not list: the code with spaces, capitalised ("band_cell" → "Band cell"). */
export function fallbackClassName(code: string): string {
  const spaced = code.replaceAll("_", " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export type LabClasses = {
  /** The lab's name of a class code. */
  nameOf: (code: string) => string;
  /** The codes in the lab's report order (the order of `GET /class-names`); unknown codes last, by name. */
  inReportOrder: (codes: Iterable<string>) => string[];
};

/** Lab names and report order from a `GET /class-names` answer (or none yet: every code by the fallback rule). */
export function labClasses(names: readonly { code: string; name: string }[] | undefined): LabClasses {
  const rank = new Map((names ?? []).map((item, index) => [item.code, index] as const));
  const byCode = new Map((names ?? []).map((item) => [item.code, item.name] as const));
  const nameOf = (code: string) => byCode.get(code) ?? fallbackClassName(code);
  const inReportOrder = (codes: Iterable<string>) =>
    [...new Set(codes)].sort(
      (a, b) =>
        (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER) ||
        nameOf(a).localeCompare(nameOf(b)),
    );
  return { nameOf, inReportOrder };
}

/**
 * The lab's classes from `GET /class-names`: the one mapping the report, the CSV and every screen use,
 * so a lab never reads `ig` on one screen and "Immature granulocyte" on another.
 */
export function useLabClasses(): LabClasses {
  const names = useClassNames();
  return useMemo(() => labClasses(names.data), [names.data]);
}

/** The lab's name of a class code (see `useLabClasses`). */
export function useLabClassName(): (code: string) => string {
  return useLabClasses().nameOf;
}
