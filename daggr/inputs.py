"""User inputs: which keys a graph takes, and whether a value suits its component.

``graph.run()``, the canvas and the REST API all map keys and check values here (through
:meth:`daggr.session.Session.parse_inputs`), so the same mistake gets the same message
wherever it is made. Values from code are trusted (a path, a PIL image or an array passes
as it is); values from a browser or an API client (``source=WIRE``) are size-limited, and
their file inputs take only uploads or files the server itself produced.

Example:
    >>> from daggr import components as gr
    >>> check_value(gr.Number(minimum=0, maximum=5), 3, "f__n")
    3
    >>> check_value(gr.Dropdown(["cat", "dog"]), "cta", "f__pet")
    Traceback (most recent call last):
    ...
    daggr.inputs.BadInputValue: 'cta' is not a choice of 'f__pet'. Did you mean 'cat'? Choices: cat, dog
"""

from __future__ import annotations

import json
import math
import numbers
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError, InputError, did_you_mean, listing
from daggr.nodes.choice import ChoiceNode
from daggr.records import FileValue
from daggr.values import files
from daggr.values.limits import MAX_JSON_INPUT, MAX_TEXT_INPUT, max_upload_bytes

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.nodes.base import Node
    from daggr.runtime.plan import Plan

VARIANT_PORT = "_selected_variant"  # ``{choice id}___selected_variant`` picks a variant
TEXT_KINDS = ("textbox", "textarea", "colorpicker", "code")
NUMBER_KINDS = ("number", "slider")
CHOICE_KINDS = ("dropdown", "radio", "checkboxgroup")
FILE_HINT = (
    "File inputs take an upload (a file dropped on the card, or a data: URL such as "
    'data:image/png;base64,...), an http(s) URL, {"url": ...}, or a /file/<id> URL '
    "returned by an earlier API call."
)


class UnknownInput(InputError):
    """An input key the graph does not have. ``valid``: the keys it has."""

    def __init__(self, message: str, key: str, valid: list[str]) -> None:
        super().__init__(message)
        self.key, self.valid = key, valid


