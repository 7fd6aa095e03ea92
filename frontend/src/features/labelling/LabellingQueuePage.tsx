import { useState } from "react";
import { useParams } from "react-router";
import { useLabelSets } from "../../shared/api/queries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { DEFAULT_BATCH_SIZE, type QueueSettings } from "./labelling";
import { Queue } from "./Queue";
import { QueueSettingsForm } from "./QueueSettingsForm";

export function LabellingQueuePage() {
  const { projectId = "" } = useParams();
  const labelSets = useLabelSets();
  const [settings, setSettings] = useState<QueueSettings | null>(null);
  const [loads, setLoads] = useState(0);

  if (labelSets.isPending) return <Loading what="label sets" />;
  if (labelSets.isError) return <ErrorAlert error={labelSets.error} onRetry={() => labelSets.refetch()} />;
  const names = labelSets.data.map((set) => set.name);
  if (names.length === 0) return <p className="text-secondary">There are no label sets.</p>;
  const applied: QueueSettings = settings ?? {
    labelSet: names.includes("cell_type") ? "cell_type" : names[0],
    strategy: "uncertainty",
    size: DEFAULT_BATCH_SIZE,
  };
  const classes = labelSets.data.find((set) => set.name === applied.labelSet)?.classes ?? [];

  return (
    <>
      <QueueSettingsForm
        settings={applied}
        labelSets={names}
        onApply={(next) => {
          setSettings(next);
          setLoads((count) => count + 1);
        }}
      />
      <Queue
        key={`${applied.labelSet}/${applied.strategy}/${applied.size}`}
        projectId={projectId}
        settings={applied}
        classes={classes}
        loads={loads}
      />
    </>
  );
}
