/**
 * A state machine drawn as the Step Functions console draws it: its states as boxes laid out top to
 * bottom (dagre), transitions as arrows (`Next`, a Choice's rules and default, dashed for `Catch`), a
 * Map's item processor as a box around its own states. With an execution's state statuses, boxes are
 * coloured by how far the run got.
 */
import { esc } from './html';

/**
 * The part of dagre's API drawn with. dagre ships CommonJS for require() but declares its types for
 * ESM imports only, which a CommonJS module cannot name; these are its documented signatures.
 */
interface DagreGraph {
  setGraph(label: Record<string, unknown>): void;
  setDefaultEdgeLabel(label: () => Record<string, unknown>): void;
  setNode(name: string, label: Record<string, unknown>): void;
  setParent(name: string, parent: string): void;
  setEdge(from: string, to: string, label: Record<string, unknown>, name: string): void;
  graph(): unknown;
  nodes(): string[];
  edges(): { v: string; w: string; name?: string }[];
  node(name: string): unknown;
  edge(edge: { v: string; w: string; name?: string }): unknown;
}
const { Graph, layout } = require('@dagrejs/dagre') as {
  Graph: new (options: { compound?: boolean; multigraph?: boolean }) => DagreGraph;
  layout(graph: DagreGraph): void;
};

interface StateDefinition {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { Next?: string }[];
  readonly Catch?: readonly { Next: string; ErrorEquals?: string[] }[];
  readonly ItemProcessor?: MachineDefinition;
  readonly Iterator?: MachineDefinition;
  readonly Branches?: readonly MachineDefinition[];
}

export interface MachineDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, StateDefinition>>;
}

export type StateStatus = 'succeeded' | 'failed' | 'running' | 'caught';

const FILL: Record<StateStatus | 'none', string> = {
  succeeded: '#dafbe1',
  failed: '#ffebe9',
  caught: '#fff8c5',
  running: '#ddf4ff',
  none: '#ffffff',
};
const STROKE: Record<StateStatus | 'none', string> = {
  succeeded: '#1a7f37',
  failed: '#cf222e',
  caught: '#9a6700',
  running: '#0969da',
  none: '#8c959f',
};

interface EdgeLabel {
  points?: { x: number; y: number }[];
  dashed?: boolean;
  label?: string;
}

