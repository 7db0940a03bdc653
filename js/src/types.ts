// The shapes of the widget's traits, as built by daggr/widget/bridge.py.

export type Kind = "FN" | "INPUT" | "GRADIO" | "MODEL" | "CHOICE" | string;

export interface ComponentSpec {
  component: string; // "Textbox", "Slider", ... (gradio's class name)
  kind: string; // "textbox", "slider", ...
  props: Record<string, unknown>;
  value: unknown;
}

export interface InPort {
  name: string;
  wired: boolean;
}

export interface ItemListField {
  field: string;
  component: ComponentSpec;
}

export interface OutPort {
  name: string;
  hidden: boolean; // declared as None: a value that is passed on but not displayed
  component?: ComponentSpec;
  item_list?: ItemListField[]; // an ItemList output: its items' fields
}

/** An ItemList output's items in node state (bounded: see bridge._lists). */
export interface ItemListState {
  n: number; // items in the result
  rows: Record<string, unknown>[]; // the first ones (at most 200)
  clipped?: [number, string][]; // item fields cut short: shown, not editable
  note?: string;
}

export interface Field {
  key: string; // the input key ("node__port"), as graph.run() accepts it
  port: string;
  component: ComponentSpec;
  variant?: number; // ChoiceNode: the variant this field belongs to
}

export interface TopoNode {
  id: string;
  name: string;
  kind: Kind;
  url: string | null;
  inputs: InPort[];
  outputs: OutPort[];
  fields: Field[];
  variants?: string[];
}

export interface TopoEdge {
  source: string;
  source_port: string;
  target: string;
  target_port: string;
  scatter: boolean;
  gather: boolean;
  item_key?: string | null;
}

export interface Topology {
  name: string;
  nodes: TopoNode[];
  edges: TopoEdge[];
}

export type Status =
  | "idle"
  | "pending"
  | "running"
  | "ok"
  | "cached"
  | "error"
  | "skipped"
  | "cancelled";

/** What a card shows of a value at once (from node state, bounded), and how to show the
 * rest: `type` names the value's kind in daggr's value registry. */
export interface Preview {
  type:
    | "none" | "text" | "number" | "json" | "file" | "binary" | "object" | "image" | "audio"
    | "url" | "gallery" | "chat" | "table" | "label" | "highlight" | "plot";
  mime?: string;
  text?: string;
  truncated?: boolean;
  name?: string;
  size?: number;
  url?: string; // a link shown from where it is
  hint?: string; // how to see a value daggr cannot show
  labels?: string[]; // an annotated image's labels
  count?: number; // a gallery's pictures
  duration?: number; // seconds of audio
  missing?: boolean; // a file gone from disk
}

export type Freshness = "fresh" | "stale" | "never run";

export interface ItemRow {
  s: string; // "ok" | "error" | "cancelled"
  t: string; // a short output text, or the error
}

export interface Items {
  n: number;
  failed: number;
  list: ItemRow[];
}

export interface NodeState {
  status: Status;
  items_done?: number | null; // live progress of a scattered node while it runs
  items_failed?: number | null;
  items_total?: number | null;
  rid?: string | null; // id of the result on display (what media fetches name)
  fresh?: Freshness;
  edges?: Record<string, boolean>; // "source.port>target_port" -> fresh
  items?: Items | null;
  lists?: Record<string, ItemListState> | null; // ItemList output port -> its items
  started?: number | null; // kernel clock, epoch seconds, while running
  duration?: number | null; // seconds of the last execution
  error?: string | null;
  count?: number; // results in history
  index?: number | null; // which of them is selected
  variant?: number;
  preview?: Record<string, Preview> | null;
  trace?: { rid: string | null; size: number } | null; // a failure's traceback exists (fetched on demand)
  progress?: NodeProgress | null; // while running: the app's queue position, or progress reported
  stream?: string | null; // values so far of the last run come as `partial` deltas of this stream
  notice?: string | null; // advice on how a scattered node ran (CPU-bound items on threads)
}

/** Where a running node stands, as its card shows it. */
export interface NodeProgress {
  text: string; // "queue 3/7 · ~12 s", "40% · denoising", "12/50 steps"
  share: number | null; // how much is done, 0..1, when known
}

export type NodeStates = Record<string, NodeState>;

export interface SheetsInfo {
  current: string;
  names: string[];
}

export type Point = [number, number];
export type Size = [number, number]; // a resized card's width and height

/** A titled, coloured frame around some cards; moves them together and can collapse to
 * one card. Layout only: nodes and wires stay as the code defines them. */
export interface Group {
  id: string;
  title: string;
  color: string;
  members: string[]; // node ids, each in at most one group
  collapsed?: boolean;
}

/** A sheet's layout as saved with it (the `viewport` trait): pan, zoom, and what was
 * arranged by hand. Every field but x, y, zoom and positions may be missing. */
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
  positions: Record<string, Point>;
  sizes?: Record<string, Size>;
  collapsed?: string[];
  groups?: Group[];
  minimap?: boolean; // shown or hidden by hand; missing: shown when the graph overflows
}
