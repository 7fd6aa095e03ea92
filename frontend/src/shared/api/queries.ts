// TanStack Query hooks, one per resource of docs/API.md.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { importLabels } from "./labelImport";
import { uploadModelVersion } from "./modelUpload";
import type { DifferentialCount, ImageSummary, LabelSet, QueueStrategy, Role } from "./types";

export const queryKeys = {
  me: ["me"] as const,
  users: ["users"] as const,
  projects: ["projects"] as const,
  project: (projectId: string) => ["projects", projectId] as const,
  images: (projectId: string) => ["projects", projectId, "images"] as const,
  landscape: (projectId: string) => ["projects", projectId, "landscape"] as const,
  differentialCount: (projectId: string) => ["projects", projectId, "differential-count"] as const,
  image: (imageId: string) => ["images", imageId] as const,
  neighbours: (imageId: string) => ["images", imageId, "neighbours"] as const,
  modelVersions: ["model-versions"] as const,
  labelSets: ["label-sets"] as const,
  labelSet: (name: string) => ["label-sets", name] as const,
  labelQueue: (name: string, strategy: string, size: number, projectId: string) =>
    ["label-sets", name, "queue", strategy, size, projectId] as const,
  learningCurve: (name: string) => ["label-sets", name, "learning-curve"] as const,
  imageLabels: (imageId: string) => ["images", imageId, "labels"] as const,
};

/** How often to ask for news while the worker still has cells of this project to classify. */
export const POLL_INTERVAL_MS = 2000;

export function isWaiting(status: string): boolean {
  return status === "pending" || status === "running";
}

export function useMe(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: () => unwrap(api.GET("/api/v1/auth/me")),
    enabled,
    staleTime: 60_000,
  });
}

export function useProjects() {
  return useQuery({ queryKey: queryKeys.projects, queryFn: () => unwrap(api.GET("/api/v1/projects")) });
}

export function useProject(projectId: string) {
  return useQuery({
    queryKey: queryKeys.project(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: projectId } } })),
  });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/projects", { body: { name } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.projects }),
  });
}

export function useRenameProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, name }: { projectId: string; name: string }) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}", {
          params: { path: { project_id: projectId } },
          body: { name },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.projects }),
  });
}

export function useDeleteProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (projectId: string) =>
      unwrap(api.DELETE("/api/v1/projects/{project_id}", { params: { path: { project_id: projectId } } })),
    onSuccess: (_data, projectId) => {
      queryClient.removeQueries({ queryKey: queryKeys.project(projectId) });
      return queryClient.invalidateQueries({ queryKey: queryKeys.projects });
    },
  });
}

/** The project's cells; polls while any of them is still waiting for the worker. */
export function useImages(projectId: string) {
  return useQuery({
    queryKey: queryKeys.images(projectId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/images", { params: { path: { project_id: projectId } } }),
      ),
    refetchInterval: (query) => {
      const images: ImageSummary[] | undefined = query.state.data;
      return images?.some((image) => isWaiting(image.status)) ? POLL_INTERVAL_MS : false;
    },
  });
}

export function useImage(imageId: string) {
  return useQuery({
    queryKey: queryKeys.image(imageId),
    queryFn: () => unwrap(api.GET("/api/v1/images/{image_id}", { params: { path: { image_id: imageId } } })),
    refetchInterval: (query) =>
      query.state.data && isWaiting(query.state.data.status) ? POLL_INTERVAL_MS : false,
  });
}

export function useNeighbours(imageId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.neighbours(imageId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/images/{image_id}/neighbours", { params: { path: { image_id: imageId } } })),
    enabled,
  });
}

export function useLandscape(projectId: string) {
  return useQuery({
    queryKey: queryKeys.landscape(projectId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/landscape", { params: { path: { project_id: projectId } } }),
      ),
  });
}

export function useDifferentialCount(projectId: string) {
  return useQuery({
    queryKey: queryKeys.differentialCount(projectId),
    // The endpoint also answers text/csv (?format=csv); without it the answer is JSON.
    queryFn: async () =>
      (await unwrap(
        api.GET("/api/v1/projects/{project_id}/differential-count", {
          params: { path: { project_id: projectId } },
        }),
      )) as DifferentialCount,
  });
}

export function useUsers() {
  return useQuery({ queryKey: queryKeys.users, queryFn: () => unwrap(api.GET("/api/v1/users")) });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { username: string; password: string; role: Role }) =>
      unwrap(api.POST("/api/v1/users", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, ...body }: { userId: string; role?: Role; password?: string }) =>
      unwrap(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: userId } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useDeleteUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.DELETE("/api/v1/users/{user_id}", { params: { path: { user_id: userId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useModelVersions() {
  return useQuery({
    queryKey: queryKeys.modelVersions,
    queryFn: () => unwrap(api.GET("/api/v1/model-versions")),
  });
}

export function useActivateModelVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: string) =>
      unwrap(api.POST("/api/v1/model-versions/{version}/activate", { params: { path: { version } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.modelVersions }),
  });
}

export function useRollbackModelVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/model-versions/rollback")),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.modelVersions }),
  });
}

export function useUploadModelVersion(onProgress: (fraction: number) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ file, activate }: { file: File; activate: boolean }) =>
      uploadModelVersion(file, activate, onProgress),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.modelVersions }),
  });
}

/** Queues the project's finished and failed cells again for the active model. */
export function useRescoreProject(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/rescore", { params: { path: { project_id: projectId } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.project(projectId) }),
  });
}

/** How often to ask whether a label set's classifier has been refitted. */
export const LABEL_SET_POLL_MS = 500;

