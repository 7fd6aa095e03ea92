import { Link } from "react-router";

export function NotFoundPage() {
  return (
    <div className="py-5 text-center">
      <h1 className="h4">Page not found</h1>
      <p className="text-secondary">The address may be mistyped, or the project or cell was deleted.</p>
      <Link to="/projects" className="btn btn-primary">
        Go to projects
      </Link>
    </div>
  );
}
