#!/usr/bin/env node
// Checks the workspace's shape, so it stays what the README and docs/architecture.md say it is.
// Each rule is one function below; a problem names the file, what is wrong and the rule:
// - shape: every project in packages/ and apps/ is named @geoworks/<folder> (an app whose
//   folder matches a library's: @geoworks/<folder>-app), is an ES module package with the
//   build/test/lint/typecheck scripts and a README; a library has its entry point src/index.ts;
// - tags: exactly one type:* tag (lib or testing in packages/, app in apps/) and one layer:*
//   tag (kernel, io, infra or usecase in packages/, app in apps/);
// - layers: a project depends only on projects of its layer or a lower one (kernel < io and
//   infra < usecase < app); a kernel package only on kernel packages;
// - no-app-dependencies, no-cycles, imports-declared: nothing depends on an app, workspace
//   dependencies have no cycles, and every workspace package a project imports is declared (in
//   "dependencies" when its src/ imports it, in any dependency field for tests and benchmarks);
// - testing-dev-only: type:testing packages appear in devDependencies only;
// - no-job-queue-below-usecases: kernel and io packages never depend on @geoworks/job-queue;
// - service-kit-apps-only: only apps depend on @geoworks/service-kit;
// - index-reexports-only: a src/index.ts holds only `export ... from` statements and comments;
// - own-tests: every project has test/**/*.test.ts;
// - readme-example: every package's README shows a ```ts example that is, word for word, a
//   file under its test/, and a test names that file and README.md (it compares them with
//   exampleBlock and runs the example);
// and warns (without failing) about TypeScript files over MAX_LINES lines.
//
// Usage: node tools/check-workspace.mjs [workspace root]; the root defaults to this repository
// (the tests point it at small workspaces of their own). No dependencies: plain Node.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers from the bottom up; a project may depend on its own rank or a lower one. */
const LAYER_RANK = { kernel: 0, io: 1, infra: 1, usecase: 2, app: 3 };
/** The tags a project may carry, by the folder it lives in. */
const FOLDERS = {
  packages: { type: ['lib', 'testing'], layer: ['kernel', 'io', 'infra', 'usecase'] },
  apps: { type: ['app'], layer: ['app'] },
};
const SCRIPTS = ['build', 'test', 'lint', 'typecheck'];
const MAX_LINES = 600;

/**
 * Known problems that another branch fixes, reported as pending instead of failing. An entry
 * whose problem is gone fails the check, so the list shrinks as those branches merge. Entries
 * for projects absent from the checked workspace are ignored.
 */
const PENDING = [];

// ---- reading the workspace ------------------------------------------------------------------

/** The .ts files under `dir`, recursively (no node_modules, no dist). */
function typeScriptFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typeScriptFiles(path));
    else if (/\.[cm]?ts$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}

/** Every project of the workspace at `root`, keyed by package name, and the folders without one. */
function readWorkspace(root) {
  const projects = new Map();
  const folderProblems = [];
  for (const folder of Object.keys(FOLDERS)) {
    const parent = join(root, folder);
    if (!existsSync(parent)) continue;
    const entries = readdirSync(parent, { withFileTypes: true });
    // In name order, so problems are reported in the same order everywhere.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const where = `${folder}/${entry.name}`;
      const dir = join(parent, entry.name);
      if (!existsSync(join(dir, 'package.json'))) {
        folderProblems.push(problem(where, 'shape', 'no package.json'));
        continue;
      }
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const tags = pkg.nx?.tags ?? [];
      projects.set(pkg.name, {
        name: pkg.name,
        folder,
        where,
        dir,
        pkg,
        tags,
        type: tagValue(tags, 'type'),
        layer: tagValue(tags, 'layer'),
        files: typeScriptFiles(dir),
      });
    }
  }
  return { root, projects, folderProblems };
}

/** The value of the one `dimension:value` tag, or undefined when there is none or several. */
function tagValue(tags, dimension) {
  const values = tags.filter((tag) => tag.startsWith(`${dimension}:`));
  return values.length === 1 ? values[0].slice(dimension.length + 1) : undefined;
}

function problem(file, rule, message) {
  return { file, rule, message };
}

const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'devDependencies'];