class BadInputValue(InputError):
    """A value its input cannot take. ``valid``: the values it can take, when few."""

    def __init__(
        self, message: str, key: str, node: str | None = None, valid: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.key, self.node, self.valid = key, node, valid


class UploadTooLarge(BadInputValue):
    """An upload over ``$DAGGR_MAX_UPLOAD_MB``."""


@dataclass(frozen=True)
class Upload:
    """Bytes a person sent for a file input (a file dropped on the canvas)."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class Source:
    """Where values come from. ``wire``: a browser or an API client, not code;
    ``resolve_file`` maps a ``/file/<id>`` reference to a file the server produced;
    ``fetch_url`` downloads a file given by URL (None: URLs are refused)."""

    wire: bool = False
    resolve_file: Callable[[str], FileValue | None] | None = None
    fetch_url: Callable[[str], FileValue] | None = None


CODE = Source()
WIRE = Source(wire=True)


# -- keys -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputKey:
    """One user input: ``key`` is ``{node id or variant key}__{port}``; inputs sharing a
    component instance share a ``slot``; ``owner`` is the node (or variant) it feeds."""

    key: str
    node: str
    port: str
    slot: str
    component: Any
    owner: Node
    variant: int | None


class InputTable:
    """Every input key of a compiled graph, and the keys that pick a choice's variant."""

    def __init__(self, graph: Graph, plan: Plan) -> None:
        self.entries: dict[str, InputKey] = {}
        self.variant_keys: dict[str, str] = {}  # key -> choice node name
        for name in plan.order:
            node_plan = plan.nodes[name]
            if node_plan.is_choice:
                self.variant_keys[f"{graph.id_of(name)}__{VARIANT_PORT}"] = name
            prefixes = plan.variant_keys.get(name) or [graph.id_of(name)]
            for i, step in enumerate(node_plan.steps):
                for port, slot in step.slot_ports.items():
                    key = f"{prefixes[i]}__{port}"
                    self.entries[key] = InputKey(
                        key,
                        name,
                        port,
                        slot,
                        plan.slots[slot].component,
                        step.node,
                        i if node_plan.is_choice else None,
                    )

    def valid(self, within: Collection[str] | None = None) -> list[str]:
        keys = [k for k, e in self.entries.items() if within is None or e.node in within]
        return keys + [k for k, n in self.variant_keys.items() if within is None or n in within]


_TABLES: weakref.WeakKeyDictionary[Plan, InputTable] = weakref.WeakKeyDictionary()


def input_table(graph: Graph, plan: Plan) -> InputTable:
    """The plan's input table, built once per compiled plan."""
    table = _TABLES.get(plan)
    if table is None:
        table = _TABLES[plan] = InputTable(graph, plan)
    return table


def parse(
    graph: Graph,
    table: InputTable,
    given: dict[Any, Any],
    *,
    within: Collection[str] | None = None,
    source: Source = CODE,
    variant_of: Callable[[str], int] = lambda name: 0,
) -> tuple[dict[str, Any], dict[str, int]]:
    """Map given inputs to checked slot values and variant choices, or explain the mistake.

    Keys are ``node__port``, a bare port name that only one input has, a node name with a
    ``{port: value}`` dict, or ``node___selected_variant``; ``within`` limits them to some
    nodes (a REST subgraph). All values are checked before anything is returned.
    """
    parser = _Parser(graph, table, within, source, variant_of)
    for key, value in given.items():
        parser.add(key, value)
    return parser.slots, parser.variants


class _Parser:
    def __init__(
        self,
        graph: Graph,
        table: InputTable,
        within: Collection[str] | None,
        source: Source,
        variant_of: Callable[[str], int],
    ) -> None:
        self.graph, self.table, self.within = graph, table, within
        self.source, self.variant_of = source, variant_of
        self.slots: dict[str, Any] = {}
        self.variants: dict[str, int] = {}

    def add(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            raise UnknownInput(
                f"Input names are strings like 'node__port'; got {key!r}.", str(key), self.valid()
            )
        entry = self.table.entries.get(key)
        if entry is not None and self._in_scope(entry.node):
            self.slots[entry.slot] = check_input(entry, value, key, self.source)
        elif key.endswith("__" + VARIANT_PORT):
            self._variant(key, value)
        elif key in self.graph and isinstance(value, dict):
            for port, v in value.items():
                self.add(self._nested_key(key, str(port)), v)
        else:
            entry = self._bare_port(key)
            self.slots[entry.slot] = check_input(entry, value, key, self.source)

    def valid(self) -> list[str]:
        return self.table.valid(self.within)

    def _in_scope(self, name: str) -> bool:
        return self.within is None or name in self.within

    def _unknown(self, key: str, why: str = "") -> UnknownInput:
        valid = self.valid()
        return UnknownInput(
            f"Unknown input '{key}' for graph '{self.graph.name}'.{why}"
            f"{did_you_mean(key, valid)} Valid inputs: {listing(valid)}",
            key,
            valid,
        )

    def _node(self, key: str, node: str) -> str:
        try:
            name = self.graph.resolve(node)
        except DaggrError:
            raise self._unknown(key) from None
        if not self._in_scope(name):
            raise self._unknown(key)
        return name

    def _variant(self, key: str, value: Any) -> None:
        name = self._node(key, key[: -len(VARIANT_PORT) - 2])
        choice = self.graph.nodes[name]
        if not isinstance(choice, ChoiceNode):
            raise self._unknown(key, f" Node '{name}' is not a ChoiceNode; it has no variants.")
        try:
            self.variants[name] = choice.variant_index(value)
        except DaggrError as exc:
            raise BadInputValue(str(exc), key, name, [v.name for v in choice.variants]) from None

    def _nested_key(self, node: str, port: str) -> str:
        name = self._node(node, node)
        nid = self.graph.id_of(name)
        if port == VARIANT_PORT:
            return f"{nid}__{VARIANT_PORT}"
        key = f"{nid}__{port}"
        choice = self.graph.nodes[name]
        if key not in self.table.entries and isinstance(choice, ChoiceNode):
            # A variant's input named on the choice: the selected variant's if every
            # variant has it, else the first variant that does.
            matches = [
                e.key for e in self.table.entries.values() if (e.node, e.port) == (name, port)
            ]
            if matches:
                every = len(matches) == len(choice.variants)
                return matches[self.variant_of(name)] if every else matches[0]
        return key

    def _bare_port(self, key: str) -> InputKey:
        matches = {
            e.slot: e
            for e in self.table.entries.values()
            if e.port == key and self._in_scope(e.node)
        }
        if len(matches) == 1:
            return next(iter(matches.values()))
        if len(matches) > 1:
            raise UnknownInput(
                f"Input '{key}' is ambiguous: several nodes have it. "
                f"Use one of: {listing(sorted(matches))}",
                key,
                sorted(matches),
            )
        raise self._unknown(key, self._wired_hint(key))

    def _wired_hint(self, key: str) -> str:
        node, sep, port = key.partition("__")
        if not sep or node not in self.graph:
            return ""
        name = self.graph.resolve(node)
        for edge in self.graph.in_edges(name):
            if edge.target_port == port:
                return (
                    f" '{name}.{port}' is wired from '{edge.source_node}.{edge.source_port}', "
                    "so it is not a user input."
                )
        return ""


# -- values ---------------------------------------------------------------------------------
def check_input(entry: InputKey, value: Any, key: str, source: Source = CODE) -> Any:
    """The value for ``entry``'s slot: checked against its component, files stored."""
    try:
        if getattr(entry.component, "is_file", False):
            return file_input(entry.component, value, key, source)
        if entry.component is None:
            return value
        return check_value(entry.component, value, key, wire=source.wire)
    except BadInputValue as exc:
        exc.node = exc.node or entry.node
        raise


class _Spec:
    """What checks need of a component, given the component or its ``to_dict()``."""

    __slots__ = ("kind", "name", "_props", "_component")

    def __init__(self, component: Any) -> None:
        if isinstance(component, dict):  # a description (the canvas's topology)
            self.kind = component.get("kind")
            self.name = component.get("component") or self.kind
            self._props, self._component = component.get("props") or {}, None
        else:
            self.kind, self.name = component.kind, component.component
            self._props, self._component = None, component

    def prop(self, name: str) -> Any:
        if self._props is not None:
            return self._props.get(name)
        return getattr(self._component, name, None)


def check_value(component: Any, value: Any, key: str, *, wire: bool = False) -> Any:
    """The value if it suits the component (a component or its ``to_dict()``), else
    :class:`BadInputValue`. None is an empty value and suits every component; ``wire``:
    the value came from a browser or an API client, so sizes are limited too."""
    kind = component.get("kind") if isinstance(component, dict) else component.kind
    check = _CHECKS.get(kind)
    if value is not None and check is not None:
        check(_Spec(component), value, key, wire)
    return value


def _check_json(spec: _Spec, value: Any, key: str, wire: bool) -> None:
    if wire:
        try:
            n = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise BadInputValue(f"'{key}' ({spec.name}) takes a JSON value: {exc}", key) from None
        if n > MAX_JSON_INPUT:
            raise BadInputValue(
                f"'{key}' got {n:,} bytes of JSON; a browser or an API call sends at most "
                f"{MAX_JSON_INPUT:,}. Pass large values from code: graph.run({key}=...).",
                key,
            )
    if spec.kind == "dataframe" and not _is_table(value):
        raise BadInputValue(
            f"'{key}' (Dataframe) takes rows (a list of lists) or {{'headers', 'data'}}, "
            f"got {_kind(value)}.",
            key,
        )


def _check_text(spec: _Spec, value: Any, key: str, wire: bool) -> None:
    if not isinstance(value, str):
        raise BadInputValue(f"'{key}' ({spec.name}) takes text, got {_kind(value)}.", key)
    if wire and len(value) > MAX_TEXT_INPUT:
        raise BadInputValue(
            f"'{key}' got {len(value):,} characters; a browser or an API call sends at "
            f"most {MAX_TEXT_INPUT:,}. Pass long values from code: graph.run({key}=...).",
            key,
        )


def _check_number(spec: _Spec, value: Any, key: str, wire: bool) -> None:
    if not _finite(value):
        raise BadInputValue(
            f"'{key}' ({spec.name}) takes a finite number, got {_kind(value)}.", key
        )
    lo = spec.prop("minimum") if _finite(spec.prop("minimum")) else None
    hi = spec.prop("maximum") if _finite(spec.prop("maximum")) else None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = (
            f"at most {hi}"
            if lo is None
            else f"at least {lo}"
            if hi is None
            else f"between {lo} and {hi}"
        )
        got = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise BadInputValue(f"'{key}' must be {bounds}, got {got}.", key)


def _check_checkbox(spec: _Spec, value: Any, key: str, wire: bool) -> None:
    if not isinstance(value, bool):
        raise BadInputValue(f"'{key}' (Checkbox) takes true or false, got {_kind(value)}.", key)


def _check_choices(spec: _Spec, value: Any, key: str, wire: bool) -> None:
    choices = [c[1] if isinstance(c, (list, tuple)) else c for c in spec.prop("choices") or []]
    many = spec.kind == "checkboxgroup" or bool(spec.prop("multiselect"))
    if many and not isinstance(value, list):
        raise BadInputValue(
            f"'{key}' ({spec.name}) takes a list of choices, got {_kind(value)}.", key
        )
    custom = bool(spec.prop("allow_custom_value"))  # only a Dropdown has it
    for v in value if many else [value]:
        if not (_is_choice(v, choices) or (custom and isinstance(v, str)) or v is None):
            shown = [str(c) for c in choices]
            raise BadInputValue(
                f"{v!r} is not a choice of '{key}'.{did_you_mean(str(v), shown)}"
                f" Choices: {listing(choices)}",
                key,
                valid=shown,
            )


def _is_choice(value: Any, choices: list[Any]) -> bool:
    try:
        return value in choices
    except TypeError:  # a value that cannot be compared with the choices
        return False


_CHECKS: dict[str, Callable[[_Spec, Any, str, bool], None]] = {
    "json": _check_json,
    "dataframe": _check_json,
    **dict.fromkeys(TEXT_KINDS, _check_text),
    **dict.fromkeys(NUMBER_KINDS, _check_number),
    "checkbox": _check_checkbox,
    **dict.fromkeys(CHOICE_KINDS, _check_choices),
}


def _is_table(value: Any) -> bool:
    if isinstance(value, list):
        return True
    if isinstance(value, dict):
        return isinstance(value.get("data"), list)
    return type(value).__module__.startswith("pandas")  # a DataFrame passed from code


def _finite(v: Any) -> bool:
    if type(v) is int:  # the common cases first, without an ABC check
        return True
    if type(v) is float:
        return math.isfinite(v)
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:39] + '…'}"