/** The SVG of a state machine; `statuses` by state name colour the boxes (an execution's view). */
export function stateMachineSvg(
  definition: MachineDefinition,
  statuses: ReadonlyMap<string, StateStatus> = new Map(),
): string {
  const g = new Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 34, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const kinds = new Map<string, string>();
  const add = (machine: MachineDefinition, parent: string | undefined, prefix: string) => {
    const id = (name: string) => `${prefix}${name}`;
    const start = `${prefix}__start`;
    g.setNode(start, { width: 14, height: 14, label: '' });
    kinds.set(start, 'start');
    if (parent) g.setParent(start, parent);
    g.setEdge(start, id(machine.StartAt), {}, `${start}->start`);
    for (const [name, state] of Object.entries(machine.States)) {
      const node = id(name);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner || state.Branches) {
        // A container: a box with its own graph inside, entered and left through small anchor nodes.
        g.setNode(node, { label: name, paddingTop: 26 });
        kinds.set(node, `container:${state.Type}`);
        if (parent) g.setParent(node, parent);
        if (inner) add(inner, node, `${node}/`);
        for (const [i, branch] of (state.Branches ?? []).entries()) add(branch, node, `${node}/${i}/`);
      } else {
        g.setNode(node, { label: name, width: Math.max(120, name.length * 7.6 + 24), height: 34 });
        kinds.set(node, state.Type);
        if (parent) g.setParent(node, parent);
      }
    }
    for (const [name, state] of Object.entries(machine.States)) {
      const from = anchor(id(name), machine.States[name] as StateDefinition, 'out');
      const to = (target: string) => anchor(id(target), machine.States[target] as StateDefinition, 'in');
      if (state.Next) g.setEdge(from, to(state.Next), {}, `${from}->${state.Next}`);
      for (const [i, choice] of (state.Choices ?? []).entries())
        if (choice.Next) g.setEdge(from, to(choice.Next), { label: `rule ${i + 1}` }, `${from}->${choice.Next}#${i}`);
      if (state.Default) g.setEdge(from, to(state.Default), { label: 'default' }, `${from}->${state.Default}#default`);
      for (const [i, c] of (state.Catch ?? []).entries())
        g.setEdge(from, to(c.Next), { dashed: true, label: 'catch' }, `${from}->${c.Next}#catch${i}`);
    }
  };
  // Edges into and out of a container attach to the container's first inner node (dagre lays out
  // compound nodes around their children, not as edge endpoints).
  const anchor = (node: string, state: StateDefinition | undefined, _dir: 'in' | 'out') => {
    const inner = state?.ItemProcessor ?? state?.Iterator;
    return inner ? `${node}/${inner.StartAt}` : node;
  };
  add(definition, undefined, '');
  layout(g);

  const graph = g.graph() as { width?: number; height?: number };
  const width = Math.ceil(graph.width ?? 400);
  const height = Math.ceil(graph.height ?? 300);
  const parts: string[] = [];
  // containers first (underneath), then edges, then states
  for (const v of g.nodes()) {
    const kind = kinds.get(v) ?? '';
    if (!kind.startsWith('container:')) continue;
    const n = g.node(v) as { x: number; y: number; width: number; height: number; label: string };
    const name = v.split('/').pop() as string;
    const s = statuses.get(name) ?? 'none';
    parts.push(
      `<g class="state container" data-state="${esc(name)}" data-status="${s}"><rect x="${n.x - n.width / 2}" y="${n.y - n.height / 2}" width="${n.width}" height="${n.height}" rx="8" fill="${s === 'none' ? '#f6f8fa' : FILL[s]}" stroke="${STROKE[s]}" stroke-dasharray="4 3"/><text x="${n.x - n.width / 2 + 10}" y="${n.y - n.height / 2 + 17}" font-size="12" font-weight="600">${esc(name)} (${esc(kind.slice(10))})</text></g>`,
    );
  }
  for (const e of g.edges()) {
    const label = g.edge(e) as EdgeLabel;
    const points = label.points ?? [];
    if (points.length < 2) continue;
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${label.dashed ? '#cf222e' : '#57606a'}" stroke-width="1.3"${label.dashed ? ' stroke-dasharray="5 4" opacity="0.55"' : ''} marker-end="url(#arrow)"/>`,
    );
    if (label.label && !label.dashed) {
      const mid = points[Math.floor(points.length / 2)] as { x: number; y: number };
      parts.push(`<text x="${mid.x + 4}" y="${mid.y - 3}" font-size="10" fill="#57606a">${esc(label.label)}</text>`);
    }
  }
  for (const v of g.nodes()) {
    const kind = kinds.get(v) ?? '';
    if (kind.startsWith('container:')) continue;
    const n = g.node(v) as { x: number; y: number; width: number; height: number };
    if (kind === 'start') {
      parts.push(`<circle cx="${n.x}" cy="${n.y}" r="6" fill="#57606a"/>`);
      continue;
    }
    const name = v.split('/').pop() as string;
    const s = statuses.get(name) ?? 'none';
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    const shape =
      kind === 'Choice'
        ? `<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="17" fill="${FILL[s]}" stroke="${STROKE[s]}" stroke-width="1.5"/>`
        : `<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="${kind === 'Succeed' || kind === 'Fail' ? 17 : 4}" fill="${FILL[s]}" stroke="${STROKE[s]}" stroke-width="${s === 'none' ? 1 : 2}"/>`;
    parts.push(
      `<g class="state" data-state="${esc(name)}" data-status="${s}"><title>${esc(name)} (${esc(kind)})${s === 'none' ? '' : `: ${s}`}</title>${shape}<text x="${n.x}" y="${n.y + 4}" text-anchor="middle" font-size="12">${esc(name)}</text></g>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="state machine"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>${parts.join('')}</svg>`;
}
