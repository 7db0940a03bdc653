// Small display helpers.

/** "0.4s", "12.3s", "2m 05s". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) s = 0;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.floor(s - m * 60);
  return `${m}m ${String(rest).padStart(2, "0")}s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
