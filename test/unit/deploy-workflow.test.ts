import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: {
    push?: { branches: string[] };
    pull_request?: { branches: string[] };
    workflow_dispatch?: { inputs: Record<string, { options?: string[] }> };
  };
  defaults?: { run?: { 'working-directory'?: string } };
  jobs: Record<string, Job>;
}

const workflow = parse(await readFile(join(PROJECT_ROOT, '.github/workflows/deploy.yml'), 'utf8')) as Workflow;
const scripts = (JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts;
const runLines = Object.values(workflow.jobs).flatMap((job) =>
  job.steps.flatMap((step) => step.run?.split('\n') ?? []),
);
const environmentOf = (job: Job) => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

describe('.github/workflows/deploy.yml', () => {
  it('deploys staging on every push to main and production only by hand', () => {
    expect(workflow.on.push?.branches).toEqual(['main']);
    expect(workflow.on.workflow_dispatch?.inputs.environment?.options).toEqual(['staging', 'production']);
    const { staging, production } = workflow.jobs;
    expect(environmentOf(staging as Job)).toBe('staging');
    expect(environmentOf(production as Job)).toBe('production');
    expect(production?.if).toContain("github.event_name == 'workflow_dispatch'");
    expect(production?.if).toContain("inputs.environment == 'production'");
    expect(production?.if).toContain("github.ref == 'refs/heads/main'");
  });

  it('tests every pull request into main, and never deploys one', () => {
    expect(workflow.on.pull_request?.branches).toEqual(['main']);
    const test = workflow.jobs.test as Job;
    expect(test.if).toBeUndefined();
    expect(test.steps.map((step) => step.run)).toContain('bash .ci/run');
    // The deploy jobs run only on a push or by hand: neither condition holds for pull_request.
    const { staging, production } = workflow.jobs;
    expect(staging?.if).toBe("github.event_name == 'push' || inputs.environment == 'staging'");
    expect(production?.if).toContain("github.event_name == 'workflow_dispatch'");
  });

  it('tests before it migrates and deploys, and plans (dry run) before it changes anything', () => {
    for (const name of ['staging', 'production'] as const) {
      const job = workflow.jobs[name] as Job;
      expect([job.needs].flat()).toContain('test');
      const runs = job.steps.map((step) => step.run).filter(Boolean);
      expect(runs.slice(-2)).toEqual([`npm run deploy -- --env ${name} --dry-run`, `npm run deploy -- --env ${name}`]);
      // scripts/deploy.ts reads <ENV>_DATABASE_URL first.
      expect(Object.keys(job.env ?? {})).toContain(`${name.toUpperCase()}_DATABASE_URL`);
    }
    expect(workflow.jobs.test?.steps.map((step) => step.run)).toContain('bash .ci/run');
  });

  it('runs only npm scripts and files that exist', async () => {
    const npmScripts = runLines.flatMap((line) => [...line.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]));
    expect(npmScripts.length).toBeGreaterThan(0);
    for (const script of npmScripts) expect(Object.keys(scripts)).toContain(script);
    const files = runLines.flatMap((line) => [...line.matchAll(/bash (\S+)/g)].map((match) => match[1] as string));
    expect(files).toContain('.ci/run');
    for (const file of files) await expect(access(join(PROJECT_ROOT, file))).resolves.toBeUndefined();
    // Every job checks the project out where the default working directory says it is.
    const directory = workflow.defaults?.run?.['working-directory'];
    for (const job of Object.values(workflow.jobs)) {
      expect(job.steps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with?.path).toBe(directory);
    }
  });
});
