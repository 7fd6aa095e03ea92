import { authorizedFetch } from "./client";

/** Saves a file the backend produces (CSV exports) under `name`, with the session's token. */
export async function download(path: string, name: string): Promise<void> {
  const response = await authorizedFetch(path);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name made from a project name: "Case 7/A" → "Case_7_A-<suffix>". */
export function exportName(projectName: string | undefined, suffix: string): string {
  const base = (projectName ?? "project").replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "") || "project";
  return `${base}-${suffix}`;
}
