"""Helpers for the import and correlation tests: post through the real API, import directly."""

from __future__ import annotations

import json

from ingestion.importing import import_batch_now


def post(client, token: str, alerts: list[dict]):
    response = client.generic(
        "POST",
        "/api/v1/alerts/",
        json.dumps({"alerts": alerts}).encode(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.content
    return response.json()


def post_and_import(client, token: str, alerts: list[dict], size: int = 1000):
    """Post ``alerts`` in batches of ``size`` and import each batch in order."""
    outcomes = []
    for start in range(0, len(alerts), size):
        answer = post(client, token, alerts[start : start + size])
        if answer["accepted"]:
            outcomes.append(import_batch_now(answer["batch"]))
    return outcomes


def alert(external_id: str, **fields) -> dict:
    body = {
        "external_id": external_id,
        "kind": "distillation.cot_elicitation",
        "severity": "high",
        "observed_at": "2026-11-28T09:14:03Z",
    }
    body.update(fields)
    return body
