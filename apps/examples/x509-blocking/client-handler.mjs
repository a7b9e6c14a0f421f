export { talk as default } from './handlers.mjs';
