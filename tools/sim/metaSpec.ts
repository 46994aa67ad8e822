/**
 * Meta's official OpenAPI spec of the Cloud API (shared/contracts/meta-openapi), loaded once per
 * process and compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1). The simulator
 * validates every request the app sends with `validateRequest`; tests also check payloads the
 * template model builds with `validateSchema`. The spec's known defects are patched in memory
 * (`patchKnownDefects`); see tools/sim/README.md.
 */
import * as fs from 'fs';
import * as path from 'path';

import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as YAML from 'yaml';

import { CONTRACTS_DIR } from './contracts';

const SPEC_PATH = path.join(CONTRACTS_DIR, 'meta-openapi', 'business-messaging-api_v23.0.yaml');
const SPEC_ID = 'meta-business-messaging';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface ValidationResult {
	ok: boolean;
	/** `METHOD /template` of the spec operation the request was matched to. */
	operation?: string;
	errors: string[];
}

export interface SpecRequest {
	method: string;
	path: string;
	query?: Record<string, string>;
	headers?: Record<string, string | undefined>;
	body?: unknown;
	/**
	 * The spec's path template, when the caller knows it: `/{Version}/{id}` alone is ambiguous (a
	 * phone number, a WABA, a template, a media id...). The simulator passes it.
	 */
	template?: string;
}

let loaded: { doc: Any; ajv: Ajv2020 } | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * Corrections of the spec's known defects (shared/contracts/README.md and Meta's own examples that
 * the spec rejects), applied to the in-memory copy only. The file under shared/ is never touched.
 */
