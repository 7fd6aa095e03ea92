import { type ImgHTMLAttributes, useState } from "react";
import { session } from "../api/session";

/**
 * An image from the API. <img> cannot send the Authorization header, so the token goes in the
 * `access_token` query parameter the backend accepts for exactly this; the browser then caches
 * and lazy-loads hundreds of thumbnails by itself.
 */
export function imageUrl(path: string): string {
  const url = new URL(path, globalThis.location.origin);
  const token = session.token();
  if (token) url.searchParams.set("access_token", token);
  return url.origin === globalThis.location.origin ? url.pathname + url.search : url.href;
}

type Props = Omit<ImgHTMLAttributes<HTMLImageElement>, "src"> & { src: string; alt: string };

export function AuthImage({ src, alt, className, width, height, ...rest }: Props) {
  const [failed, setFailed] = useState<string | null>(null);
  if (failed === src) {
    return (
      <span
        className={`image-placeholder ${className ?? ""}`}
        style={{ width, height }}
        role="img"
        aria-label={`${alt || "image"} (unavailable)`}
      >
        no image
      </span>
    );
  }
  return (
    <img
      src={imageUrl(src)}
      alt={alt}
      className={className}
      width={width}
      height={height}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(src)}
      {...rest}
    />
  );
}
