export { teardown as default } from './figures.mjs';
