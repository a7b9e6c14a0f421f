/**
 * @dtls-kit/cli — the `dtls-kit` command (an s_server/s_client-style DTLS 1.2 echo server and
 * client). The binary is `dtls-kit`; `main()` runs it in-process.
 */
export { main, processIo } from './main.js';
export type { Io } from './io.js';
export { parseCommandLine, USAGE, UsageError, DEFAULT_PSK_IDENTITY, type ParsedArgs, type ServerArgs, type ServerRuntime, type ClientArgs } from './args.js';
export { startTrace, Ladder, type LadderDatagram, type LadderOptions } from './trace.js';
export { lbConfig, runLbConfig, defaultRouteScript, LB_CONFIG_USAGE, type LbConfigOptions } from './lb-config.js';
