import { useCallback } from "react";
import { useClassNames } from "./api/caseQueries";

/** The API's rule for a code it does not list: the code with spaces, capitalised ("band_cell" → "Band cell"). */
export function fallbackClassName(code: string): string {
  const spaced = code.replaceAll("_", " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * The lab's name of a class code, from `GET /class-names`: the one mapping the report, the CSV and every
 * screen use, so a lab never reads `ig` on one screen and "Immature granulocyte" on another.
 */
export function useLabClassName(): (code: string) => string {
  const names = useClassNames();
  return useCallback(
    (code: string) => names.data?.find((item) => item.code === code)?.name ?? fallbackClassName(code),
    [names.data],
  );
}
