import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { refreshResults, useLabelSet } from "../../shared/api/queries";
import type { LabelSet } from "../../shared/api/types";
import { labelSetName, refitFinished } from "./labelSets";

/** Polls a label set while its classifier is refitted; refetches results on screen once the refit is done. */
export function useRefitWatch(name: string, afterChange = false) {
  const queryClient = useQueryClient();
  const labelSet = useLabelSet(name);
  const previous = useRef<LabelSet | undefined>(undefined);
  useEffect(() => {
    const current = labelSet.data;
    if (!current) return;
    const fastRefit = afterChange && !previous.current && !current.updating;
    if (fastRefit || refitFinished(previous.current, current)) refreshResults(queryClient);
    previous.current = current;
  }, [labelSet.data, queryClient, afterChange]);
  return labelSet;
}

/** "Updating classifier…" while the label set's classifier is refitted after a label change. */
export function RefitStatus({ name, afterChange = false }: { name: string; afterChange?: boolean }) {
  const labelSet = useRefitWatch(name, afterChange);
  const data = labelSet.data;
  return (
    <div aria-live="polite" className="refit-status">
      {data?.updating && (
        <div className="alert alert-info py-2 d-flex align-items-center gap-2 mb-2" role="status">
          <span className="spinner-border spinner-border-sm" aria-hidden="true" />
          Updating classifier for {labelSetName(name)}…
        </div>
      )}
      {data && !data.updating && data.status === "failed" && (
        <div className="alert alert-warning py-2 mb-2" role="alert">
          The classifier for {labelSetName(name)} could not be refitted: {data.message ?? "no reason given"}.
        </div>
      )}
      {data && !data.updating && (data.status === "ready" || data.status === "model") && data.message && (
        <div className="alert alert-warning py-2 mb-2" role="status">
          {data.message}
        </div>
      )}
      {afterChange && data && !data.updating && data.changed_image_ids.length > 0 && (
        <div className="small text-info mb-2" role="status">
          {data.changed_image_ids.length} {data.changed_image_ids.length === 1 ? "cell" : "cells"} changed
          class at this refit; the results grid lists them (“Only cells whose prediction changed at the last
          refit”).
        </div>
      )}
      {data && !data.updating && data.status === "needs_labels" && data.message && (
        <div className="alert alert-secondary py-2 mb-2" role="status">
          {data.message}
        </div>
      )}
      {labelSet.isError && (
        <div className="small text-danger" role="alert">
          Could not check the classifier of {labelSetName(name)}.
        </div>
      )}
    </div>
  );
}
