// TanStack Query hooks of the review station's case resources (docs/API.md, "Review station").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { CaseUpdate, LabDifferential } from "./types";

export const caseKeys = {
  details: (projectId: string) => ["projects", projectId, "case"] as const,
  capabilities: (projectId: string) => ["projects", projectId, "capabilities"] as const,
  members: (projectId: string) => ["projects", projectId, "members"] as const,
  labDifferential: (projectId: string) => ["projects", projectId, "lab-differential"] as const,
  audit: (projectId: string) => ["projects", projectId, "audit"] as const,
  classNames: ["class-names"] as const,
};

const path = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export function useCaseDetails(projectId: string) {
  return useQuery({
    queryKey: caseKeys.details(projectId),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}/case", path(projectId))),
  });
}

/** What the signed-in user may do on this case now; the app shows only the buttons that are true. */
export function useCapabilities(projectId: string) {
  return useQuery({
    queryKey: caseKeys.capabilities(projectId),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}/capabilities", path(projectId))),
  });
}

/** After a change of the case's state everything of the project may read differently: refetch it all. */
function useRefreshProject(projectId: string) {
  const queryClient = useQueryClient();
  return () => {
    queryClient.invalidateQueries({ queryKey: ["projects", projectId] });
    queryClient.invalidateQueries({ queryKey: ["projects"], exact: true });
  };
}

export function useUpdateCase(projectId: string) {
  const refresh = useRefreshProject(projectId);
  return useMutation({
    mutationFn: (body: CaseUpdate) =>
      unwrap(api.PATCH("/api/v1/projects/{project_id}/case", { ...path(projectId), body })),
    onSuccess: refresh,
  });
}

export function useSignOff(projectId: string) {
  const refresh = useRefreshProject(projectId);
  return useMutation({
    mutationFn: (comment: string) =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/sign-off", {
          ...path(projectId),
          body: { comment: comment || null },
        }),
      ),
    onSuccess: refresh,
  });
}

export function useReopen(projectId: string) {
  const refresh = useRefreshProject(projectId);
  return useMutation({
    mutationFn: (reason: string) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/reopen", { ...path(projectId), body: { reason } })),
    onSuccess: refresh,
  });
}

export function useMembers(projectId: string) {
  return useQuery({
    queryKey: caseKeys.members(projectId),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}/members", path(projectId))),
  });
}

export function useAddMember(projectId: string) {
  const refresh = useRefreshProject(projectId);
  return useMutation({
    mutationFn: (username: string) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/members", { ...path(projectId), body: { username } })),
    onSuccess: refresh,
  });
}

export function useRemoveMember(projectId: string) {
  const refresh = useRefreshProject(projectId);
  return useMutation({
    mutationFn: (username: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/members/{username}", {
          params: { path: { project_id: projectId, username } },
        }),
      ),
    onSuccess: refresh,
  });
}

/** The one mapping from class code to the lab's name; it does not change while the app runs. */
export function useClassNames() {
  return useQuery({
    queryKey: caseKeys.classNames,
    queryFn: () => unwrap(api.GET("/api/v1/class-names")),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useLabDifferential(projectId: string) {
  return useQuery({
    queryKey: caseKeys.labDifferential(projectId),
    // The endpoint also answers text/csv (?format=csv); without it the answer is JSON.
    queryFn: async () =>
      (await unwrap(
        api.GET("/api/v1/projects/{project_id}/lab-differential", path(projectId)),
      )) as LabDifferential,
  });
}

/** Sign-offs, reopenings and every label change made after sign-off, with who, when and why (oldest first). */
export function useAuditLog(projectId: string, enabled = true) {
  return useQuery({
    queryKey: caseKeys.audit(projectId),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}/audit", path(projectId))),
    enabled,
  });
}
