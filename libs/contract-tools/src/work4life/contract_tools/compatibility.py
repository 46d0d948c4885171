"""Decides whether a new JSON Schema of a published event version is compatible with the old one.

Compatible means both ways: consumers built on the old schema read the new events, and
consumers built on the new schema read events produced under the old one. Within a version
only optional fields may therefore be added.
"""

from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]


@dataclass
class Report:
    breaking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref!r}")
        node = root["$defs"][ref.removeprefix("#/$defs/")]
    if "allOf" in node and len(node["allOf"]) == 1:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        return {**_resolve(node["allOf"][0], root), **merged}
    return node


def _options(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return [o for option in node["anyOf"] for o in _options(option, root)]
    if "oneOf" in node:
        return [o for option in node["oneOf"] for o in _options(option, root)]
    return [node]


def _kind(node: Schema) -> str:
    if "const" in node:
        return f"const {node['const']!r}"
    kind = node.get("type")
    if kind is None:
        return "enum" if "enum" in node else "any"
    if isinstance(kind, list):
        kind = "|".join(sorted(kind))
    if "enum" in node:
        kind = f"{kind} enum"
    if fmt := node.get("format"):
        kind = f"{kind} ({fmt})"
    return kind


def _describe(kinds: list[str]) -> str:
    return " | ".join(sorted(set(kinds)))


def compare(old: Schema, new: Schema) -> Report:
    """Every breaking difference between two versions of one event's schema."""
    report = Report()
    _compare(old, new, "", old, new, report)
    return report


def _compare(old_node: Schema, new_node: Schema, path: str, old_root: Schema, new_root: Schema, report: Report) -> None:
    where = path or "(root)"
    old_options, new_options = _options(old_node, old_root), _options(new_node, new_root)
    old_kinds, new_kinds = [_kind(o) for o in old_options], [_kind(o) for o in new_options]
    if sorted(set(old_kinds)) != sorted(set(new_kinds)):
        report.breaking.append(f"{where}: type changed from {_describe(old_kinds)} to {_describe(new_kinds)}")
        return
    for old_option in old_options:
        kind = _kind(old_option)
        new_option = next(o for o in new_options if _kind(o) == kind)
        _compare_same_kind(old_option, new_option, where, path, old_root, new_root, report)


def _compare_same_kind(
    old: Schema, new: Schema, where: str, path: str, old_root: Schema, new_root: Schema, report: Report
) -> None:
    if "enum" in old:
        removed = [v for v in old["enum"] if v not in new.get("enum", [])]
        added = [v for v in new.get("enum", []) if v not in old["enum"]]
        if removed:
            report.breaking.append(f"{where}: allowed values removed: {', '.join(map(str, removed))}")
        if added:
            report.warnings.append(
                f"{where}: allowed values added: {', '.join(map(str, added))} "
                "(consumers on older contracts will dead-letter events that use them: deploy consumers first)"
            )
    if old.get("type") == "object":
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name, old_prop in old_props.items():
            child = f"{path}.{name}" if path else name
            if name not in new_props:
                report.breaking.append(f"{child}: field removed or renamed")
                continue
            _compare(old_prop, new_props[name], child, old_root, new_root, report)
        for name in sorted(new_required - old_required):
            child = f"{path}.{name}" if path else name
            if name in old_props:
                report.breaking.append(f"{child}: optional field became required")
            else:
                report.breaking.append(f"{child}: new required field (add it as optional, or publish a new version)")
    if old.get("type") == "array" and "items" in old and "items" in new:
        _compare(old["items"], new["items"], f"{path}[]", old_root, new_root, report)
