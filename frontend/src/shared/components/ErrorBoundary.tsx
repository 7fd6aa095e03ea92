import { Component, type ErrorInfo, type ReactNode } from "react";

type Props = { children: ReactNode; resetKey?: string };
type State = { error: Error | null };

/** Shows a readable message instead of a blank page when a screen crashes; resets on navigation. */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(previous: Props) {
    if (this.state.error && previous.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("HemoSight screen error", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="alert alert-danger" role="alert">
        <h2 className="h5">This screen could not be shown</h2>
        <p className="mb-2">{this.state.error.message || "An unexpected error occurred."}</p>
        <p className="mb-0">
          <button
            type="button"
            className="btn btn-sm btn-outline-danger me-2"
            onClick={() => this.setState({ error: null })}
          >
            Try again
          </button>
          <a href="/projects" className="btn btn-sm btn-link">
            Back to projects
          </a>
        </p>
      </div>
    );
  }
}
