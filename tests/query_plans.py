"""Reading PostgreSQL's EXPLAIN (FORMAT JSON) output in tests about query plans."""

from __future__ import annotations


def plan_nodes(explained: list) -> list[dict]:
    """Every node of the plan EXPLAIN (FORMAT JSON) returned, depth first."""
    (plan,) = explained
    nodes, todo = [], [plan["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes
