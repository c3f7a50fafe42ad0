#!/usr/bin/env node
// Makes a checkout ready to build, test and run: checks Node, installs missing Debian packages
// (tools/setup-system.sh) and npm dependencies, and checks that the native modules load.
// Fast when nothing changed: a stamp in node_modules remembers the lock file it installed.
// No dependencies of its own: it runs before anything is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const stampFile = join(root, 'node_modules', '.geoworks-install-stamp');
const say = (message) => console.error(`bootstrap: ${message}`);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  say(`Node ${process.versions.node} is too old: geoworks needs Node 20.19 or newer.`);
  process.exit(1);
}

function installStamp() {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) {
    const path = join(root, file);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  hash.update(process.version);
  return hash.digest('hex');
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say(`"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

/** Every native module in the tree must load; a broken build is reported here, not mid-test. */
function checkNativeModules() {
  const modules = ['better-sqlite3', 'gdal-async'].filter((name) =>
    existsSync(join(root, 'node_modules', name, 'package.json')),
  );
  for (const name of modules) {
    try {
      execFileSync(process.execPath, ['-e', `require(${JSON.stringify(name)})`], {
        cwd: root,
        stdio: 'pipe',
      });
    } catch (error) {
      say(`native module ${name} does not load:\n${error.stderr?.toString() ?? error.message}`);
      say(`rebuild it with: npm rebuild ${name} --foreground-scripts`);
      process.exit(1);
    }
  }
}

const stamp = installStamp();
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) process.exit(0);

say('installing what is missing (first run, or package.json / lock file changed)');
run('sh', [join(root, 'tools', 'setup-system.sh')]);
const fresh = !existsSync(join(root, 'node_modules'));
const hasLock = existsSync(join(root, 'package-lock.json'));
// A clean install from the lock file when there is nothing yet; else bring node_modules in line.
run(
  'npm',
  fresh && hasLock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'],
);
checkNativeModules();
writeFileSync(stampFile, stamp);
say('dependencies ready');
