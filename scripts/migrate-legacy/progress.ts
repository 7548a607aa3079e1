/**
 * A progress bar per table with rows/s, drawn on stderr only when it is a terminal (logs and
 * tests get the plain summary lines `run` prints on stdout instead).
 */
export interface TableProgress {
  advance(rows: number): void;
  finish(): void;
}

export interface Progress {
  table(name: string, total: number, alreadyDone: number): TableProgress;
}

const WIDTH = 28;
const REDRAW_MS = 100;

export const silentProgress: Progress = {
  table: () => ({ advance: () => {}, finish: () => {} }),
};

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  return {
    table(name, total, alreadyDone) {
      const started = performance.now();
      let done = alreadyDone;
      let copied = 0;
      let drawn = 0;
      const draw = (final: boolean) => {
        const now = performance.now();
        if (!final && now - drawn < REDRAW_MS) return;
        drawn = now;
        const share = total > 0 ? Math.min(done / total, 1) : 1;
        const filled = Math.round(share * WIDTH);
        const rate = copied / Math.max((now - started) / 1000, 0.001);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
        stream.write(
          `\r${name.padEnd(32)} ${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows  ${Math.round(rate).toLocaleString('en')} rows/s\u001b[K${final ? '\n' : ''}`,
        );
      };
      draw(true);
      return {
        advance(rows) {
          done += rows;
          copied += rows;
          draw(false);
        },
        finish() {
          draw(true);
        },
      };
    },
  };
}
