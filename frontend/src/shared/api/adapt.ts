// "Adapt to this lab" (POST /model-versions/adapt): start the job, follow its progress, read its metrics.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { isWaiting, POLL_INTERVAL_MS, queryKeys } from "./queries";
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

export type AdaptRequest = NonNullable<
  paths["/api/v1/model-versions/adapt"]["post"]["requestBody"]
>["content"]["application/json"];
export type AdaptJob = JsonOf<paths["/api/v1/model-versions/adapt/{job_id}"]["get"]["responses"][200]>;

/** A score as the lab's own labelled cells gave it (cross-validated for a head fitted on them). */
export type LabScore = { version?: string; accuracy: number; macro_f1: number };

/** What the adapted version's metrics say about the lab, in the shape the worker writes (lab_adaptation.py). */
export type LabMetrics = {
  old?: LabScore;
  new?: LabScore;
  cells?: number;
  not_measured?: string;
};

export function labMetrics(metrics: Record<string, unknown> | undefined): LabMetrics | null {
  const lab = metrics?.lab;
  return lab && typeof lab === "object" ? (lab as LabMetrics) : null;
}

export function adaptHead(metrics: Record<string, unknown> | undefined): string | null {
  const adaptation = metrics?.adaptation as { head?: unknown } | undefined;
  return typeof adaptation?.head === "string" ? adaptation.head : null;
}

// Not under ["model-versions"]: invalidating the model list when the job is done must not refetch the job itself.
export const adaptJobKey = (jobId: string) => ["adapt-jobs", jobId] as const;

export function useStartAdapt() {
  return useMutation({
    mutationFn: (body: AdaptRequest) => unwrap(api.POST("/api/v1/model-versions/adapt", { body })),
  });
}

/** The job, asked again every POLL_INTERVAL_MS while it waits or runs; the model list is refreshed when done. */
export function useAdaptJob(jobId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: adaptJobKey(jobId ?? ""),
    enabled: jobId !== null,
    queryFn: async () => {
      const job = await unwrap(
        api.GET("/api/v1/model-versions/adapt/{job_id}", { params: { path: { job_id: jobId ?? "" } } }),
      );
      if (job.status === "done") void queryClient.invalidateQueries({ queryKey: queryKeys.modelVersions });
      return job;
    },
    refetchInterval: (query) =>
      query.state.data && !isWaiting(query.state.data.status) ? false : POLL_INTERVAL_MS,
  });
}