/** Each workspace package `project` declares, with the field it is in. */
function workspaceDependencies(project, projects) {
  return DEPENDENCY_FIELDS.flatMap((field) =>
    Object.keys(project.pkg[field] ?? {})
      .filter((name) => projects.has(name))
      .map((name) => ({ name, field, target: projects.get(name) })),
  );
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](@geoworks\/[^/'"]+)/g;

// ---- the rules: each takes the workspace and gives its problems ------------------------------

function shape({ root, projects }) {
  const problems = [];
  for (const project of projects.values()) {
    const { folder, where, dir, pkg } = project;
    const file = `${where}/package.json`;
    // An app that shares its folder name with a library (apps/packager composes
    // packages/packager) takes an -app suffix: npm names are one namespace.
    const folderName = basename(dir);
    const sharesLibraryName = folder === 'apps' && existsSync(join(root, 'packages', folderName));
    const expected = `@geoworks/${folderName}${sharesLibraryName ? '-app' : ''}`;
    if (pkg.name !== expected)
      problems.push(problem(file, 'shape', `name should be ${expected}, not ${pkg.name}`));
    for (const script of SCRIPTS) {
      if (!pkg.scripts?.[script])
        problems.push(problem(file, 'shape', `missing the "${script}" script`));
    }
    if (pkg.type !== 'module')
      problems.push(problem(file, 'shape', 'should be an ES module package ("type": "module")'));
    if (!existsSync(join(dir, 'README.md')))
      problems.push(problem(`${where}/README.md`, 'shape', 'missing'));
    if (folder === 'packages' && !existsSync(join(dir, 'src', 'index.ts')))
      problems.push(
        problem(`${where}/src/index.ts`, 'shape', 'missing: a library has one entry point'),
      );
  }
  return problems;
}

function tags({ projects }) {
  const problems = [];
  for (const { folder, where, tags } of projects.values()) {
    const file = `${where}/package.json`;
    for (const dimension of ['type', 'layer']) {
      const values = tags.filter((tag) => tag.startsWith(`${dimension}:`));
      const choices = FOLDERS[folder][dimension].map((value) => `${dimension}:${value}`);
      if (values.length !== 1 || !choices.includes(values[0])) {
        const found = values.length === 0 ? 'none' : values.join(', ');
        problems.push(
          problem(
            file,
            'tags',
            `nx.tags should hold exactly one ${dimension} tag, one of ${choices.join(', ')} in ${folder}/ (found ${found})`,
          ),
        );
      }
    }
  }
  return problems;
}

function layers({ projects }) {
  const problems = [];
  for (const project of projects.values()) {
    const rank = LAYER_RANK[project.layer];
    if (rank === undefined) continue; // the tags rule reports it
    for (const { name, field, target } of workspaceDependencies(project, projects)) {
      // Tests may use testing packages whatever their layer (testing-dev-only keeps them there).
      if (target.type === 'testing' && field === 'devDependencies') continue;
      const targetRank = LAYER_RANK[target.layer];
      if (targetRank === undefined) continue;
      const allowed = project.layer === 'kernel' ? target.layer === 'kernel' : targetRank <= rank;
      if (allowed) continue;
      const rule =
        project.layer === 'kernel'
          ? 'a kernel package depends on kernel packages only'
          : `a layer:${project.layer} project depends only on its layer or lower ones (kernel < io, infra < usecase < app)`;
      problems.push(
        problem(
          `${project.where}/package.json`,
          'layers',
          `${field} has ${name} (layer:${target.layer}); ${rule}`,
        ),
      );
    }
  }
  return problems;
}

function noAppDependencies({ projects }) {
  const problems = [];
  for (const project of projects.values()) {
    for (const { name, field, target } of workspaceDependencies(project, projects)) {
      if (target.folder === 'apps')
        problems.push(
          problem(
            `${project.where}/package.json`,
            'no-app-dependencies',
            `${field} has the app ${name}; apps are never dependencies`,
          ),
        );
    }
  }
  return problems;
}

function noCycles({ projects }) {
  const problems = [];
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      const file = `${projects.get(name).where}/package.json`;
      problems.push(problem(file, 'no-cycles', `dependency cycle: ${cycle}`));
      return;
    }
    state.set(name, 'active');
    for (const { name: dep } of workspaceDependencies(projects.get(name), projects))
      visit(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of projects.keys()) visit(name, []);
  return problems;
}

function importsDeclared({ projects }) {
  const problems = [];
  for (const { name, where, dir, pkg, files } of projects.values()) {
    const runtime = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
    const any = new Set([...runtime, ...Object.keys(pkg.devDependencies ?? {})]);
    for (const file of files) {
      const inSrc = file.startsWith(join(dir, 'src') + '/');
      for (const [, imported] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        if (imported === name || !projects.has(imported)) continue;
        if ((inSrc ? runtime : any).has(imported)) continue;
        const fields = inSrc ? '"dependencies"' : 'package.json';
        problems.push(
          problem(
            `${where}/${relative(dir, file)}`,
            'imports-declared',
            `imports ${imported}, which is not in its ${fields}`,
          ),
        );
      }
    }
  }
  return problems;
}

function testingDevOnly({ projects }) {
  const problems = [];
  for (const project of projects.values()) {
    for (const { name, field, target } of workspaceDependencies(project, projects)) {
      if (target.type === 'testing' && field !== 'devDependencies')
        problems.push(
          problem(
            `${project.where}/package.json`,
            'testing-dev-only',
            `${field} has ${name}, a testing package; testing packages go in devDependencies only`,
          ),
        );
    }
  }
  return problems;
}

/** A problem for each project that `who` picks and that depends on the package `banned`. */
function bannedDependency({ projects }, banned, rule, who, why) {
  const problems = [];
  for (const project of projects.values()) {
    if (project.name === banned || !who(project)) continue;
    for (const { name, field } of workspaceDependencies(project, projects)) {
      if (name === banned)
        problems.push(
          problem(`${project.where}/package.json`, rule, `${field} has ${name}; ${why}`),
        );
    }
  }
  return problems;
}

function noJobQueueBelowUseCases(workspace) {
  return bannedDependency(
    workspace,
    '@geoworks/job-queue',
    'no-job-queue-below-usecases',
    (project) => project.layer === 'kernel' || project.layer === 'io',
    'kernel and io packages compute; running them as background jobs is a use case',
  );
}

function serviceKitAppsOnly(workspace) {
  return bannedDependency(
    workspace,
    '@geoworks/service-kit',
    'service-kit-apps-only',
    (project) => project.folder !== 'apps',
    'only apps use the service kit (HTTP, config, logging); libraries stay out of HTTP',
  );
}

const REEXPORT =
  /^export\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s+from\s+(['"])[^'"]+\1$/;

/** The statements of a module without its comments, split at the semicolons outside strings. */
function statements(text) {
  const found = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i === -1) break;
      current += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) break;
    } else if (char === "'" || char === '"' || char === '`') {
      let end = i + 1;
      while (end < text.length && text[end] !== char) end += text[end] === '\\' ? 2 : 1;
      current += text.slice(i, end + 1);
      i = end;
    } else if (char === ';') {
      found.push(current);
      current = '';
    } else current += char;
  }
  found.push(current);
  return found.map((statement) => statement.trim().replace(/\s+/g, ' ')).filter(Boolean);
}

