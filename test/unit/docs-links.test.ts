/**
 * The README and docs/ link to each other and to the code by relative paths: every one of them
 * must resolve to a file or folder of the checkout (and a `#anchor` to a heading of its target).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

const DOCS = join(PROJECT_ROOT, 'docs');

function markdownFiles(): string[] {
  const docs = existsSync(DOCS) ? readdirSync(DOCS).filter((name) => name.endsWith('.md')) : [];
  return ['README.md', 'RELIABILITY.md', 'BENCHMARKS.md', ...docs.map((name) => join('docs', name))].filter((file) =>
    existsSync(join(PROJECT_ROOT, file)),
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(
      (heading ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

/** Relative links outside code blocks: [text](target), without a scheme. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('README and docs/ links', () => {
  it('finds the README and at least one more document', () => {
    expect(markdownFiles()).toContain('README.md');
    expect(markdownFiles().length).toBeGreaterThan(1);
  });

  for (const file of markdownFiles()) {
    it(`${file}: every relative link resolves`, () => {
      const markdown = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      const broken: string[] = [];
      for (const link of relativeLinks(markdown)) {
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? join(PROJECT_ROOT, file) : join(PROJECT_ROOT, dirname(file), path);
        if (!existsSync(target)) {
          broken.push(`${link} (no ${relative(PROJECT_ROOT, target)})`);
        } else if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${link} (no heading #${anchor} in ${relative(PROJECT_ROOT, target)})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
