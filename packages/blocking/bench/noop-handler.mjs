// Returns at once: the connection closes right after the handshake.
export default function noop() {}
