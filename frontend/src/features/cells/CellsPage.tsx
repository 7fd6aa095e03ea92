import { useParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { useImages } from "../../shared/api/queries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { UploadPanel } from "../uploads/UploadPanel";
import { ResultsTable } from "./ResultsTable";

export function CellsPage() {
  const { projectId = "" } = useParams();
  const images = useImages(projectId);
  const canUpload = useCapabilities(projectId).data?.upload === true;
  return (
    <>
      {canUpload && <UploadPanel projectId={projectId} compact={(images.data?.length ?? 0) > 0} />}
      {images.isPending && <Loading what="cells" />}
      {images.isError && <ErrorAlert error={images.error} onRetry={() => images.refetch()} />}
      {images.data && images.data.length === 0 && (
        <p className="text-secondary">
          No cells in this project yet{canUpload ? ": upload images above" : ""}.
        </p>
      )}
      {images.data && images.data.length > 0 && <ResultsTable projectId={projectId} images={images.data} />}
    </>
  );
}
