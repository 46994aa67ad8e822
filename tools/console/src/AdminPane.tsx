/**
 * Administration: the app's settings as a form (Marketplace > Installed > WhatsApp Business), the
 * connected numbers, the live log of what reached the Message Status Endpoint URL (the sandbox's
 * status sink), and what waits in the deliveries outbox.
 */
import { Box, Button, PasswordInput, Tabs, TextAreaInput, TextInput } from '@rocket.chat/fuselage';
import React, { useEffect, useRef, useState } from 'react';

import { every, get, Json, post, time } from './api';

type Tab = 'settings' | 'numbers' | 'statuses' | 'outbox';

export function AdminPane() {
	const [tab, setTab] = useState<Tab>('settings');
	const [data, setData] = useState<Json | undefined>();
	useEffect(() => every(1000, async () => setData(await get('/sandbox/ui/admin'))), []);
	const tabs: Array<[Tab, string]> = [
		['settings', 'Settings'],
		['numbers', 'Connected numbers'],
		['statuses', 'Status callbacks'],
		['outbox', 'Deliveries outbox'],
	];
	return (
		<section className="admin" aria-label="Administration">
			<header className="room__header">
				<span className="room__title">Administration · Apps · WhatsApp Business</span>
			</header>
			<Tabs>
				{tabs.map(([id, label]) => (
					<Tabs.Item key={id} selected={tab === id} onClick={() => setTab(id)}>
						{label}
					</Tabs.Item>
				))}
			</Tabs>
			<div className="admin__body">
				{!data ? (
					<Box>Loading…</Box>
				) : tab === 'settings' ? (
					<SettingsForm settings={data.settings} />
				) : tab === 'numbers' ? (
					<Numbers numbers={data.numbers} />
				) : tab === 'statuses' ? (
					<StatusLog entries={data.statusLog} sinkUrl={String(data.sinkUrl)} />
				) : (
					<Outbox outbox={data.outbox} />
				)}
			</div>
		</section>
	);
}

function SettingsForm(props: { settings: Json[] }) {
	// The form holds what the admin typed; a setting not touched follows the server.
	const [edits, setEdits] = useState<Record<string, unknown>>({});
	const [saved, setSaved] = useState('');
	const settingsRef = useRef(props.settings);
	settingsRef.current = props.settings;
	const value = (s: Json) => (s.id in edits ? edits[s.id] : s.value);
	const save = async () => {
		const changed = Object.entries(edits);
		for (const [id, v] of changed) {
			const setting = settingsRef.current.find((s) => s.id === id);
			const typed = setting && (setting.type === 'int' || setting.type === 'number') ? Number(v) : v;
			await post('/sandbox/settings', { id, value: typed });
		}
		setEdits({});
		setSaved(changed.length ? `Saved ${changed.length} setting${changed.length > 1 ? 's' : ''}.` : 'Nothing changed.');
	};
	return (
		<form
			className="settings"
			onSubmit={(e) => {
				e.preventDefault();
				void save();
			}}
		>
			{props.settings.map((s) => {
				const id = `setting-${String(s.id)}`;
				const set = (v: unknown) => {
					setSaved('');
					setEdits((old) => ({ ...old, [s.id]: v }));
				};
				let input: React.ReactNode;
				if (s.type === 'boolean') {
					input = <input id={id} type="checkbox" checked={Boolean(value(s))} onChange={(e) => set(e.currentTarget.checked)} />;
				} else if (s.type === 'select' && Array.isArray(s.values)) {
					input = (
						<select id={id} className="select" value={String(value(s) ?? '')} onChange={(e) => set(e.currentTarget.value)}>
							{(s.values as Json[]).map((o) => (
								<option key={String(o.key)} value={String(o.key)}>
									{String(o.label ?? o.key)}
								</option>
							))}
						</select>
					);
				} else if (s.multiline || s.type === 'code') {
					input = (
						<TextAreaInput
							id={id}
							rows={3}
							value={String(value(s) ?? '')}
							onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => set(e.currentTarget.value)}
						/>
					);
				} else if (s.type === 'password') {
					// The server sends a set secret as a mask: it is the placeholder, never part of what is typed.
					input = (
						<PasswordInput
							id={id}
							value={String(s.id in edits ? edits[s.id] : '')}
							placeholder={s.value ? String(s.value) : undefined}
							onChange={(e: React.ChangeEvent<HTMLInputElement>) => set(e.currentTarget.value)}
						/>
					);
				} else {
					input = (
						<TextInput
							id={id}
							value={String(value(s) ?? '')}
							onChange={(e: React.ChangeEvent<HTMLInputElement>) => set(e.currentTarget.value)}
						/>
					);
				}
				return (
					<div className="setting" key={String(s.id)}>
						<label htmlFor={id} className="setting__label">
							{String(s.label)}
						</label>
						{input}
						{s.description ? <div className="setting__hint">{String(s.description)}</div> : null}
					</div>
				);
			})}
			<div className="settings__footer">
				<Button primary type="submit">
					Save changes
				</Button>
				<span role="status">{saved}</span>
			</div>
		</form>
	);
}

