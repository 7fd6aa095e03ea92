import { useMemo } from "react";
import { useLearningCurve } from "../../shared/api/queries";
import { learningCurveSpec } from "../../shared/charts/specs";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { VegaChart } from "../../shared/components/VegaChart";

export function LearningCurve({ name }: { name: string }) {
  const curve = useLearningCurve(name);
  const spec = useMemo(
    () => (curve.data ? learningCurveSpec(curve.data.points, curve.data.power_law) : null),
    [curve.data],
  );
  if (curve.isPending) return <Loading what="learning curve" />;
  if (curve.isError) return <ErrorAlert error={curve.error} onRetry={() => curve.refetch()} />;
  const scored = curve.data.points.filter((point) => point.agreement !== null).length;
  const fit = curve.data.power_law;
  return (
    <>
      <p className="small text-secondary">
        {curve.data.points.length} classifier {curve.data.points.length === 1 ? "version" : "versions"};{" "}
        {scored} scored on cells labelled after them.{" "}
        {fit
          ? `Power-law fit: plateau ${(fit.p_max * 100).toFixed(1)}% (RMSE ${fit.rmse.toFixed(3)}).`
          : "The power-law fit needs at least 4 scored versions."}
      </p>
      {scored > 0 && spec ? (
        <VegaChart spec={spec} label={`Learning curve of label set ${name}`} className="w-100" />
      ) : (
        <p className="text-secondary">
          No points yet: each classifier version is scored on the cells labelled after it.
        </p>
      )}
    </>
  );
}
