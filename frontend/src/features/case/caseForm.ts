import type { CaseDetails, CaseUpdate } from "../../shared/api/types";

/** The case details as the form holds them: text in every field, "" for empty. */
export type CaseFormValues = {
  specimen_id: string;
  collection_date: string;
  analyser: string;
  wbc_count: string;
  note: string;
};

export function formValues(details: CaseDetails): CaseFormValues {
  return {
    specimen_id: details.specimen_id,
    collection_date: details.collection_date ?? "",
    analyser: details.analyser,
    wbc_count: details.wbc_count === null ? "" : String(details.wbc_count),
    note: details.note,
  };
}

/**
 * Only the fields that changed, as the PATCH wants them (the API changes only the fields sent; null clears).
 * An unreadable WBC count is returned as an error in words rather than sent.
 */
export function changedFields(before: CaseFormValues, after: CaseFormValues): CaseUpdate | string {
  const body: CaseUpdate = {};
  if (after.specimen_id !== before.specimen_id) body.specimen_id = after.specimen_id.trim();
  if (after.analyser !== before.analyser) body.analyser = after.analyser.trim();
  if (after.note !== before.note) body.note = after.note;
  if (after.collection_date !== before.collection_date) body.collection_date = after.collection_date || null;
  if (after.wbc_count.trim() !== before.wbc_count) {
    const text = after.wbc_count.trim().replace(",", ".");
    if (text === "") body.wbc_count = null;
    else {
      const value = Number(text);
      if (!Number.isFinite(value) || value <= 0) return "The WBC count must be a positive number (×10⁹/L).";
      body.wbc_count = value;
    }
  }
  return body;
}
