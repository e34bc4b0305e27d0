// ESLint (flat config) with typescript-eslint's type-checked rules over every TypeScript file.
//
// Why strictTypeChecked and stylisticTypeChecked: the harness runs strangers' programs and parses
// untrusted bytes, so the rules that find real bugs through types (floating and misused promises,
// conditions that are always true, unsafe `any`, throwing non-Errors, non-exhaustive switches) are
// worth their noise. The few rules turned off below are off for a reason written beside them.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'test/fixtures/**'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Required by the project's own rules (issue: tooling); strictTypeChecked has most of them,
      // listed again so that a later preset change cannot drop them.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // tap queues `t.test(...)` subtests itself and waits for each: awaiting them is optional.
        { allowForKnownSafePromises: [{ from: 'package', package: '@tapjs/core', name: 'PromiseWithSubtest' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // Numbers and booleans in messages are what messages are made of; objects, arrays, null and
      // undefined still have to be turned into text on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // tsconfig has noUncheckedIndexedAccess: every `a[i]` is `T | undefined`. After a bounds check
      // or a regex match group the language cannot follow, `!` is the honest, local way to say so;
      // the alternative (a throw per index) would hide the real checks.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // An async function with no await is how an implementation of a Promise-returning interface
      // (Command.run, RealBackend, e2e stages) keeps "a throw is a rejection"; the awaits that
      // matter are held by no-floating-promises and no-misused-promises.
      '@typescript-eslint/require-await': 'off',
      // Environments and the simulators' JSON state are plain records on purpose (they cross process
      // boundaries as objects); deleting a key from them is the operation, not a Map misused.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A reporter ignores the events it has no use for with an empty method; an empty arrow (a
      // swallowed error, a no-op callback) still has to say why.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['methods'] }],
      // Control characters are this project's subject: attach output, environment values and file
      // names are checked for them, so regexes that name them are the point, not a typo.
      'no-control-regex': 'off',
      // `[...text]` splits into code points on purpose: Ganeti 3 slices str by code points, and the
      // table widths count them; grapheme clusters would be the wrong unit here.
      '@typescript-eslint/no-misused-spread': 'off',
      // `() => void someCall()` reads worse than the arrow returning the call's void.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Plain JavaScript (this file, the dependency-cruiser config, the bench scripts) has no type information to check against.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
