import { main } from './main.js';

const code = await main(process.argv.slice(2));
// Exit once stdout and stderr are flushed (pipes are asynchronous), whatever handles remain.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
