import { useWindowKeydown } from "../../shared/hooks/useWindowKeydown";
import { queueKeyAction } from "./labelling";

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
}

type QueueKeyHandlers = { pick: (label: string) => void; move: (step: number) => void; save: () => void };

/** The queue's keyboard shortcuts (1–9 pick a class, Enter saves, arrows move), away from form fields. */
export function useQueueKeys(classes: string[], { pick, move, save }: QueueKeyHandlers): void {
  useWindowKeydown((event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
    const action = queueKeyAction(event.key, classes.length);
    if (!action) return;
    if (
      action.kind === "confirm" &&
      event.target instanceof HTMLElement &&
      /^(BUTTON|A)$/.test(event.target.tagName)
    ) {
      return; // Enter on a button presses that button.
    }
    event.preventDefault();
    if (action.kind === "pick") pick(classes[action.index]);
    else if (action.kind === "next") move(1);
    else if (action.kind === "previous") move(-1);
    else save();
  });
}
