/** The frame every console page shares: head, navigation, who is signed in, a notice. */
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { STYLE } from './style.ts';

export interface Viewer {
  name: string;
  role: string;
}

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

const PAGES = [
  { href: '/console', label: 'Cutover console' },
  { href: '/console/syncs', label: 'Syncs' },
] as const;

export const Layout: FC<{
  title: string;
  current: (typeof PAGES)[number]['href'];
  viewer: Viewer;
  notice: Notice | null;
  /** Seconds until the page reloads itself (while something runs); null: it stays. */
  refreshSeconds: number | null;
  script?: string;
  children?: Child;
}> = ({ title, current, viewer, notice, refreshSeconds, script, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        {refreshSeconds ? <meta http-equiv="refresh" content={String(refreshSeconds)} /> : null}
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <header>
          <nav aria-label="Console pages">
            {PAGES.map((p) => (
              <a href={p.href} aria-current={p.href === current ? 'page' : undefined}>
                {p.label}
              </a>
            ))}
          </nav>
          <span class="muted small">
            {viewer.name} ({viewer.role})
          </span>
        </header>
        <main>
          <h1>{title}</h1>
          {notice ? (
            <p class={`notice ${notice.kind}`} role="status">
              {notice.text}
            </p>
          ) : null}
          {children}
        </main>
        {script ? <script dangerouslySetInnerHTML={{ __html: script }} /> : null}
      </body>
    </html>
  </>
);

export const Badge: FC<{ value: string | null; label?: string }> = ({ value, label }) => (
  <span class={`badge ${value ?? 'queued'}`}>{label ?? value ?? '—'}</span>
);

export const Empty: FC<{ children?: Child }> = ({ children }) => <div class="empty">{children}</div>;
