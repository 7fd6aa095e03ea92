import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useState, useSyncExternalStore } from "react";
import { serverConnection } from "../../shared/api/connection";
import { queryKeys } from "../../shared/api/queries";
import { sendChunk } from "./sendChunk";
import { type SendChunk, type UploadItem, UploadQueue } from "./uploadQueue";

const UploadContext = createContext<UploadQueue | null>(null);

/** Holds the one upload queue of the app, above the router, so uploads survive navigation. */
export function UploadProvider({ children, send = sendChunk }: { children: ReactNode; send?: SendChunk }) {
  const queryClient = useQueryClient();
  const [queue] = useState(
    () =>
      new UploadQueue(
        send,
        (projectId) => {
          void queryClient.invalidateQueries({ queryKey: queryKeys.images(projectId) });
          void queryClient.invalidateQueries({ queryKey: queryKeys.projects });
        },
        undefined,
        (failures) => serverConnection.waitOut(failures),
      ),
  );
  return <UploadContext.Provider value={queue}>{children}</UploadContext.Provider>;
}

export function useUploads(): UploadQueue {
  const queue = useContext(UploadContext);
  if (!queue) throw new Error("useUploads must be used inside <UploadProvider>");
  return queue;
}

export function useUploadItems(projectId?: string): readonly UploadItem[] {
  const queue = useUploads();
  const items = useSyncExternalStore(queue.subscribe, queue.getSnapshot);
  return projectId === undefined ? items : items.filter((item) => item.projectId === projectId);
}
