/**
 * Delay before the next delivery attempt after `attempts` failed ones: base, 2 × base, 4 × base …
 * capped (1 s, 2 s, 4 s … 60 s by default).
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 40));
  return Math.min(baseMs * 2 ** exponent, maxMs);
}

/** Whether a delivery first queued at `createdAt` has retried long enough to give up. */
export function retryWindowOver(createdAt: Date, now: Date, windowMs: number): boolean {
  return now.getTime() - createdAt.getTime() >= windowMs;
}
