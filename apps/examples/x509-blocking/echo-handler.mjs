export { echo as default } from './handlers.mjs';
