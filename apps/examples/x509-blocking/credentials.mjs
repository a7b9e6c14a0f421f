// Credentials are built inside each worker (functions cannot cross threads): the main thread
// passes this module's path and the PEM text as plain data.
import { x509Client, x509Server } from '@dtls-kit/x509';

export function server({ key, cert, ca, requestCert = true }) {
  return { x509: x509Server({ key, cert, ca, requestCert }) }; // clients need a certificate from ca
}

export function client({ key, cert, ca }) {
  return { x509: x509Client({ ca, key, cert }), servername: 'localhost' }; // the server must be "localhost"
}
