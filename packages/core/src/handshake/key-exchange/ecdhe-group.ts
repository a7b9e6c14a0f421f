import type { NamedGroupName } from '../../crypto/provider.js';
import { IllegalParameterError } from '../../errors.js';
import { namedGroupName } from '../extensions/named-group.js';
import type { EcdheParams } from '../messages/server-key-exchange.js';

/** RFC 8422 5.4: the server's curve must be one the client offered in supported_groups. */
export function offeredGroup(params: EcdheParams, offered: readonly NamedGroupName[]): NamedGroupName {
  const group = namedGroupName(params.namedGroup);
  if (group === undefined || !offered.includes(group)) {
    throw new IllegalParameterError(`server chose group ${params.namedGroup}, which we did not offer`);
  }
  return group;
}
