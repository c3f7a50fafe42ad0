// tools/check-workspace.mjs, the checker `npm run lint` runs, pointed at small workspaces built
// in a temporary folder: a clean one passes, and each rule fails on one change that breaks it.
// It lives here because tools/ has no test project, and this package holds the workspace's test
// conventions (exampleBlock, runExample) that the checker enforces.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const checker = fileURLToPath(new URL('../../../tools/check-workspace.mjs', import.meta.url));

interface Project {
  name?: string;
  tags: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The projects of the clean workspace, by folder: one or two per layer and type. */
function cleanProjects(): Record<string, Project> {
  return {
    'packages/errors': { tags: ['type:lib', 'layer:kernel'] },
    'packages/split': { tags: ['type:lib', 'layer:kernel'], dependencies: dep('errors') },
    'packages/geo': {
      tags: ['type:lib', 'layer:io'],
      dependencies: dep('errors'),
      devDependencies: dep('fixtures'),
    },
    'packages/job-queue': { tags: ['type:lib', 'layer:infra'], dependencies: dep('errors') },
    'packages/service-kit': { tags: ['type:lib', 'layer:infra'], dependencies: dep('errors') },
    'packages/fixtures': { tags: ['type:testing', 'layer:infra'], dependencies: dep('errors') },
    'packages/cases': {
      tags: ['type:lib', 'layer:usecase'],
      dependencies: dep('geo', 'job-queue'),
      devDependencies: dep('fixtures'),
    },
    'apps/server': {
      tags: ['type:app', 'layer:app'],
      dependencies: dep('cases', 'service-kit'),
      devDependencies: dep('fixtures'),
    },
    'apps/admin': { tags: ['type:app', 'layer:app'], dependencies: dep('service-kit') },
  };
}

function dep(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [`@geoworks/${name}`, '0.1.0']));
}

const example = (name: string) =>
  `import { value } from '@geoworks/${name}';\n\nconsole.log(value);\n`;

/** A project's files: what every rule asks of it (a library's README example, its tests). */
function projectFiles(where: string, project: Project): Record<string, string> {
  const folder = where.split('/')[1]!;
  const packageJson = {
    name: project.name ?? `@geoworks/${folder}`,
    version: '0.1.0',
    type: 'module',
    scripts: { build: 'tsc', test: 'vitest run', lint: 'eslint .', typecheck: 'tsc' },
    ...(project.dependencies === undefined ? {} : { dependencies: project.dependencies }),
    ...(project.devDependencies === undefined ? {} : { devDependencies: project.devDependencies }),
    nx: { tags: project.tags },
  };
  const files: Record<string, string> = {
    'package.json': JSON.stringify(packageJson, null, 2),
    'src/value.ts': 'export const value = 1;\nexport type Value = number;\n',
    'test/value.test.ts': "import { value } from '../src/value.js';\n\nvoid value;\n",
  };
  if (where.startsWith('apps/')) return { ...files, 'README.md': `# ${folder}\n` };
  return {
    ...files,
    // Every kind of re-export, between comments, passes.
    'src/index.ts':
      '// The public API.\n' +
      "export { value } from './value.js';\n" +
      "export type {\n  Value,\n} from './value.js'; /* its type */\n" +
      "export * as values from './value.js';\n",
    'test/fixtures/example.ts': example(folder),
    'test/example.test.ts':
      "const example = new URL('./fixtures/example.ts', import.meta.url);\n" +
      "const readme = new URL('../README.md', import.meta.url);\n",
    'README.md': `# ${folder}\n\n\`\`\`ts\n${example(folder)}\`\`\`\n`,
  };
}

const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/**
 * Writes the clean workspace with `change` applied to its projects, and `changedFiles` written
 * over its files (null: left out).
 */
