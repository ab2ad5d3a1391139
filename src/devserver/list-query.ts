/**
 * Old path of visibility/list-query.ts, kept only for test/unit/list-query.test.ts (outside this change);
 * delete it once that test imports visibility/list-query.js.
 */
export { compileListQuery, parseListQuery, typeOfFrom } from './visibility/list-query.js';
export type { ListQuery, Lookup } from './visibility/list-query.js';
