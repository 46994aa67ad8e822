/**
 * Meta's official OpenAPI spec of the Cloud API (shared/contracts/meta-openapi), loaded once and
 * compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1). Requests the app sends to the
 * simulated Cloud API, and payloads the template model builds, are validated against it.
 */
import * as fs from 'fs';
import * as path from 'path';

import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as YAML from 'yaml';

export const CONTRACTS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'contracts');
const SPEC_PATH = path.join(CONTRACTS_DIR, 'meta-openapi', 'business-messaging-api_v23.0.yaml');
const SPEC_ID = 'meta-business-messaging';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

let loaded: { doc: Any; ajv: Ajv2020 } | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * Corrections of the spec's known defects (shared/contracts/README.md), applied in memory only.
 */
function patchKnownDefects(doc: Any): void {
	const schemas = doc.components.schemas;
	// LanguageObject marks `policy` required, but Meta's documented send examples omit it.
	if (Array.isArray(schemas.LanguageObject?.required)) schemas.LanguageObject.required = schemas.LanguageObject.required.filter((r: string) => r !== 'policy');
	// TemplateComponent.index has the nonsense pattern `^[2-6, 11-14]$`; Meta sends button indexes "0".."9".
	const index = schemas.TemplateComponent?.properties?.index;
	if (index?.pattern) delete index.pattern;
	// Statuses.status lacks `played` (voice messages), which Meta does send.
	const status = schemas.Statuses?.properties?.status;
	if (Array.isArray(status?.enum) && !status.enum.includes('played')) status.enum.push('played');
}

export function loadSpec(): { doc: Any; ajv: Ajv2020 } {
	if (loaded) return loaded;
	const doc = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
	patchKnownDefects(doc);
	const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
	addFormats(ajv);
	ajv.addSchema({ $id: SPEC_ID, components: doc.components });
	loaded = { doc, ajv };
	return loaded;
}

function validatorFor(key: string, schema: Any): ValidateFunction {
	let fn = compiled.get(key);
	if (!fn) {
		const { ajv } = loadSpec();
		fn = ajv.compile(rebase(schema));
		compiled.set(key, fn);
	}
	return fn;
}

/** Local `#/components/...` refs of an operation schema point into the registered spec document. */
function rebase(schema: Any): Any {
	return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, `"$ref":"${SPEC_ID}#/components/`));
}

function formatErrors(fn: ValidateFunction, where: string): string[] {
	return (fn.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`.trim());
}

export function validateSchema(schemaName: string, value: unknown): { ok: boolean; errors: string[] } {
	const fn = validatorFor(`schema:${schemaName}`, { $ref: `#/components/schemas/${schemaName}` });
	const ok = fn(value) as boolean;
	return { ok, errors: ok ? [] : formatErrors(fn, schemaName) };
}

export interface SpecRequest {
	method: string;
	path: string;
	query?: Record<string, string>;
	headers?: Record<string, string | undefined>;
	body?: unknown;
	/** The spec's path template, where the concrete path alone is ambiguous (`/{Version}/{id}` is a number, a WABA, a template...). */
	template?: string;
}

/** The operation of the spec that serves `method path`: literal segments must match, and win over templates. */
function findOperation(method: string, requestPath: string, only?: string): { template: string; op: Any; params: Record<string, string> } | undefined {
	const { doc } = loadSpec();
	const segments = requestPath.replace(/^\/+|\/+$/g, '').split('/');
	let best: { template: string; op: Any; params: Record<string, string>; literals: number } | undefined;
	for (const [template, item] of Object.entries<Any>(doc.paths)) {
		const op = item[method.toLowerCase()];
		if (!op || (only && template !== only)) continue;
		const parts = template.replace(/^\/+|\/+$/g, '').split('/');
		if (parts.length !== segments.length) continue;
		const params: Record<string, string> = {};
		let literals = 0;
		let ok = true;
		for (let i = 0; i < parts.length && ok; i++) {
			const m = /^\{(.+)\}$/.exec(parts[i]);
			if (m) params[m[1]] = decodeURIComponent(segments[i]);
			else if (parts[i] === segments[i]) literals++;
			else ok = false;
		}
		if (ok && (!best || literals > best.literals)) best = { template, op, params, literals };
	}
	return best;
}

function resolveParameter(p: Any): Any {
	if (!p.$ref) return p;
	const name = p.$ref.split('/').pop();
	return loadSpec().doc.components.parameters[name];
}

/**
 * For a `oneOf` with an OpenAPI discriminator (Message is keyed on `type`), the branch the body
 * names, so errors speak of that branch only (Ajv supports no discriminator `mapping`).
 */
function discriminatedBranch(schema: Any, body: unknown): string | undefined {
	let resolved = schema;
	if (schema.$ref) resolved = loadSpec().doc.components.schemas[String(schema.$ref).split('/').pop() as string];
	const key = resolved?.discriminator?.propertyName;
	const tag = key && body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
	return typeof tag === 'string' ? resolved.discriminator.mapping?.[tag] : undefined;
}

export function validateRequest(req: SpecRequest): { ok: boolean; operation?: string; errors: string[] } {
	const found = findOperation(req.method, req.path, req.template);
	if (!found) return { ok: false, errors: [`no operation ${req.method.toUpperCase()} ${req.path} in Meta's spec`] };
	const operation = `${req.method.toUpperCase()} ${found.template}`;
	const errors: string[] = [];
	const headers: Record<string, string | undefined> = {};
	for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
	for (const raw of found.op.parameters ?? []) {
		const p = resolveParameter(raw);
		const value = p.in === 'path' ? found.params[p.name] : p.in === 'query' ? req.query?.[p.name] : p.in === 'header' ? headers[p.name.toLowerCase()] : undefined;
		if (value === undefined) {
			if (p.required) errors.push(`missing ${p.in} parameter ${p.name}`);
			continue;
		}
		if (p.schema && (p.schema.type === 'string' || p.schema.pattern)) {
			const fn = validatorFor(`param:${operation}:${p.in}:${p.name}`, p.schema);
			if (!fn(value)) errors.push(...formatErrors(fn, `${p.in} ${p.name}`));
		}
	}
	const bodySchema = found.op.requestBody?.content?.['application/json']?.schema;
	if (bodySchema) {
		if (req.body === undefined) {
			if (found.op.requestBody.required !== false) errors.push('missing JSON body');
		} else {
			const branch = discriminatedBranch(bodySchema, req.body);
			const fn = validatorFor(`body:${operation}:${branch ?? ''}`, branch ? { $ref: branch } : bodySchema);
			if (!fn(req.body)) errors.push(...formatErrors(fn, 'body'));
		}
	}
	return { ok: errors.length === 0, operation, errors };
}