function workspace(
  change: (projects: Record<string, Project>) => void = () => {},
  changedFiles: Record<string, string | null> = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'check-workspace-'));
  roots.push(root);
  const projects = cleanProjects();
  change(projects);
  const files: Record<string, string | null> = {};
  for (const [where, project] of Object.entries(projects)) {
    for (const [file, text] of Object.entries(projectFiles(where, project)))
      files[`${where}/${file}`] = text;
  }
  for (const [path, text] of Object.entries({ ...files, ...changedFiles })) {
    if (text === null) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  const { status, stdout, stderr } = spawnSync(process.execPath, [checker, root], {
    encoding: 'utf8',
  });
  return { status, stdout, stderr };
}

/** What the checker prints for these problems. */
const failure = (...lines: string[]) =>
  `check-workspace: ${lines.length} problem(s)\n${lines.map((line) => `  - ${line}\n`).join('')}`;

describe('tools/check-workspace.mjs', () => {
  it('passes a workspace that keeps every rule', () => {
    expect(check(workspace())).toEqual({
      status: 0,
      stdout:
        'check-workspace: 9 projects, shape, layers and dependencies OK (0 warning(s), 0 pending)\n',
      stderr: '',
    });
  });

  it('warns about a file over 600 lines, without failing', () => {
    const long = 'export const value = 1;\n' + '// a line\n'.repeat(600);
    expect(check(workspace(undefined, { 'packages/geo/src/value.ts': long }))).toEqual({
      status: 0,
      stdout:
        'check-workspace: 9 projects, shape, layers and dependencies OK (1 warning(s), 0 pending)\n',
      stderr:
        'check-workspace: warning: packages/geo/src/value.ts: 601 lines (over 600); split it along its concerns\n',
    });
  });

  const broken: {
    rule: string;
    change?: (projects: Record<string, Project>) => void;
    files?: Record<string, string | null>;
    problems: string[];
  }[] = [
    {
      rule: 'shape: a package named after its folder',
      change: (projects) => void (projects['packages/split']!.name = '@geoworks/splitter'),
      problems: [
        'packages/split/package.json: name should be @geoworks/split, not @geoworks/splitter [shape]',
      ],
    },
    {
      rule: 'tags: a layer tag',
      change: (projects) => void (projects['packages/geo']!.tags = ['type:lib']),
      problems: [
        'packages/geo/package.json: nx.tags should hold exactly one layer tag, one of layer:kernel, layer:io, layer:infra, layer:usecase in packages/ (found none) [tags]',
      ],
    },
    {
      rule: 'tags: one type tag',
      change: (projects) =>
        void (projects['packages/geo']!.tags = ['type:lib', 'type:testing', 'layer:io']),
      problems: [
        'packages/geo/package.json: nx.tags should hold exactly one type tag, one of type:lib, type:testing in packages/ (found type:lib, type:testing) [tags]',
      ],
    },
    {
      rule: 'tags: consistent with the folder',
      change: (projects) => void (projects['apps/admin']!.tags = ['type:app', 'layer:usecase']),
      problems: [
        'apps/admin/package.json: nx.tags should hold exactly one layer tag, one of layer:app in apps/ (found layer:usecase) [tags]',
      ],
    },
    {
      rule: 'layers: a kernel package depends on kernel packages only',
      change: (projects) => void (projects['packages/split']!.dependencies = dep('errors', 'geo')),
      problems: [
        'packages/split/package.json: dependencies has @geoworks/geo (layer:io); a kernel package depends on kernel packages only [layers]',
      ],
    },
    {
      rule: 'layers: nothing depends on a higher layer',
      change: (projects) =>
        void (projects['packages/service-kit']!.dependencies = dep('errors', 'cases')),
      problems: [
        'packages/service-kit/package.json: dependencies has @geoworks/cases (layer:usecase); a layer:infra project depends only on its layer or lower ones (kernel < io, infra < usecase < app) [layers]',
      ],
    },
    {
      rule: 'no-app-dependencies',
      change: (projects) => void (projects['apps/admin']!.devDependencies = dep('server')),
      problems: [
        'apps/admin/package.json: devDependencies has the app @geoworks/server; apps are never dependencies [no-app-dependencies]',
      ],
    },
    {
      rule: 'no-cycles',
      change: (projects) => {
        projects['packages/fixtures']!.dependencies = dep('errors', 'job-queue');
        projects['packages/job-queue']!.devDependencies = dep('fixtures');
      },
      problems: [
        'packages/fixtures/package.json: dependency cycle: @geoworks/fixtures -> @geoworks/job-queue -> @geoworks/fixtures [no-cycles]',
      ],
    },
    {
      rule: 'imports-declared',
      files: { 'packages/geo/src/queue.ts': "export * from '@geoworks/cases';\n" },
      problems: [
        'packages/geo/src/queue.ts: imports @geoworks/cases, which is not in its "dependencies" [imports-declared]',
      ],
    },
    {
      rule: 'testing-dev-only',
      change: (projects) => {
        projects['packages/cases']!.dependencies = dep('geo', 'job-queue', 'fixtures');
        delete projects['packages/cases']!.devDependencies;
      },
      problems: [
        'packages/cases/package.json: dependencies has @geoworks/fixtures, a testing package; testing packages go in devDependencies only [testing-dev-only]',
      ],
    },
    {
      rule: 'no-job-queue-below-usecases',
      change: (projects) =>
        void (projects['packages/geo']!.devDependencies = dep('fixtures', 'job-queue')),
      problems: [
        'packages/geo/package.json: devDependencies has @geoworks/job-queue; kernel and io packages compute; running them as background jobs is a use case [no-job-queue-below-usecases]',
      ],
    },
    {
      rule: 'service-kit-apps-only',
      change: (projects) =>
        void (projects['packages/cases']!.dependencies = dep('geo', 'job-queue', 'service-kit')),
      problems: [
        'packages/cases/package.json: dependencies has @geoworks/service-kit; only apps use the service kit (HTTP, config, logging); libraries stay out of HTTP [service-kit-apps-only]',
      ],
    },
    {
      rule: 'index-reexports-only: code',
      files: {
        'packages/split/src/index.ts':
          "export { value } from './value.js';\n// Defined here.\nexport const twice = 2;\n",
      },
      problems: [
        'packages/split/src/index.ts: holds "export const twice = 2"; an index only re-exports (export ... from): move code into a module and re-export it [index-reexports-only]',
      ],
    },
    {
      rule: 'index-reexports-only: a side-effect import',
      files: {
        'packages/split/src/index.ts':
          "import './setup.js';\nexport { value } from './value.js';\n",
      },
      problems: [
        'packages/split/src/index.ts: holds "import \'./setup.js\'"; an index only re-exports (export ... from): move code into a module and re-export it [index-reexports-only]',
      ],
    },
    {
      rule: 'own-tests',
      files: { 'apps/admin/test/value.test.ts': null },
      problems: ['apps/admin/test: holds no *.test.ts: every project tests itself [own-tests]'],
    },
    {
      rule: 'readme-example: the README shows the example word for word',
      files: { 'packages/geo/test/fixtures/example.ts': `${example('geo')}// changed\n` },
      problems: [
        'packages/geo/README.md: has no ```ts example that is, word for word, a file under test/ (as packages/json-split: test/fixtures/example.ts, compared and run by test/example.test.ts) [readme-example]',
      ],
    },
    {
      rule: 'readme-example: a test compares and runs it',
      files: {
        'packages/geo/test/example.test.ts':
          "const example = new URL('./fixtures/example.ts', import.meta.url);\n",
      },
      problems: [
        'packages/geo/README.md: its example test/fixtures/example.ts is named by no test that also reads README.md: a test compares them (exampleBlock) and runs the example [readme-example]',
      ],
    },
  ];

  it.each(broken)(
    'fails on a broken rule, $rule, naming the file',
    ({ change, files, problems }) => {
      expect(check(workspace(change, files))).toEqual({
        status: 1,
        stdout: '',
        stderr: failure(...problems),
      });
    },
  );
});
