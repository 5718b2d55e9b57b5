// Owns the licence files of a release bundle: NOTICE (what is bundled, at which version, under
// which licence, and where its source is) and LICENSE (the full licence texts). Pure: callers read
// the texts and package manifests and pass them in. Must NOT read files or decide the layout.

/** npm packages the program bundle was built from: the package part of each input path. */
export function bundledPackageNames(inputs) {
  const names = new Set();
  for (const input of inputs) {
    const at = input.lastIndexOf('node_modules/');
    if (at === -1) continue;
    const parts = input.slice(at + 'node_modules/'.length).split('/');
    const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    if (name) names.add(name);
  }
  return [...names].sort();
}

/**
 * One component of a bundle: `name`, `version`, `license` (an SPDX expression), `how` (how it is
 * included), `source` (where its source is, optional) and `text` (the full licence text).
 */
function checkComponent(c) {
  for (const key of ['name', 'version', 'license', 'how', 'text']) {
    if (typeof c[key] !== 'string' || c[key].trim() === '') throw new Error(`licence component ${c.name ?? '?'}: ${key} is missing`);
  }
}

/** NOTICE: the list of what is bundled, for people and for licence scanners. */
export function noticeText({ bundle, components, ownLicense }) {
  components.forEach(checkComponent);
  const lines = [
    `${bundle}`,
    '',
    `codex-sandbox itself: ${ownLicense}`,
    '',
    'This bundle contains the following third-party software. Their full licence texts are in',
    'LICENSE, in this order.',
    '',
  ];
  for (const c of components) {
    lines.push(`- ${c.name} ${c.version} (${c.license})`, `  ${c.how}`);
    if (c.source) lines.push(`  source: ${c.source}`);
  }
  return `${lines.join('\n')}\n`;
}

/** LICENSE: every component's full licence text under a header naming it. */
export function licenseText(components) {
  components.forEach(checkComponent);
  return components
    .map((c) => {
      const header = `${c.name} ${c.version} (${c.license})`;
      return `${'='.repeat(78)}\n${header}\n${'='.repeat(78)}\n\n${c.text.replace(/\s+$/, '')}\n`;
    })
    .join('\n');
}
