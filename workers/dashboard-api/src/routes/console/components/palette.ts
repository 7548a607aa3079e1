/**
 * The console's colours, with the pairs that must stay readable: text at least 4.5:1 against what
 * it sits on (WCAG 2.x AA), chart marks and control borders at least 3:1 (non-text contrast). A
 * unit test computes every ratio in CONTRAST_PAIRS.
 */
export const PALETTE = {
  page: '#ffffff',
  text: '#1d2329',
  muted: '#566270',
  rule: '#dfe3e7',
  panel: '#f4f6f8',
  link: '#1d5aa6',
  legacy: '#1d5aa6',
  new: '#a34a00',
  pass: '#1c6e36',
  passTint: '#e3f3e8',
  fail: '#b3261e',
  failTint: '#fbe4e2',
  error: '#7a4a00',
  errorTint: '#fbecd2',
  active: '#24508f',
  activeTint: '#e3ecfa',
  neutralTint: '#eceff2',
  band: '#e6ebf1',
  barWithin: '#5d6b7a',
  button: '#1d5aa6',
  buttonText: '#ffffff',
  progress: '#1d5aa6',
  progressTrack: '#dfe3e7',
} as const;

export type Colour = keyof typeof PALETTE;

/** [foreground, background, minimum ratio, what it is]. */
export const CONTRAST_PAIRS: [Colour, Colour, number, string][] = [
  ['text', 'page', 4.5, 'body text'],
  ['muted', 'page', 4.5, 'secondary text'],
  ['muted', 'panel', 4.5, 'secondary text on table heads'],
  ['text', 'panel', 4.5, 'table heads'],
  ['link', 'page', 4.5, 'links'],
  ['legacy', 'page', 4.5, 'legacy line and its legend'],
  ['new', 'page', 4.5, 'new line and its legend'],
  ['legacy', 'band', 3, 'legacy line over the tolerance band'],
  ['new', 'band', 3, 'new line over the tolerance band'],
  ['fail', 'page', 4.5, 'days beyond the tolerance, failing runs'],
  ['fail', 'band', 3, 'difference bars beyond the tolerance over the band'],
  ['barWithin', 'page', 3, 'difference bars within the tolerance'],
  ['barWithin', 'band', 3, 'difference bars within the tolerance over the band'],
  ['pass', 'page', 4.5, 'passing runs'],
  ['error', 'page', 4.5, 'errored runs'],
  ['pass', 'passTint', 4.5, 'pass badge'],
  ['fail', 'failTint', 4.5, 'fail badge'],
  ['error', 'errorTint', 4.5, 'error badge'],
  ['active', 'activeTint', 4.5, 'queued / running badge'],
  ['text', 'neutralTint', 4.5, 'succeeded badge'],
  ['text', 'failTint', 4.5, 'failure notices'],
  ['text', 'activeTint', 4.5, 'notices'],
  ['buttonText', 'button', 4.5, 'button label'],
  ['button', 'page', 3, 'button against the page'],
  ['progress', 'progressTrack', 3, 'progress bar against its track'],
  ['progress', 'page', 3, 'progress bar against the page'],
];

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2.x relative luminance of "#rrggbb". */
export function relativeLuminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
