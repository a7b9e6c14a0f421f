/**
 * Loading an optional native module for a provider (sodium-native, @dtls-kit/native-aead): by
 * `require` from @dtls-kit/core's own location (where its optional dependencies are installed) or
 * by a loader the application gives; a module that is absent or does not load becomes a
 * ProviderUnavailableError saying why, and the non-throwing form an undefined provider, so that
 * `xCryptoProvider() ?? nodeCryptoProvider` falls back cleanly.
 */
import { createRequire } from 'node:module';
import { ProviderUnavailableError } from './provider-unavailable-error.js';
import type { CryptoProvider } from './provider.js';

/** Loads a module by name as `require()` does, throwing when it cannot (the loader is injectable for bundlers and tests). */
export type ModuleLoader = (id: string) => unknown;

/** What every optional provider's loader accepts. */
export interface OptionalModuleOptions {
  /** How the native module is loaded. Default: `require` from @dtls-kit/core's own location. */
  load?: ModuleLoader;
}

function defaultLoader(): ModuleLoader {
  // Resolved from this package's location, where the optional dependency is installed.
  return createRequire(import.meta.url);
}

/** The module `id`, or a ProviderUnavailableError naming it and why it did not load. */
export function loadOptionalModule(id: string, options: OptionalModuleOptions): unknown {
  try {
    return (options.load ?? defaultLoader())(id);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ProviderUnavailableError(
      `${id} could not be loaded (${detail}); it is an optional dependency of @dtls-kit/core: install it, or use nodeCryptoProvider`,
      { cause },
    );
  }
}

/**
 * The non-throwing form of a provider's loader: the provider, or undefined when it is unavailable
 * here (any other error is a bug and propagates). The default load's outcome is kept: loading and
 * checking again would give the same answer; a given loader is always tried.
 */
export function optionalProvider<O extends OptionalModuleOptions>(
  loadProvider: (options?: O) => CryptoProvider,
): (options?: O) => CryptoProvider | undefined {
  let loaded: { provider: CryptoProvider | undefined } | undefined;
  return (options?: O): CryptoProvider | undefined => {
    if (options?.load === undefined && loaded !== undefined) return loaded.provider;
    let provider: CryptoProvider | undefined;
    try {
      provider = loadProvider(options);
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      provider = undefined;
    }
    if (options?.load === undefined) loaded = { provider };
    return provider;
  };
}
