export { setup as default } from './figures.mjs';
