// check-manifests.mjs [ROOT]: each package's manifests say what its code imports, no more, no less.
//   - package.json `dependencies` = the packages its src/ imports (generated code included);
//   - what its test/ imports is itself, a dependency, a root devDependency or a Node built-in;
//   - BUILD.bazel `ts_package(deps = [...])` = the workspace packages its src/ and test/ import.
// Prints "ok - ..." per check and the problems, exits 1 when there are any. Reads files only.
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { loadTypeScript, walk } from './repo-files.mjs';

const BUILTINS = new Set(builtinModules);

/** The package a module specifier names (`@scope/name/sub` -> `@scope/name`); null for relative and built-ins. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? null : name;
}

/** Module specifiers of import/export declarations, `import()` and `require()` with a literal. */
export function importsOf(ts, file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** `deps` of the ts_package() call in a BUILD.bazel text, as package directory names. */
export function buildDepsOf(text) {
  const call = /ts_package\(([\s\S]*?)\n\)/.exec(text);
  if (call === null) return null;
  const deps = /\bdeps\s*=\s*\[([^\]]*)\]/.exec(call[1]);
  if (deps === null) return [];
  return [...deps[1].matchAll(/"\/\/packages\/([^":]+)(?::[^"]*)?"/g)].map((m) => m[1]);
}

const sorted = (set) => [...set].sort();

export function check(root) {
  const ts = loadTypeScript(root);
  const problems = [];
  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const devDeps = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  const dirs = fs.readdirSync(path.join(root, 'packages')).filter((d) => fs.existsSync(path.join(root, 'packages', d, 'package.json'))).sort();
  const nameOfDir = new Map(dirs.map((d) => [d, JSON.parse(fs.readFileSync(path.join(root, 'packages', d, 'package.json'), 'utf8')).name]));
  const workspaceNames = new Set(nameOfDir.values());
  let checked = 0;
  for (const dir of dirs) {
    const pkg = `packages/${dir}`;
    const manifest = JSON.parse(fs.readFileSync(path.join(root, pkg, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const declaredDev = new Set(Object.keys(manifest.devDependencies ?? {}));
    const importedBy = (sub) => {
      const names = new Map();
      for (const file of walk(root, `${pkg}/${sub}`).filter((f) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(f))) {
        for (const spec of importsOf(ts, file, fs.readFileSync(path.join(root, file), 'utf8'))) {
          const name = packageOf(spec);
          if (name !== null && name !== manifest.name && !names.has(name)) names.set(name, file);
        }
      }
      return names;
    };
    const srcImports = importedBy('src');
    const testImports = importedBy('test');
    for (const [name, file] of srcImports) if (!declared.has(name)) problems.push(`${pkg}/package.json: ${file} imports ${name}, which "dependencies" does not list`);
    for (const name of sorted(declared)) if (!srcImports.has(name)) problems.push(`${pkg}/package.json: lists ${name} in "dependencies", but nothing in ${pkg}/src imports it`);
    for (const [name, file] of testImports) {
      if (!declared.has(name) && !declaredDev.has(name) && !devDeps.has(name)) problems.push(`${pkg}: ${file} imports ${name}, which neither ${pkg}/package.json nor the root devDependencies list`);
    }

    const buildPath = path.join(root, pkg, 'BUILD.bazel');
    const buildDeps = fs.existsSync(buildPath) ? buildDepsOf(fs.readFileSync(buildPath, 'utf8')) : null;
    if (buildDeps === null) {
      problems.push(`${pkg}/BUILD.bazel: no ts_package() call found`);
    } else {
      const wanted = new Set([...srcImports.keys(), ...testImports.keys()].filter((n) => workspaceNames.has(n)));
      const have = new Set(buildDeps.map((d) => nameOfDir.get(d) ?? `//packages/${d}`));
      for (const name of sorted(wanted)) if (!have.has(name)) problems.push(`${pkg}/BUILD.bazel: the code imports ${name}, which ts_package(deps) does not list`);
      for (const name of sorted(have)) if (!wanted.has(name)) problems.push(`${pkg}/BUILD.bazel: ts_package(deps) lists ${name}, which nothing in ${pkg} imports`);
    }
    checked++;
  }
  return { problems, checked };
}

// Run as a program (nothing imports this file).
const root = path.resolve(process.argv[2] ?? '.');
const { problems, checked } = check(root);
if (problems.length > 0) {
  for (const p of problems) console.log(p);
  console.log(`FAIL - ${problems.length} manifest problem(s)`);
  process.exit(1);
}
console.log(`ok - package.json and BUILD.bazel of ${checked} packages list exactly what their code imports`);
