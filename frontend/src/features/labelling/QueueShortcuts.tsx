export function QueueShortcuts({ classCount }: { classCount: number }) {
  return (
    <section className="small text-secondary mt-3" aria-label="Keyboard shortcuts">
      <h3 className="h6 text-body">Keyboard shortcuts</h3>
      <ul className="list-unstyled mb-0 queue-shortcuts">
        <li>
          <kbd>1</kbd>–<kbd>{Math.max(1, Math.min(9, classCount))}</kbd> pick a class
        </li>
        <li>
          <kbd>Enter</kbd> save the picked class (or confirm the prediction) and go to the next cell
        </li>
        <li>
          <kbd>←</kbd> <kbd>→</kbd> previous / next cell
        </li>
      </ul>
    </section>
  );
}
