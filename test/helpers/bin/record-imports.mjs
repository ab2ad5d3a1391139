// `node --import ./record-imports.mjs prog.js`: appends the URL of every module prog.js resolves (ESM
// imports, including the CommonJS packages they import) to the file named by $RECORD_IMPORTS_FILE.
import { register } from 'node:module';
import { URL } from 'node:url';

register(new URL('./record-imports-hooks.mjs', import.meta.url));
