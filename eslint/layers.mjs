import { existsSync } from 'node:fs';
import path from 'node:path';

const oneWay = 'dependencies run one way, see docs/architecture.md';

// Where an absolute path sits: undefined outside root, null for a file directly in root (the composition root),
// else the name of its top-level folder. A specifier without an extension that lands directly in root is a folder
// ('../auth'): ESM imports of files carry their extension.
function folderOf(rootDir, file) {
  const rel = path.relative(rootDir, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  return rest.length === 0 && path.extname(first) !== '' ? null : first;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Top-level folders of src/ import only folders on lower layers, and never the composition root' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layers: { type: 'array', items: { type: 'array', items: { type: 'string' }, minItems: 1 } },
        },
        additionalProperties: false,
      },
    ],
    defaultOptions: [{ root: 'src', layers: [] }],
    messages: {
      upward: `{{from}} must not import {{to}}: {{fromFolder}} (layer {{fromLayer}}) is below {{toFolder}} (layer {{toLayer}}); ${oneWay}`,
      sameLayer: `{{from}} must not import {{to}}: {{fromFolder}} and {{toFolder}} are on the same layer ({{layer}}); ${oneWay}`,
      compositionRoot: `{{from}} must not import {{to}}: files directly in {{root}}/ wire the folders together, so no folder may import them; ${oneWay}`,
      noLayer: 'folder {{folder}} has no layer: add it to the layers of the layer rule in eslint.config.mjs',
    },
  },
  create(context) {
    const [{ root, layers }] = context.options;
    const rootDir = path.resolve(context.cwd, root);
    const file = context.physicalFilename;
    const folder = folderOf(rootDir, file);
    // Layers count from 1 so the messages match the table as a person numbers it.
    const layerOf = (name) => layers.findIndex((names) => names.includes(name)) + 1 || undefined;
    const shown = (p) => path.relative(context.cwd, p).split(path.sep).join('/');
    // The linter works on .ts sources while ESM specifiers name the emitted .js: name the file that is there.
    const source = (p) => {
      const ts = p.replace(/\.(c|m)?js$/, '.$1ts');
      return ts !== p && !existsSync(p) && existsSync(ts) ? ts : p;
    };

    // Outside root, and in the composition root, which may import anything, there is nothing to check.
    if (folder === undefined || folder === null) return {};
    if (layerOf(folder) === undefined) {
      return { Program: (node) => context.report({ node, messageId: 'noLayer', data: { folder } }) };
    }

    function check(node) {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !/^\.\.?\//.test(specifier)) return;
      const target = path.resolve(path.dirname(file), specifier);
      const targetFolder = folderOf(rootDir, target);
      if (targetFolder === undefined || targetFolder === folder) return;
      const data = { from: shown(file), to: shown(source(target)), fromFolder: folder, toFolder: targetFolder, root };
      if (targetFolder === null) return context.report({ node, messageId: 'compositionRoot', data });
      const [fromLayer, toLayer] = [layerOf(folder), layerOf(targetFolder)];
      if (toLayer === undefined) return context.report({ node, messageId: 'noLayer', data: { folder: targetFolder } });
      if (toLayer === fromLayer) context.report({ node, messageId: 'sameLayer', data: { ...data, layer: fromLayer } });
      else if (toLayer > fromLayer) context.report({ node, messageId: 'upward', data: { ...data, fromLayer, toLayer } });
    }

    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { meta: { name: 'layers' }, rules: { layers: rule } };
