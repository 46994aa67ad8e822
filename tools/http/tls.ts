/**
 * A certificate authority of its own and a server certificate it signed for 127.0.0.1 and localhost,
 * for loopback servers that speak https as Meta and a production Message
 * Status Endpoint do (tools/bench/README.md: what the scheme changes for Rocket.Chat's HTTP bridge).
 * The client side trusts `ca`: the harness's Rocket.Chat as its server would with
 * NODE_EXTRA_CA_CERTS (tools/harness/appUnderTest.ts `trustedTls`).
 */
import selfsigned from 'selfsigned';

export interface LoopbackTls {
	/** The authority's certificate (PEM): what a client trusts. */
	ca: string;
	/** The server's key and certificate (PEM). */
	key: string;
	cert: string;
}

let made: Promise<LoopbackTls> | undefined;

/** Made at the first call of this module instance (a jest test file, a worker thread, a bench process); a failed making is tried again at the next call. */
export function loopbackTls(): Promise<LoopbackTls> {
	made ??= (async () => {
		const authority = await selfsigned.generate([{ name: 'commonName', value: 'whatsapp-business loopback test authority' }], {
			keyType: 'ec',
			algorithm: 'sha256',
			extensions: [
				{ name: 'basicConstraints', cA: true, critical: true },
				{ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
			],
		});
		const server = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
			keyType: 'ec',
			algorithm: 'sha256',
			ca: { key: authority.private, cert: authority.cert },
			extensions: [
				{ name: 'basicConstraints', cA: false, critical: true },
				{ name: 'keyUsage', digitalSignature: true, critical: true },
				{ name: 'extKeyUsage', serverAuth: true },
				{
					name: 'subjectAltName',
					altNames: [
						{ type: 2, value: 'localhost' },
						{ type: 7, ip: '127.0.0.1' },
					],
				},
			],
		});
		return { ca: authority.cert, key: server.private, cert: server.cert };
	})();
	made.catch(() => (made = undefined));
	return made;
}