# -- files ----------------------------------------------------------------------------------
def file_input(component: Any, value: Any, key: str, source: Source = CODE) -> Any:
    """A file input's value. From code anything passes (paths, URLs, PIL images, arrays);
    from the wire only uploads and files the server produced, stored as files (a path sent
    by a remote caller would make the server read its own files)."""
    if not source.wire or value is None:
        return value
    spec = _Spec(component)
    many = spec.kind == "gallery" or spec.prop("file_count") in ("multiple", "directory")
    if many and isinstance(value, list):
        return [_one_file(component, v, key, source) for v in value]
    stored = _one_file(component, value, key, source)
    return [stored] if many else stored


def _one_file(component: Any, value: Any, key: str, source: Source) -> FileValue:
    name = _Spec(component).name
    if isinstance(value, Upload):
        _check_upload_size(len(value.data), key)
        return files.save_upload(value.data, files.ext_of_name(value.filename))
    if isinstance(value, dict):  # gradio's file objects: {"url": ...} or {"path": ...}
        value = value.get("url") or value.get("path")
    if not isinstance(value, str):
        raise BadInputValue(f"'{key}' is a {name} input. {FILE_HINT}", key)
    if value.startswith("data:"):
        size = files.data_url_size(value)
        if size is None:
            raise BadInputValue(f"'{key}': malformed data: URL. {FILE_HINT}", key)
        _check_upload_size(size, key)
        try:
            data, mime = files.decode_data_url(value)
        except ValueError as exc:
            raise BadInputValue(f"'{key}': {exc}. {FILE_HINT}", key) from None
        return files.save_upload(data, files.ext_for_mime(mime))
    ref = value.rsplit("/file/", 1)[-1] if "/file/" in value else None
    found = source.resolve_file(ref) if ref and source.resolve_file else None
    if found is not None:
        return found
    if value.startswith(("http://", "https://")) and source.fetch_url is not None:
        try:
            return source.fetch_url(value)
        except ValueError as exc:  # refused or failed: say which and why
            raise BadInputValue(f"'{key}': {exc}", key) from None
    # Never a path on the server: a remote caller must not make it read its own files.
    raise BadInputValue(
        f"'{key}' got {value[:80]!r}, which is not an upload or a file this server "
        f"produced, nor an http(s) URL (a path on the server is never read for a remote "
        f"caller). {FILE_HINT}",
        key,
    )


def _check_upload_size(size: int, key: str) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise UploadTooLarge(
            f"'{key}': the upload is about {size / 2**20:.1f} MB; uploads are limited to "
            f"{limit / 2**20:g} MB (set DAGGR_MAX_UPLOAD_MB to change it), or pass the path "
            f"from code: graph.run({key}='/path/to/file').",
            key,
        )
