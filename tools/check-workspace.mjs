#!/usr/bin/env node
// Checks the workspace's shape, so it stays what the README says it is:
// - every project in packages/ and apps/ is named @geoworks/<folder> (an app whose folder
//   matches a library's: @geoworks/<folder>-app), tagged type:lib or
//   type:app by where it lives, has the build/test/lint/typecheck scripts and a README;
// - libraries expose one entry point, src/index.ts;
// - nothing depends on an app, and workspace dependencies have no cycles;
// - every workspace package a project imports is declared: in "dependencies" when its src/
//   imports it (what users install), in any dependency field for tests and benchmarks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const problems = [];
const projects = new Map();

for (const [folder, kind] of [
  ['packages', 'lib'],
  ['apps', 'app'],
]) {
  const dir = join(root, folder);
  if (!existsSync(dir)) continue;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const projectDir = join(dir, entry.name);
    const where = `${folder}/${entry.name}`;
    if (!existsSync(join(projectDir, 'package.json'))) {
      problems.push(`${where}: no package.json`);
      continue;
    }
    const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'));
    projects.set(pkg.name, { where, kind, pkg });
    // An app that shares its folder name with a library (apps/packager composes
    // packages/packager) takes an -app suffix: npm names are one namespace.
    const sharesLibraryName = kind === 'app' && existsSync(join(root, 'packages', entry.name));
    const expected = `@geoworks/${entry.name}${sharesLibraryName ? '-app' : ''}`;
    if (pkg.name !== expected)
      problems.push(`${where}: name should be ${expected}, not ${pkg.name}`);
    const tags = pkg.nx?.tags ?? [];
    if (!tags.includes(`type:${kind}`))
      problems.push(`${where}: nx tags should include type:${kind}`);
    for (const script of ['build', 'test', 'lint', 'typecheck']) {
      if (!pkg.scripts?.[script]) problems.push(`${where}: missing the "${script}" script`);
    }
    if (pkg.type !== 'module')
      problems.push(`${where}: should be an ES module package ("type": "module")`);
    if (!existsSync(join(projectDir, 'README.md'))) problems.push(`${where}: missing README.md`);
    if (kind === 'lib' && !existsSync(join(projectDir, 'src', 'index.ts')))
      problems.push(`${where}: missing src/index.ts`);
  }
}

const workspaceDeps = (pkg) =>
  Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter(
    (name) => projects.has(name),
  );

for (const [name, project] of projects) {
  for (const dep of workspaceDeps(project.pkg)) {
    if (projects.get(dep).kind === 'app')
      problems.push(`${project.where}: depends on the app ${dep}; apps are never dependencies`);
  }
  void name;
}

/** The .ts files under `dir`, recursively (no node_modules, no dist). */
function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.[cm]?ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](@geoworks\/[^/'"]+)/g;
for (const [name, { where, pkg }] of projects) {
  const projectDir = join(root, where);
  const runtime = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
  const any = new Set([...runtime, ...Object.keys(pkg.devDependencies ?? {})]);
  for (const file of sourceFiles(projectDir)) {
    const inSrc = file.startsWith(join(projectDir, 'src') + '/');
    for (const [, imported] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (imported === name || !projects.has(imported)) continue;
      if (!(inSrc ? runtime : any).has(imported)) {
        problems.push(
          `${where}: ${file.slice(projectDir.length + 1)} imports ${imported}, not in its ${inSrc ? '"dependencies"' : 'dependencies'}`,
        );
      }
    }
  }
}

// Cycles, by depth-first search over workspace dependencies.
const state = new Map();
const visit = (name, path) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') {
    problems.push(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
    return;
  }
  state.set(name, 'active');
  for (const dep of workspaceDeps(projects.get(name).pkg)) visit(dep, [...path, name]);
  state.set(name, 'done');
};
for (const name of projects.keys()) visit(name, []);

if (problems.length > 0) {
  console.error(`check-workspace: ${problems.length} problem(s)`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`check-workspace: ${projects.size} projects, shape and dependencies OK`);
