import { useParams, useSearchParams } from "react-router";
import { useCapabilities, useClassNames } from "../../shared/api/caseQueries";
import { useImages } from "../../shared/api/queries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { CellGallery } from "../gallery/CellGallery";
import { UploadPanel } from "../uploads/UploadPanel";
import { ResultsTable } from "./ResultsTable";
import { viewMode } from "./reviewOrder";

/** A case's cells: the gallery by class (the review view), or the table (`?view=table`). */
export function CellsPage() {
  const { projectId = "" } = useParams();
  const [params] = useSearchParams();
  const images = useImages(projectId);
  // The lab's names decide the groups' order and the number keys: wait for them (a failure falls back to codes).
  const names = useClassNames();
  const canUpload = useCapabilities(projectId).data?.upload === true;
  const hasCells = (images.data?.length ?? 0) > 0;
  return (
    <>
      {canUpload && <UploadPanel projectId={projectId} compact={hasCells} />}
      {(images.isPending || names.isPending) && <Loading what="cells" />}
      {images.isError && <ErrorAlert error={images.error} onRetry={() => images.refetch()} />}
      {images.data && images.data.length === 0 && (
        <p className="text-secondary">
          No cells in this project yet{canUpload ? ": upload images above" : ""}.
        </p>
      )}
      {images.data &&
        hasCells &&
        !names.isPending &&
        (viewMode(params) === "table" ? (
          <ResultsTable projectId={projectId} images={images.data} />
        ) : (
          <CellGallery projectId={projectId} images={images.data} />
        ))}
    </>
  );
}
