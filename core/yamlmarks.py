"""A YAML loader whose mappings remember their lines, for FILE:LINE error messages."""

from __future__ import annotations

from typing import IO

import yaml


class Located(dict):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    line = 0
    key_lines: dict

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A YAML sequence that knows the line it starts on and the line of each item."""

    line = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(item, deep=True) for item in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_located(stream: IO[str] | str) -> object:
    """Parse YAML safely; mappings come back as `Located`, sequences as `LocatedList`.
    Raises yaml.YAMLError."""
    return yaml.load(stream, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def error_line(error: yaml.YAMLError) -> int:
    """The 1-based line a YAML error points at, 0 when it has none."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark else 0