function indexReexportsOnly({ projects }) {
  const problems = [];
  for (const { folder, where, dir } of projects.values()) {
    const index = join(dir, 'src', 'index.ts');
    if (folder !== 'packages' || !existsSync(index)) continue;
    // The first other statement is enough to find the code (a function body holds several).
    const [first] = statements(readFileSync(index, 'utf8')).filter((s) => !REEXPORT.test(s));
    if (first === undefined) continue;
    const shown = first.length > 80 ? `${first.slice(0, 77)}...` : first;
    problems.push(
      problem(
        `${where}/src/index.ts`,
        'index-reexports-only',
        `holds "${shown}"; an index only re-exports (export ... from): move code into a module and re-export it`,
      ),
    );
  }
  return problems;
}

function ownTests({ projects }) {
  const problems = [];
  for (const { where, dir, files } of projects.values()) {
    const testDir = join(dir, 'test') + '/';
    if (!files.some((file) => file.startsWith(testDir) && file.endsWith('.test.ts')))
      problems.push(
        problem(`${where}/test`, 'own-tests', 'holds no *.test.ts: every project tests itself'),
      );
  }
  return problems;
}

/** The contents of the ```ts blocks of a markdown text. */
function typeScriptBlocks(markdown) {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map(([, code]) => code);
}

