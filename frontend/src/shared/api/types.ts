// Types of the REST resources, taken from the generated schema by path (not by component name),
// so they follow whatever names the backend gives its models.
import type { paths } from "./schema.d";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type ErrorBody<Op, Status extends number> = Op extends { responses: infer R }
  ? R extends { [S in Status]: infer E }
    ? JsonOf<E>
    : never
  : never;
type Ok<Op> = Op extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer B }
      ? JsonOf<B>
      : never
  : never;

export type User = Ok<paths["/api/v1/auth/me"]["get"]>;
export type Role = User["role"];
export type LoginResponse = Ok<paths["/api/v1/auth/login"]["post"]>;
export type Project = Ok<paths["/api/v1/projects/{project_id}"]["get"]>;
export type ImageSummary = Ok<paths["/api/v1/projects/{project_id}/images"]["get"]>[number];
export type ImageStatus = ImageSummary["status"];
export type ImageDetail = Ok<paths["/api/v1/images/{image_id}"]["get"]>;
export type CellResult = NonNullable<ImageDetail["result"]>;
export type Neighbour = Ok<paths["/api/v1/images/{image_id}/neighbours"]["get"]>[number];
export type Landscape = Ok<paths["/api/v1/projects/{project_id}/landscape"]["get"]>;
export type DifferentialCount = Ok<paths["/api/v1/projects/{project_id}/differential-count"]["get"]>;
export type UploadReport = Ok<paths["/api/v1/projects/{project_id}/images"]["post"]>;
export type UploadOutcome = UploadReport["files"][number];
export type ModelVersion = Ok<paths["/api/v1/model-versions"]["get"]>[number];

export const ROLES: readonly Role[] = ["pathologist", "reviewer", "admin"];

export type LabelSet = Ok<paths["/api/v1/label-sets/{name}"]["get"]>;
export type ImageLabels = Ok<paths["/api/v1/images/{image_id}/labels"]["get"]>;
export type LabelEvent = ImageLabels["history"][number];
export type LabelQueue = Ok<paths["/api/v1/label-sets/{name}/queue"]["get"]>;
export type QueueItem = LabelQueue["review"][number];
export type QueueStrategy = LabelQueue["strategy"];
export type LearningCurve = Ok<paths["/api/v1/label-sets/{name}/learning-curve"]["get"]>;
export type LabelImport = Ok<paths["/api/v1/label-sets/{name}/labels/import"]["post"]>;
/** The 400 of a label import whose rows are at fault: the rows as data beside the sentence. */
export type LabelImportRejected = ErrorBody<paths["/api/v1/label-sets/{name}/labels/import"]["post"], 400>;
export type ImportProblem = LabelImportRejected["problems"][number];

export type CaseDetails = Ok<paths["/api/v1/projects/{project_id}/case"]["get"]>;
export type CaseUpdate = NonNullable<
  paths["/api/v1/projects/{project_id}/case"]["patch"]["requestBody"]
>["content"]["application/json"];
export type Capabilities = Ok<paths["/api/v1/projects/{project_id}/capabilities"]["get"]>;
export type Member = Ok<paths["/api/v1/projects/{project_id}/members"]["get"]>[number];
export type ClassName = Ok<paths["/api/v1/class-names"]["get"]>[number];
export type LabDifferential = Ok<paths["/api/v1/projects/{project_id}/lab-differential"]["get"]>;
export type LabClassCount = LabDifferential["classes"][number];
export type AuditEntry = Ok<paths["/api/v1/projects/{project_id}/audit"]["get"]>[number];