function patchKnownDefects(doc: Any): void {
	const schemas = doc.components.schemas;

	// LanguageObject marks `policy` required, but every send example in Meta's docs omits it.
	schemas.LanguageObject.required = (schemas.LanguageObject.required ?? []).filter((r: string) => r !== 'policy');

	// `recipient_type` is optional on Meta's side (default "individual"): the spec's own
	// "Send Flow Template Message" and "Send Sample Issue Resolution Template" examples omit it.
	schemas.BaseMessageProperties.required = (schemas.BaseMessageProperties.required ?? []).filter((r: string) => r !== 'recipient_type');
	// A message may carry `biz_opaque_callback_data` (at most 512 characters), which Meta echoes on its
	// status webhooks (pywa/message_status.json `with_tracker`);
	// the spec declares it only on call requests. Meta's Messages reference and whatsapp-api-js's
	// `ClientMessageRequest` have it on every message.
	schemas.BaseMessageProperties.properties.biz_opaque_callback_data = { type: 'string', maxLength: 512 };
	// A message to a user named by their business-scoped user id goes to `recipient`, without `to`,
	// which takes phone numbers only (Meta's "Business-scoped user IDs", after v23.0: "set `recipient`
	// to the user's BSUID or parent BSUID; omit the `to` property"; "You can include both `to` (phone
	// number) and `recipient` (BSUID or parent BSUID) in your request. If you do, `to` (phone number)
	// will take precedence"; BSUIDs "must now be assigned to dedicated properties").
	const bsuid = '^[A-Z]{2}\\.(?:ENT\\.)?[A-Za-z0-9]{1,128}$';
	const base = schemas.BaseMessageProperties;
	base.properties.recipient = { type: 'string', pattern: bsuid };
	base.properties.to = { ...base.properties.to, not: { pattern: '^[A-Z]{2}\\.' } };
	base.required = base.required.filter((r: string) => r !== 'to');
	base.anyOf = [{ required: ['to'] }, { required: ['recipient'] }];

	const component = schemas.TemplateComponent.properties;
	// TemplateComponent.index has the nonsense pattern `^[2-6, 11-14]$` and type string, while the
	// description says "Position index of the button (0-9)" and Meta's examples send both "0" and 0.
	component.index = {
		description: component.index?.description,
		anyOf: [
			{ type: 'string', pattern: '^[0-9]$' },
			{ type: 'integer', minimum: 0, maximum: 9 },
		],
	};
	// Component and button types used by Meta's documented sends but missing from the enums:
	// `limited_time_offer` components (limited-time-offer templates page), `copy_code` buttons (same
	// page), `flow` buttons ("Send Flow Template Message"), and `CATALOG` as spelled by the spec's
	// own "Send Catalog Template Message" example.
	component.type.enum = [...component.type.enum, 'limited_time_offer'];
	component.sub_type.enum = [...component.sub_type.enum, 'copy_code', 'flow', 'CATALOG'];
	// `mpm` buttons: Meta's "Multi-product message templates" page (sending) sends `{"type": "button",
	// "sub_type": "mpm", "index": 0, "parameters": [{"type": "action", "action":
	// {"thumbnail_product_retailer_id": ..., "sections": [{"title": ..., "product_items": [...]}]}}]}`.
	component.sub_type.enum.push('mpm');
	// `carousel` components, missing from the spec: Meta's "Sending Media Card Carousel Templates"
	// (/docs/whatsapp/cloud-api/guides/send-message-templates/media-card-carousel-templates) sends
	// `{"type": "carousel", "cards": [{"card_index": <integer>, "components": [header, body, button...]}]}`,
	// up to 10 cards ("Media card carousel templates": "up to 10 product media cards"), each card's
	// components those of a template send (a header with its image or video, a body, buttons).
	component.type.enum = [...component.type.enum, 'carousel'];
	schemas.TemplateComponent.discriminator.mapping.carousel = '#/components/schemas/CarouselComponent';
	schemas.CarouselComponent = {
		allOf: [
			{ $ref: '#/components/schemas/TemplateComponent' },
			{
				type: 'object',
				required: ['cards'],
				properties: {
					type: { enum: ['carousel'] },
					cards: {
						type: 'array',
						minItems: 1,
						maxItems: 10,
						items: {
							type: 'object',
							required: ['card_index', 'components'],
							additionalProperties: false,
							properties: {
								card_index: { type: 'integer', minimum: 0, maximum: 9 },
								components: {
									type: 'array',
									items: {
										allOf: [
											{ $ref: '#/components/schemas/TemplateComponent' },
											{ properties: { type: { enum: ['header', 'body', 'button'] } } },
										],
									},
								},
							},
						},
					},
				},
			},
		],
	};

	// The branch copies of the same fields in ButtonComponent carry the same defects.
	const button = schemas.ButtonComponent.allOf[1].properties;
	button.index = component.index;
	button.sub_type.enum = component.sub_type.enum;
	// Parameter types of Meta's documented sends missing from the enums: `location` headers
	// (/templates/components "Send example"), `coupon_code` (copy-code buttons) and `action`
	// (catalog and flow buttons), `limited_time_offer` (LTO component).
	schemas.ParameterObject.properties.type.enum = [...schemas.ParameterObject.properties.type.enum, 'location', 'limited_time_offer'];
	// `product` header parameters: Meta's "Sending single-product message templates" (and its product
	// card carousel page) send `{"type": "product", "product": {"product_retailer_id": "<PRODUCT_ID>",
	// "catalog_id": "<CATALOG_ID>"}}`, both "Required" strings.
	schemas.ParameterObject.properties.type.enum.push('product');
	schemas.ParameterObject.discriminator.mapping.product = '#/components/schemas/ProductParameter';
	schemas.ProductParameter = {
		allOf: [
			{ $ref: '#/components/schemas/ParameterObject' },
			{
				type: 'object',
				required: ['product'],
				properties: {
					type: { enum: ['product'] },
					product: {
						type: 'object',
						required: ['product_retailer_id', 'catalog_id'],
						additionalProperties: false,
						properties: { product_retailer_id: { type: 'string', minLength: 1 }, catalog_id: { type: 'string', minLength: 1 } },
					},
				},
			},
		],
	};
	schemas.ButtonParameterObject.properties.type.enum = [...schemas.ButtonParameterObject.properties.type.enum, 'coupon_code', 'action'];
	enforceDiscriminators(doc, ['TemplateComponent', 'ParameterObject', 'ButtonParameterObject']);

	// The message schemas (TextMessage, ImageMessage...) are `allOf: [BaseMessageProperties, {additionalProperties: false, ...}]`:
	// in JSON Schema the inner `additionalProperties` cannot see the base's properties, so Meta's own
	// "Send Text Message" example fails. `unevaluatedProperties: false` on the whole is what was meant.
	for (const schema of Object.values<Any>(schemas)) {
		if (!Array.isArray(schema?.allOf) || !schema.allOf.some((part: Any) => part?.$ref)) continue;
		const closed = schema.allOf.filter((part: Any) => part?.additionalProperties === false);
		if (!closed.length) continue;
		for (const part of closed) delete part.additionalProperties;
		schema.unevaluatedProperties = false;
	}
	// Statuses.status lacks `played` (voice messages), which Meta sends (pywa/message_status.json).
	const status = schemas.Statuses?.properties?.status;
	if (Array.isArray(status?.enum) && !status.enum.includes('played')) status.enum = [...status.enum, 'played'];

	// A read receipt (`status: read` + `message_id`, optionally a typing indicator) goes to the same
	// /messages operation, and the spec's own "Send typing indicator and read receipt" example shows
	// it, but the Message oneOf has no branch for it: every branch requires `to` and `type`.
	schemas.ReadReceipt = {
		type: 'object',
		required: ['messaging_product', 'status', 'message_id'],
		properties: {
			messaging_product: { type: 'string', enum: ['whatsapp'] },
			status: { type: 'string', enum: ['read'] },
			message_id: { type: 'string', minLength: 1 },
			typing_indicator: {
				type: 'object',
				required: ['type'],
				properties: { type: { type: 'string', enum: ['text'] } },
				additionalProperties: false,
			},
		},
		additionalProperties: false,
	};
	if (Array.isArray(schemas.Message?.oneOf)) schemas.Message.oneOf.push({ $ref: '#/components/schemas/ReadReceipt' });

	// The media upload's form lists `file` and `messaging_product` but requires nothing and omits
	// `type`, which Meta's media reference requires with the other two (the file's MIME type).
	// Its `application/json` variant is curl's `-F file=@/local/path` syntax turned into JSON by the
	// spec's generator (`file: '@/local/path/file.ogg;type=ogg'`): Graph takes the upload as a form only.
	const uploadContent = doc.paths['/{Version}/{Phone-Number-ID}/media']?.post?.requestBody?.content;
	if (uploadContent?.['multipart/form-data']) delete uploadContent['application/json'];
	const upload = uploadContent?.['multipart/form-data']?.schema;
	if (upload) {
		upload.properties.type = { type: 'string', pattern: '^[a-z]+/[-+.\\w]+$' };
		upload.required = ['file', 'messaging_product', 'type'];
	}
}

