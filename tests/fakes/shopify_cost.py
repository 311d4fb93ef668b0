"""Query cost the way Shopify's Admin GraphQL API computes it, roughly.

Shopify's published rules: a scalar or enum field costs 0, an object 1, a
connection ``2 + first x (cost of one node)``. The *requested* cost is
computed from the query before it runs (``first`` as asked); the *actual*
cost from what came back (the nodes really returned). Lists of objects that
are not connections are counted once, as one object.

Used by the test fake of the Admin API and the benchmark's server, and by
the tests that check every query stays under the 1,000-point limit.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode, SelectionSetNode

MAX_QUERY_COST = 1000


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> int:
    """Requested cost, or with ``data`` (the result) the actual cost."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    root = schema.query_type if operation.operation.value == "query" else schema.mutation_type
    assert root is not None
    walker = _Walker(schema, dict(variables or {}), actual=data is not None)
    # Mutations cost 10 at Shopify; queries are summed from their fields.
    base = 10 if operation.operation.value == "mutation" else 0
    return base + walker.selection(operation.selection_set, root, data)


class _Walker:
    def __init__(self, schema: GraphQLSchema, variables: dict[str, Any], *, actual: bool) -> None:
        self.schema, self.variables, self.actual = schema, variables, actual

    def selection(self, selection_set: SelectionSetNode | None, parent: Any, value: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, InlineFragmentNode):
                frag_type = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                total += self.selection(sel.selection_set, frag_type, value)
            elif isinstance(sel, FieldNode):
                total += self.field(sel, parent, value)
        return total

    def field(self, node: FieldNode, parent: Any, value: Any) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        field_def = parent.fields[name]
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return 0
        child = value.get(name) if (self.actual and isinstance(value, Mapping)) else None
        if self.actual and child is None:
            return 0
        if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
            return self.connection(node, named, child)
        if self.actual and isinstance(child, list):
            child = child[0] if child else None
            if child is None:
                return 0
        return 1 + self.selection(node.selection_set, named, child)

    def connection(self, node: FieldNode, conn_type: GraphQLObjectType, value: Any) -> int:
        node_type = get_named_type(conn_type.fields["nodes"].type) if "nodes" in conn_type.fields else None
        per_node_selections = []
        for sel in node.selection_set.selections if node.selection_set else ():
            if isinstance(sel, FieldNode) and sel.name.value == "nodes":
                per_node_selections.append((sel.selection_set, None))
            elif isinstance(sel, FieldNode) and sel.name.value == "edges":
                for inner in sel.selection_set.selections if sel.selection_set else ():
                    if isinstance(inner, FieldNode) and inner.name.value == "node":
                        per_node_selections.append((inner.selection_set, "edges"))
        if not self.actual:
            first = self.argument(node, "first") or self.argument(node, "last") or 0
            one = sum(1 + self.selection(s, node_type, None) for s, _ in per_node_selections)
            return 2 + int(first) * one
        total = 2
        for sel_set, via in per_node_selections:
            items = value.get("nodes") if via is None else [e.get("node") for e in value.get("edges") or ()]
            for item in items or ():
                if item is not None:
                    total += 1 + self.selection(sel_set, node_type, item)
        return total

    def argument(self, node: FieldNode, name: str) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                return value_from_ast_untyped(arg.value, self.variables)
        return None
