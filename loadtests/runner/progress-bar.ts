/** The progress line `turnpike slo run` redraws on a terminal's stderr. */

/** `[██████░░░░░░]  52%  5.2/10 s  1040 responses`, `width` cells wide. */
export function progressBar(elapsedSeconds: number, totalSeconds: number, responses: number, width = 30): string {
  const share = totalSeconds <= 0 ? 1 : Math.min(1, Math.max(0, elapsedSeconds / totalSeconds));
  const filled = Math.round(share * width);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${percent}  ${Math.min(elapsedSeconds, totalSeconds).toFixed(1)}/${totalSeconds} s  ${responses} responses`;
}