function readmeExample({ projects }) {
  const problems = [];
  for (const { folder, where, dir, files } of projects.values()) {
    const readme = join(dir, 'README.md');
    if (folder !== 'packages' || !existsSync(readme)) continue;
    const testDir = join(dir, 'test') + '/';
    const testFiles = files.filter((file) => file.startsWith(testDir));
    const blocks = new Set(typeScriptBlocks(readFileSync(readme, 'utf8')));
    const examples = testFiles.filter((file) => blocks.has(readFileSync(file, 'utf8')));
    if (examples.length === 0) {
      problems.push(
        problem(
          `${where}/README.md`,
          'readme-example',
          'has no ```ts example that is, word for word, a file under test/ ' +
            '(as packages/json-split: test/fixtures/example.ts, compared and run by test/example.test.ts)',
        ),
      );
      continue;
    }
    const names = examples.map((file) => basename(file));
    const tested = testFiles.some((file) => {
      if (!file.endsWith('.test.ts')) return false;
      const text = readFileSync(file, 'utf8');
      return text.includes('README.md') && names.some((name) => text.includes(name));
    });
    if (!tested)
      problems.push(
        problem(
          `${where}/README.md`,
          'readme-example',
          `its example ${examples.map((file) => relative(dir, file)).join(' or ')} is named by no ` +
            'test that also reads README.md: a test compares them (exampleBlock) and runs the example',
        ),
      );
  }
  return problems;
}

const RULES = [
  shape,
  tags,
  layers,
  noAppDependencies,
  noCycles,
  importsDeclared,
  testingDevOnly,
  noJobQueueBelowUseCases,
  serviceKitAppsOnly,
  indexReexportsOnly,
  ownTests,
  readmeExample,
];

function longFiles({ root, projects }) {
  const warnings = [];
  for (const { files } of projects.values()) {
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n').length - 1;
      if (lines > MAX_LINES)
        warnings.push(
          `${relative(root, file)}: ${lines} lines (over ${MAX_LINES}); split it along its concerns`,
        );
    }
  }
  return warnings;
}

// ---- pending problems and the report ---------------------------------------------------------

const matches = (entry, found) =>
  found.rule === entry.rule && found.file.startsWith(`${entry.where}/`);

/**
 * Sets apart the problems PENDING lists (each with its entry); stale entries become problems
 * themselves.
 */
function withPending(problems, projects) {
  const present = new Set([...projects.values()].map((project) => project.where));
  const entries = PENDING.filter((entry) => present.has(entry.where));
  const pending = [];
  const failing = [];
  for (const found of problems) {
    const entry = entries.find((candidate) => matches(candidate, found));
    if (entry === undefined) failing.push(found);
    else pending.push({ ...found, why: entry.why });
  }
  for (const entry of entries) {
    if (!problems.some((found) => matches(entry, found)))
      failing.push(
        problem(
          'tools/check-workspace.mjs',
          'pending',
          `PENDING lists ${entry.rule} for ${entry.where}, which now passes it: remove the entry`,
        ),
      );
  }
  return { failing, pending };
}

const describeProblem = ({ file, rule, message }) => `${file}: ${message} [${rule}]`;

function main() {
  const defaultRoot = dirname(dirname(fileURLToPath(import.meta.url)));
  const workspace = readWorkspace(resolve(process.argv[2] ?? defaultRoot));
  const problems = [...workspace.folderProblems, ...RULES.flatMap((rule) => rule(workspace))];
  const { failing, pending } = withPending(problems, workspace.projects);
  const warnings = longFiles(workspace);

  for (const warning of warnings) console.warn(`check-workspace: warning: ${warning}`);
  for (const found of pending)
    console.log(`check-workspace: pending (${found.why}): ${describeProblem(found)}`);
  if (failing.length > 0) {
    console.error(`check-workspace: ${failing.length} problem(s)`);
    for (const found of failing) console.error(`  - ${describeProblem(found)}`);
    process.exit(1);
  }
  console.log(
    `check-workspace: ${workspace.projects.size} projects, shape, layers and dependencies OK` +
      ` (${warnings.length} warning(s), ${pending.length} pending)`,
  );
}

main();
