/**
 * BENCHMARKS.md as one file with several parts: the report of the baseline run (`npm run bench`,
 * 200 000 orders), a section per bigger scale (`## At 1,000,000 orders`, from a run with
 * --baseline), and the "Step CPU and memory" section (npm run bench:steps). Each run rewrites its
 * own part and keeps the others.
 */

/** BENCHMARKS.md's section written from `npm run bench:steps` (scripts/bench/steps.ts). */
export const STEP_SECTION = '## Step CPU and memory';
const SCALE_SECTION = /^## At [\d,]+ orders\b/;

interface Section {
  heading: string;
  text: string;
}

/** The text before the first `## ` heading, and each `## ` section up to the next one. */
function splitSections(markdown: string): { preamble: string; sections: Section[] } {
  const parts = markdown.split(/^(?=## )/m);
  const preamble = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return {
    preamble,
    sections: parts.map((text) => ({ heading: text.slice(0, text.indexOf('\n') + 1 || undefined).trim(), text })),
  };
}

const ensureBlankLine = (text: string) =>
  text === '' || text.endsWith('\n\n') ? text : `${text.replace(/\n*$/, '')}\n\n`;
const join = (parts: string[]) =>
  parts
    .filter((p) => p !== '')
    .map((p, i, all) => (i < all.length - 1 ? ensureBlankLine(p) : p))
    .join('');

/** A baseline run's report: replaces everything but the scale sections and the step section, kept after it. */
export function withReport(previous: string, report: string): string {
  const kept = splitSections(previous).sections.filter(
    (s) => SCALE_SECTION.test(s.heading) || s.heading.startsWith(STEP_SECTION),
  );
  const scales = kept.filter((s) => SCALE_SECTION.test(s.heading)).map((s) => s.text);
  const steps = kept.filter((s) => s.heading.startsWith(STEP_SECTION)).map((s) => s.text);
  return join([report, ...scales, ...steps]);
}

/**
 * A scale run's section: replaces the section with the same heading start (`headingStart`), else
 * goes before the step section. With no file yet, `report` (the scale run's own full report) leads.
 */
export function withScaleSection(previous: string, headingStart: string, section: string, report: string): string {
  if (previous.trim() === '') return join([report, section]);
  const { preamble, sections } = splitSections(previous);
  const texts = sections.map((s) => s.text);
  const same = sections.findIndex((s) => s.heading === headingStart || s.heading.startsWith(`${headingStart} `));
  if (same !== -1) texts[same] = section;
  else {
    const steps = sections.findIndex((s) => s.heading.startsWith(STEP_SECTION));
    texts.splice(steps === -1 ? texts.length : steps, 0, section);
  }
  return join([preamble, ...texts]);
}
