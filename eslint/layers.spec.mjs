import path from 'node:path';
import process from 'node:process';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import plugin from './layers.mjs';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const options = [
  {
    root: 'src',
    layers: [
      ['common', 'config'],
      ['users', 'mail', 'rate-limit'],
      ['audit', 'health'],
      ['auth'],
      ['account', 'admin', 'web'],
      ['database'],
    ],
  },
];
const at = (...segments) => path.join(process.cwd(), 'src', ...segments);
const ruleTester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

// Most specifiers name files that do not exist, so the messages show them as spelled, whatever the tree holds.
ruleTester.run('layers', plugin.rules.layers, {
  valid: [
    {
      name: 'a lower layer',
      filename: at('auth', 'auth.service.ts'),
      code: "import { UsersService } from '../users/users.service.js';",
    },
    { name: 'its own folder', filename: at('auth', 'auth.service.ts'), code: "import { sign } from './tokens/sign.js';" },
    {
      name: 'the composition root imports any folder',
      filename: at('app.module.ts'),
      code: "import { DatabaseModule } from './database/database.module.js';",
    },
    {
      name: 'a file outside root',
      filename: path.join(process.cwd(), 'bench', 'run.ts'),
      code: "import { AuthModule } from '../src/auth/auth.module.js';",
    },
    {
      name: 'a specifier that leaves root',
      filename: at('common', 'x.ts'),
      code: "import { helper } from '../../test/support/helper.js';",
    },
    { name: 'a package', filename: at('users', 'users.service.ts'), code: "import { Injectable } from '@nestjs/common';" },
    {
      // src/common/request/ + ../database/ is src/common/database/: a match on the word "database" would flag it.
      name: 'a subfolder named like another folder',
      filename: at('common', 'request', 'x.ts'),
      code: "import { isUniqueViolation } from '../database/pg-errors.js';",
    },
  ].map((test) => ({ ...test, options })),
  invalid: [
    {
      name: 'an upward import',
      filename: at('users', 'x.ts'),
      code: "import { y } from '../auth/y.js';",
      errors: [
        {
          message:
            'src/users/x.ts must not import src/auth/y.js: users (layer 2) is below auth (layer 4); dependencies run one way, see docs/architecture.md',
        },
      ],
    },
    {
      name: 'a same-layer import',
      filename: at('rate-limit', 'x.ts'),
      code: "import { y } from '../users/y.js';",
      errors: [
        {
          message:
            'src/rate-limit/x.ts must not import src/users/y.js: rate-limit and users are on the same layer (2); dependencies run one way, see docs/architecture.md',
        },
      ],
    },
    {
      name: 'an upward type import',
      filename: at('common', 'x.ts'),
      code: "import type { User } from '../users/user.entity.js';",
      errors: [{ messageId: 'upward' }],
    },
    {
      name: 'an upward re-export',
      filename: at('mail', 'index.ts'),
      code: "export * from '../audit/audit.service.js';",
      errors: [{ messageId: 'upward' }],
    },
    {
      name: 'an upward named re-export',
      filename: at('health', 'index.ts'),
      code: "export { AuthService } from '../auth/auth.service.js';",
      errors: [{ messageId: 'upward' }],
    },
    {
      name: 'an upward dynamic import',
      filename: at('users', 'users.service.ts'),
      code: "const x = await import('../auth/x.js');",
      errors: [{ messageId: 'upward' }],
    },
    {
      // src/app.module.ts exists, so the message names it rather than the .js the specifier spells.
      name: 'a folder importing the composition root',
      filename: at('database', 'migrate.ts'),
      code: "import { AppModule } from '../app.module.js';",
      errors: [
        {
          message:
            'src/database/migrate.ts must not import src/app.module.ts: files directly in src/ wire the folders together, so no folder may import them; dependencies run one way, see docs/architecture.md',
        },
      ],
    },
    {
      name: 'a file in a folder with no layer',
      filename: at('billing', 'invoice.ts'),
      code: "import { UsersService } from '../users/users.service.js';",
      errors: [{ message: 'folder billing has no layer: add it to the layers of the layer rule in eslint.config.mjs' }],
    },
    {
      name: 'an import of a folder with no layer',
      filename: at('auth', 'auth.service.ts'),
      code: "import { Invoice } from '../billing/invoice.js';",
      errors: [{ messageId: 'noLayer', data: { folder: 'billing' } }],
    },
    {
      name: 'a directory import of a higher folder',
      filename: at('common', 'x.ts'),
      code: "import { AuthModule } from '../auth';",
      errors: [{ messageId: 'upward' }],
    },
  ].map((test) => ({ ...test, options })),
});