/**
 * Ajv ignores OpenAPI discriminator mappings, so a template component or parameter would only be
 * checked against its base schema (a boolean `text` would pass). For each named base schema this adds
 * `<Base>Dispatch` (the base plus "if type is X then the mapped branch") and points the places that
 * hold such objects at it; the branches keep referring to the plain base, so nothing recurses.
 */
function enforceDiscriminators(doc: Any, bases: string[]): void {
	const schemas = doc.components.schemas;
	const branches = new Set<string>();
	for (const base of bases) {
		const { propertyName, mapping } = schemas[base].discriminator;
		for (const target of Object.values<string>(mapping)) branches.add(target.split('/').pop() as string);
		schemas[`${base}Dispatch`] = {
			allOf: [
				{ $ref: `#/components/schemas/${base}` },
				...Object.entries<string>(mapping).map(([tag, target]) => ({
					if: { properties: { [propertyName]: { const: tag } }, required: [propertyName] },
					then: { $ref: target },
				})),
			],
		};
	}
	const retarget = (node: Any): void => {
		if (!node || typeof node !== 'object') return;
		if (typeof node.$ref === 'string') {
			const name = node.$ref.split('/').pop();
			if (bases.includes(name)) node.$ref = `#/components/schemas/${name}Dispatch`;
		}
		for (const value of Object.values(node)) retarget(value);
	};
	for (const [name, schema] of Object.entries<Any>(schemas)) {
		if (branches.has(name)) {
			// Only the branch's own properties are retargeted; its `allOf[0]` stays the plain base.
			for (const part of schema.allOf ?? []) if (!part.$ref) retarget(part);
		} else if (!name.endsWith('Dispatch')) retarget(schema);
	}
	retarget(doc.paths);
}

/** The parsed, patched spec and its Ajv instance; parsed and compiled once per process. */
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

/** Local `#/components/...` refs of an operation schema point into the registered spec document. */
function rebase(schema: Any): Any {
	return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, `"$ref":"${SPEC_ID}#/components/`));
}

function validatorFor(key: string, schema: Any): ValidateFunction {
	let fn = compiled.get(key);
	if (!fn) {
		fn = loadSpec().ajv.compile(rebase(schema));
		compiled.set(key, fn);
	}
	return fn;
}