export function useLabelSets() {
  return useQuery({
    queryKey: queryKeys.labelSets,
    queryFn: () => unwrap(api.GET("/api/v1/label-sets")),
    refetchInterval: (query) => {
      const sets: LabelSet[] | undefined = query.state.data;
      return sets?.some((set) => set.updating) ? POLL_INTERVAL_MS : false;
    },
  });
}

/** One label set; polls while its classifier is being refitted after a label change. */
export function useLabelSet(name: string, enabled = true) {
  return useQuery({
    queryKey: queryKeys.labelSet(name),
    queryFn: () => unwrap(api.GET("/api/v1/label-sets/{name}", { params: { path: { name } } })),
    enabled: enabled && name !== "",
    staleTime: 0,
    refetchInterval: (query) => (query.state.data?.updating ? LABEL_SET_POLL_MS : false),
  });
}

export function useCreateLabelSet() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; classes: string[]; description: string }) =>
      unwrap(api.POST("/api/v1/label-sets", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.labelSets }),
  });
}

export function useAddClasses() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, classes }: { name: string; classes: string[] }) =>
      unwrap(
        api.PATCH("/api/v1/label-sets/{name}", {
          params: { path: { name } },
          body: { add_classes: classes },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.labelSets }),
  });
}

export function useLearningCurve(name: string) {
  return useQuery({
    queryKey: queryKeys.learningCurve(name),
    queryFn: () =>
      unwrap(api.GET("/api/v1/label-sets/{name}/learning-curve", { params: { path: { name } } })),
    enabled: name !== "",
  });
}

export function useLabelQueue(name: string, strategy: QueueStrategy, size: number, projectId: string) {
  return useQuery({
    queryKey: queryKeys.labelQueue(name, strategy, size, projectId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/label-sets/{name}/queue", {
          params: { path: { name }, query: { strategy, size, project_id: projectId } },
        }),
      ),
    enabled: name !== "",
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useImageLabels(imageId: string) {
  return useQuery({
    queryKey: queryKeys.imageLabels(imageId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/images/{image_id}/labels", { params: { path: { image_id: imageId } } })),
  });
}

/** After a label change: the label set starts updating; its poll then refreshes what is on screen. */
function afterLabelChange(
  queryClient: ReturnType<typeof useQueryClient>,
  labelSet: string,
  imageIds: string[],
) {
  for (const imageId of imageIds) queryClient.invalidateQueries({ queryKey: queryKeys.imageLabels(imageId) });
  // The results grid marks reviewed cells and the differential count counts the reviewer's label: at once.
  queryClient.invalidateQueries({
    predicate: (query) =>
      query.queryKey[0] === "projects" &&
      ["images", "differential-count", "audit"].includes(String(query.queryKey[2])),
  });
  // Exact: not the labelling queue under the same prefix, which would reorder under the reviewer.
  queryClient.invalidateQueries({ queryKey: queryKeys.labelSet(labelSet), exact: true });
  queryClient.invalidateQueries({ queryKey: queryKeys.labelSets, exact: true });
}

export function useLabelImage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      imageId,
      ...body
    }: {
      imageId: string;
      label_set: string;
      label?: string;
      action: "set" | "confirm";
      /** Required (3–500 characters) in a signed-off case: the change is audited. */
      reason?: string;
    }) =>
      unwrap(api.POST("/api/v1/images/{image_id}/labels", { params: { path: { image_id: imageId } }, body })),
    onSuccess: (event) => afterLabelChange(queryClient, event.label_set, [event.image_id]),
  });
}

export function useBulkLabel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: {
      label_set: string;
      action: "set" | "confirm";
      items: { image_id: string; label?: string }[];
      /** Required (3–500 characters) when a cell's case is signed off: the change is audited. */
      reason?: string;
    }) => unwrap(api.POST("/api/v1/labels/bulk", { body })),
    onSuccess: (events, body) =>
      afterLabelChange(
        queryClient,
        body.label_set,
        events.map((event) => event.image_id),
      ),
  });
}

export function useUndoLabel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changeId: string) =>
      unwrap(api.POST("/api/v1/labels/{change_id}/undo", { params: { path: { change_id: changeId } } })),
    onSuccess: (event) => afterLabelChange(queryClient, event.label_set, [event.image_id]),
  });
}

/** Everything that shows predictions: refetched once a label set's classifier has been refitted. */
/** A person confirms that a cell the usable-cell check flagged counts in the differential. */
export function useConfirmUsable() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (imageId: string) =>
      unwrap(
        api.POST("/api/v1/images/{image_id}/confirm-usable", { params: { path: { image_id: imageId } } }),
      ),
    onSuccess: () => refreshResults(queryClient),
  });
}

export function refreshResults(queryClient: ReturnType<typeof useQueryClient>) {
  queryClient.invalidateQueries({ queryKey: ["projects"] });
  queryClient.invalidateQueries({ queryKey: ["images"] });
  // Not the labelling queue: it would reorder under the reviewer; it has its own "next batch" button.
  queryClient.invalidateQueries({
    queryKey: queryKeys.labelSets,
    predicate: (query) => query.queryKey[2] !== "queue",
  });
}

/**
 * Admin: imports a CSV of labels into a label set. The set's labels, counts and the labels of every cell
 * change, and its classifier starts updating (watch it with RefitStatus to refresh predictions).
 */
export function useImportLabels(labelSet: string, onProgress: (fraction: number) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (file: File) => importLabels(labelSet, file, onProgress),
    onSuccess: () => {
      // Every label set query, queues included (none is on screen where labels are imported).
      queryClient.invalidateQueries({ queryKey: queryKeys.labelSets });
      queryClient.invalidateQueries({
        queryKey: ["images"],
        predicate: (query) => query.queryKey[2] === "labels",
      });
    },
  });
}
