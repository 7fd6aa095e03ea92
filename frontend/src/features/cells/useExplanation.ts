import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, authorizedFetch, unwrap } from "../../shared/api/client";

/** How often to ask whether the worker has finished the heatmap. */
export const EXPLANATION_POLL_MS = 1000;

export type ExplanationProgress =
  | { status: "pending" | "running"; url?: undefined; method?: string | null }
  | { status: "done"; url: string; method: string | null };

const explanationKey = (imageId: string) => ["images", imageId, "explanation"] as const;

/**
 * The PNG as a data: URL. Not an object URL: that would have to be revoked when the view goes, and React's
 * development double mount would revoke it while it is still shown.
 */
async function dataUrl(response: Response): Promise<string> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return `data:${response.headers.get("Content-Type") || "image/png"};base64,${btoa(binary)}`;
}

/** The backend's sentence without its advice to API clients (the app offers a "Try again" button instead). */
export function explanationError(message: string): string {
  return message.replace(/\s*POST on this address to try again\.?$/, "");
}

/**
 * A cell's explanation, asked for on request only (the worker computes it, which takes seconds): POST queues
 * it, then GET answers 202 with the status until the PNG layer is ready; 409 says in words why it failed.
 */
export function useExplanation(imageId: string) {
  const queryClient = useQueryClient();
  const [requestedFor, setRequestedFor] = useState<string | null>(null);
  const requested = requestedFor === imageId;
  const request = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/images/{image_id}/explanation", { params: { path: { image_id: imageId } } })),
    onSuccess: () => {
      setRequestedFor(imageId);
      return queryClient.invalidateQueries({ queryKey: explanationKey(imageId) });
    },
  });
  const progress = useQuery({
    queryKey: explanationKey(imageId),
    enabled: requested,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<ExplanationProgress> => {
      const response = await authorizedFetch(`/api/v1/images/${imageId}/explanation`);
      if (response.status === 202) {
        const body = (await response.json()) as { status: "pending" | "running"; method: string | null };
        return { status: body.status, method: body.method };
      }
      const url = await dataUrl(response);
      return { status: "done", url, method: response.headers.get("X-Explanation-Method") };
    },
    refetchInterval: (query) =>
      query.state.data && query.state.data.status !== "done" ? EXPLANATION_POLL_MS : false,
  });
  const error = request.error ?? (requested ? progress.error : null);
  return {
    requested,
    request: () => request.mutate(),
    asking: request.isPending,
    progress: requested ? progress.data : undefined,
    error,
    hide: () => setRequestedFor(null),
  };
}

export type Explanation = ReturnType<typeof useExplanation>;