function Numbers(props: { numbers: Json[] }) {
	if (!props.numbers.length) return <Box>No number is connected: run /whatsapp connect in a room.</Box>;
	return (
		<table className="table">
			<thead>
				<tr>
					<th>Number</th>
					<th>Name</th>
					<th>Phone number ID</th>
					<th>WhatsApp Business Account</th>
					<th>Access token</th>
					<th>App secret</th>
					<th>Connected</th>
				</tr>
			</thead>
			<tbody>
				{props.numbers.map((n) => (
					<tr key={String(n.phoneNumberId)}>
						<td>{String(n.displayPhoneNumber)}</td>
						<td>{String(n.verifiedName)}</td>
						<td>{String(n.phoneNumberId)}</td>
						<td>{String(n.wabaId)}</td>
						<td>{String(n.accessToken)}</td>
						<td>{String(n.appSecret)}</td>
						<td>{String(n.connectedAt ?? '')}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}

function StatusLog(props: { entries: Json[]; sinkUrl: string }) {
	const intro = (
		<p className="admin__intro">
			What the app POSTed to the sandbox&apos;s status sink, <code>{props.sinkUrl}</code> (set it as the Message Status Endpoint URL),
			newest first.
		</p>
	);
	if (!props.entries.length)
		return (
			<>
				{intro}
				<Box>Nothing has reached the status sink yet.</Box>
			</>
		);
	return (
		<>
			{intro}
			<table className="table" data-qa="status-log">
				<thead>
					<tr>
						<th>Received</th>
						<th>Status</th>
						<th>Message (msId)</th>
						<th>Payload</th>
					</tr>
				</thead>
				<tbody>
					{[...props.entries].reverse().map((e, i) => (
						<tr key={i}>
							<td>{time(Number(e.at))}</td>
							<td className="status-cell">{String(e.body?.MessageStatus ?? '')}</td>
							<td className="mono">{String(e.body?.msId ?? '—')}</td>
							<td className="mono payload">{e.raw}</td>
						</tr>
					))}
				</tbody>
			</table>
		</>
	);
}

function Outbox(props: { outbox: Json }) {
	const rows: Json[] = [
		...(props.outbox.pending as Json[]).map((i) => ({ ...i, state: 'pending' })),
		...(props.outbox.failed as Json[]).map((i) => ({ ...i, state: 'failed' })),
	];
	if (!rows.length) return <Box>The outbox is empty: every status was delivered.</Box>;
	return (
		<table className="table">
			<thead>
				<tr>
					<th>State</th>
					<th>Status</th>
					<th>Attempts</th>
					<th>Item</th>
				</tr>
			</thead>
			<tbody>
				{rows.map((r, i) => (
					<tr key={i}>
						<td>{r.state}</td>
						<td>{String(r.payload?.MessageStatus ?? '')}</td>
						<td>{String(r.attempts ?? 0)}</td>
						<td className="mono payload">{JSON.stringify(r)}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}
