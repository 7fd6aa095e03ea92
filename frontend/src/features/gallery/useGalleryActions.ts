import { useState } from "react";
import { useCapabilities } from "../../shared/api/caseQueries";
import { useBulkLabel } from "../../shared/api/queries";
import type { ImageSummary } from "../../shared/api/types";
import { useLabClassName } from "../../shared/classNames";
import { galleryClass } from "./gallery";

/**
 * Reclassifying and confirming from the gallery, through the batch endpoint the table's bulk review uses
 * (one audited change per cell, all or nothing). In a signed-off case every change needs a reason, which
 * the reviewer types once above the gallery; without one nothing is sent.
 */
export function useGalleryActions(projectId: string, images: readonly ImageSummary[]) {
  const capabilities = useCapabilities(projectId).data;
  const bulk = useBulkLabel();
  const nameOf = useLabClassName();
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const labelSet = images.find((image) => image.label_set)?.label_set ?? null;
  const canLabel = capabilities?.label === true && labelSet !== null;
  const needsReason = capabilities?.label_needs_reason === true;
  const byId = new Map(images.map((image) => [image.id, image]));

  const send = (action: "set" | "confirm", ids: string[], label: string | null, onDone: () => void) => {
    setOutcome(null);
    if (!canLabel || labelSet === null || ids.length === 0) return;
    if (needsReason && reason.trim().length < 3) {
      setNotice("The case is signed off: give a reason for the change first (at least 3 characters).");
      return;
    }
    setNotice(null);
    bulk.mutate(
      {
        label_set: labelSet,
        action,
        items: ids.map((id) => (label ? { image_id: id, label } : { image_id: id })),
        ...(needsReason ? { reason: reason.trim() } : {}),
      },
      {
        onSuccess: (events) => {
          const cells = `${events.length} cell${events.length === 1 ? "" : "s"}`;
          setOutcome(label ? `Moved ${cells} to ${nameOf(label)}.` : `Confirmed ${cells}.`);
          onDone();
        },
      },
    );
  };

  /** Gives `ids` the class `code`; cells already under it are left alone. */
  const reclassify = (ids: readonly string[], code: string, onDone: () => void = () => {}) => {
    const moving = ids.filter((id) => {
      const image = byId.get(id);
      return image !== undefined && galleryClass(image) !== null && galleryClass(image) !== code;
    });
    if (moving.length === 0) {
      setNotice(ids.length === 0 ? "Select cells first." : `The selected cells are already ${nameOf(code)}.`);
      return;
    }
    send("set", moving, code, onDone);
  };

  /** Confirms the predicted class of `ids`. */
  const confirm = (ids: readonly string[], onDone: () => void = () => {}) =>
    send("confirm", [...ids], null, onDone);

  return {
    canLabel,
    needsReason,
    reason,
    setReason,
    notice,
    outcome,
    pending: bulk.isPending,
    error: bulk.isError ? bulk.error : null,
    labelSet,
    reclassify,
    confirm,
  };
}

export type GalleryActions = ReturnType<typeof useGalleryActions>;
