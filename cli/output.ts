/** Where commands write, and whether they may use colour. */
import { styleText } from "node:util";

export interface Output {
  readonly color: boolean;
  /** stderr is a terminal: progress may be drawn there (never when output is captured). */
  readonly interactive?: boolean;
  stdout(text: string): void;
  stderr(text: string): void;
  paint(style: Parameters<typeof styleText>[0], text: string): string;
}

export function processOutput(): Output {
  const color = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb";
  return {
    color,
    interactive: Boolean(process.stderr.isTTY),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    paint: (style, text) => (color ? styleText(style, text) : text),
  };
}
