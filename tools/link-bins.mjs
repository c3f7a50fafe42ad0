#!/usr/bin/env node
// Links the workspace's own commands (flux-manage, sensor-download, ckanpackager, ...) into
// node_modules/.bin once they are built. npm links a bin only when its file exists at install
// time, and on a fresh clone `npm ci` runs before the build has made dist/: without this step
// `npx flux-manage` would look for a package of that name in the registry instead.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
let linked = 0;
for (const folder of ['packages', 'apps']) {
  const dir = join(root, folder);
  if (!existsSync(dir)) continue;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const manifest = join(dir, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    const bins =
      typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : (pkg.bin ?? {});
    for (const [name, path] of Object.entries(bins)) {
      const target = join(dir, entry.name, path);
      if (!existsSync(target)) continue;
      chmodSync(target, 0o755);
      const link = join(binDir, name);
      // Through node_modules/<package name>, as npm links them.
      const wanted = relative(binDir, join(root, 'node_modules', pkg.name, path));
      let present = false;
      try {
        present = lstatSync(link).isSymbolicLink();
      } catch {
        // Not there yet.
      }
      if (present) unlinkSync(link);
      symlinkSync(wanted, link);
      linked++;
    }
  }
}
console.log(`link-bins: ${linked} workspace command(s) in node_modules/.bin`);