function formatErrors(fn: ValidateFunction, where: string): string[] {
	return (fn.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`.trim());
}

/** Validates `value` against `components.schemas.<schemaName>` (e.g. 'WebhookPayload', 'TemplateObject'). */
export function validateSchema(schemaName: string, value: unknown): ValidationResult {
	if (!loadSpec().doc.components.schemas[schemaName]) return { ok: false, errors: [`no schema ${schemaName} in Meta's spec`] };
	const fn = validatorFor(`schema:${schemaName}`, { $ref: `#/components/schemas/${schemaName}` });
	const ok = fn(value) as boolean;
	return { ok, errors: ok ? [] : formatErrors(fn, schemaName) };
}

interface Candidate {
	template: string;
	op: Any;
	params: Record<string, string>;
	literals: number;
}

/** Operations of the spec whose template fits `method path`, most literal segments first. */
function candidates(method: string, requestPath: string, only?: string): Candidate[] {
	const { doc } = loadSpec();
	const segments = requestPath.replace(/^\/+|\/+$/g, '').split('/');
	const found: Candidate[] = [];
	for (const [template, item] of Object.entries<Any>(doc.paths)) {
		const op = item[method.toLowerCase()];
		if (!op || (only && template !== only)) continue;
		const parts = template.replace(/^\/+|\/+$/g, '').split('/');
		if (parts.length !== segments.length) continue;
		const params: Record<string, string> = {};
		let literals = 0;
		const fits = parts.every((part, i) => {
			const name = /^\{(.+)\}$/.exec(part)?.[1];
			if (name) params[name] = decodeURIComponent(segments[i]);
			else if (part === segments[i]) literals++;
			else return false;
			return true;
		});
		if (fits) found.push({ template, op, params, literals });
	}
	return found.sort((a, b) => b.literals - a.literals);
}

function resolve(section: 'parameters' | 'schemas', item: Any): Any {
	return item?.$ref ? loadSpec().doc.components[section][String(item.$ref).split('/').pop() as string] : item;
}

/**
 * For a `oneOf` with an OpenAPI discriminator (the send body is keyed on `type`), the branch the
 * body names, so errors speak of that branch only (Ajv does not support discriminator `mapping`).
 */
function discriminatedBranch(schema: Any, body: unknown): string | undefined {
	const resolved = resolve('schemas', schema);
	const key = resolved?.discriminator?.propertyName;
	const tag = key && body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
	return typeof tag === 'string' ? resolved.discriminator.mapping?.[tag] : undefined;
}

/** Query and path values arrive as strings; integer/number parameters are checked as numbers. */
function typed(value: string, schema: Any): unknown {
	const numeric = schema.type === 'integer' || schema.type === 'number';
	return numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function checkParameters(found: Candidate, operation: string, req: SpecRequest): string[] {
	const errors: string[] = [];
	const headers: Record<string, string | undefined> = {};
	for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
	for (const raw of found.op.parameters ?? []) {
		const p = resolve('parameters', raw);
		let value: string | undefined;
		if (p.in === 'path') value = found.params[p.name];
		else if (p.in === 'query') value = req.query?.[p.name];
		else if (p.in === 'header') value = headers[p.name.toLowerCase()];
		if (value === undefined) {
			if (p.required) errors.push(`missing ${p.in} parameter ${p.name}`);
			continue;
		}
		if (!p.schema) continue;
		// The spec's User-Agent pattern describes Meta's own generated SDK; Graph accepts any client.
		if (p.in === 'header' && p.name.toLowerCase() === 'user-agent') continue;
		// `Content-Type: application/json; charset=utf-8` is application/json: compare the media type only.
		if (p.in === 'header' && p.name.toLowerCase() === 'content-type') value = value.split(';')[0].trim().toLowerCase();
		const fn = validatorFor(`param:${operation}:${p.in}:${p.name}`, p.schema);
		if (!fn(typed(value, p.schema))) errors.push(...formatErrors(fn, `${p.in} parameter ${p.name}`));
	}
	return errors;
}

function checkBody(found: Candidate, operation: string, body: unknown, contentType: string): string[] {
	const requestBody = found.op.requestBody;
	// A multipart body (a media upload) arrives as its parsed fields, the file part as a marker.
	const mediaType = contentType.startsWith('multipart/form-data') ? 'multipart/form-data' : 'application/json';
	const schema = requestBody?.content?.[mediaType]?.schema;
	if (!schema) {
		// A body of a media type the operation does not take (JSON to the multipart media upload).
		if (requestBody?.content && body !== undefined)
			return [`the operation takes no ${mediaType} body (it takes ${Object.keys(requestBody.content).join(', ')})`];
		return mediaType === 'application/json' || !requestBody ? [] : [`the operation takes no ${mediaType} body`];
	}
	if (body === undefined) return requestBody.required ? [`missing ${mediaType} body`] : [];
	const branch = discriminatedBranch(schema, body);
	const fn = validatorFor(`body:${operation}:${branch ?? ''}`, branch ? { $ref: branch } : schema);
	return fn(body) ? [] : formatErrors(fn, 'body');
}

/**
 * Validates a request against the spec operation it addresses: required path/query/header
 * parameters and their schemas, and the JSON body against the operation's requestBody schema.
 * Literal segments win over templates; among equally specific templates (`/{Version}/{X}` is a
 * phone number, a WABA, a template...) the first that accepts the request is taken, unless
 * `req.template` names the operation.
 */
export function validateRequest(req: SpecRequest): ValidationResult {
	const method = req.method.toUpperCase();
	const found = candidates(method, req.path, req.template);
	if (!found.length) return { ok: false, errors: [`no operation ${method} ${req.path} in Meta's spec`] };
	let first: ValidationResult | undefined;
	for (const candidate of found.filter((c) => c.literals === found[0].literals)) {
		const operation = `${method} ${candidate.template}`;
		const contentType = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
		const errors = [
			...checkParameters(candidate, operation, req),
			...checkBody(candidate, operation, req.body, contentType.toLowerCase()),
		];
		if (!errors.length) return { ok: true, operation, errors };
		first ??= { ok: false, operation, errors };
	}
	return first as ValidationResult;
}
