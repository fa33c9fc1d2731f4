"""The OpenAPI 3.1 description of the open data interface, built from the field list."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from .opendata import (
    ATTRIBUTION,
    DATASET_DESCRIPTION,
    DATASET_TITLE,
    FEED_LENGTH,
    FIELD_NAMES,
    FIELDS,
    LICENCE_NAME,
    LICENCE_URL,
    MAX_AGE,
    PUBLISHER,
    absolute,
)


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "schema": schema}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of the open data interface."""
    overview_url = absolute(reverse("awards:opendata"))
    record_schema = {
        "type": "object",
        "description": "Eine gültige Auszeichnung „Digitales Amt“.",
        "required": FIELD_NAMES,
        "additionalProperties": False,
        "properties": {
            field.name: {**field.schema, "description": str(field.description)} for field in FIELDS
        },
    }
    dataset_schema = {
        "type": "object",
        "required": [
            "titel",
            "beschreibung",
            "herausgeber",
            "lizenz",
            "namensnennung",
            "stand",
            "anzahl",
            "auszeichnungen",
        ],
        "properties": {
            "titel": {"type": "string", "description": "Titel des Datensatzes."},
            "beschreibung": {"type": "string", "description": "Beschreibung des Datensatzes."},
            "herausgeber": {"type": "string", "description": "Wer die Daten veröffentlicht."},
            "lizenz": {
                "type": "object",
                "description": "Lizenz, unter der die Daten stehen.",
                "required": ["name", "url"],
                "properties": {
                    "name": {"type": "string", "const": LICENCE_NAME},
                    "url": {"type": "string", "format": "uri", "const": LICENCE_URL},
                },
            },
            "namensnennung": {
                "type": "string",
                "description": "So ist die Quelle bei einer Nutzung zu nennen.",
            },
            "stand": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "Letzte Änderung an den Auszeichnungen; null, wenn es keine gibt.",
            },
            "anzahl": {
                "type": "integer",
                "minimum": 0,
                "description": "Zahl der Einträge in auszeichnungen.",
            },
            "dokumentation": {
                "type": "string",
                "format": "uri",
                "description": "Beschreibung der Daten für Menschen.",
            },
            "schema": {
                "type": "string",
                "format": "uri",
                "description": "Dieses OpenAPI-Dokument.",
            },
            "auszeichnungen": {
                "type": "array",
                "description": "Alle gültigen Auszeichnungen, nach Nummer sortiert.",
                "items": {"$ref": "#/components/schemas/Auszeichnung"},
            },
        },
    }
    cache_headers = {
        "ETag": {"$ref": "#/components/headers/ETag"},
        "Last-Modified": {"$ref": "#/components/headers/Last-Modified"},
        "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
        "Link": {"$ref": "#/components/headers/Link"},
        "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"},
    }
    conditional = [
        {"$ref": "#/components/parameters/If-None-Match"},
        {"$ref": "#/components/parameters/If-Modified-Since"},
    ]
    not_modified = {"$ref": "#/components/responses/NotModified"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Digitales Amt – offene Daten",
            "version": "1.0.0",
            "summary": str(DATASET_TITLE),
            "description": (
                f"{DATASET_DESCRIPTION} Die Daten werden bei jedem Abruf aus dem Bestand erzeugt; "
                f"Antworten dürfen {MAX_AGE} Sekunden zwischengespeichert werden, ETag und "
                "Last-Modified erlauben bedingte Abrufe (HTTP 304). Namensnennung: "
                f"„{ATTRIBUTION}“."
            ),
            "contact": {"name": PUBLISHER, "url": overview_url},
            "license": {"name": LICENCE_NAME, "url": LICENCE_URL},
        },
        "servers": [{"url": settings.SITE_URL}],
        "externalDocs": {"description": "Offene Daten – Erläuterung", "url": overview_url},
        "tags": [{"name": "Auszeichnungen", "description": "Kommunen mit dem Prädikat."}],
        "paths": {
            reverse("awards:opendata_json"): {
                "get": {
                    "operationId": "listAwards",
                    "tags": ["Auszeichnungen"],
                    "summary": "Alle gültigen Auszeichnungen als JSON",
                    "description": (
                        "Ein Objekt mit den Metadaten des Datensatzes und der Liste "
                        "auszeichnungen, nach Nummer sortiert. Widerrufene Auszeichnungen "
                        "fehlen."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Der Datensatz.",
                            "headers": cache_headers,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Auszeichnungen"}
                                }
                            },
                        },
                        "304": not_modified,
                    },
                }
            },
            reverse("awards:opendata_csv"): {
                "get": {
                    "operationId": "listAwardsCsv",
                    "tags": ["Auszeichnungen"],
                    "summary": "Alle gültigen Auszeichnungen als CSV",
                    "description": (
                        "Dieselben Felder wie im JSON in derselben Reihenfolge, eine Zeile je "
                        "Auszeichnung: UTF-8 mit BOM, Komma als Trennzeichen, Kopfzeile mit den "
                        "Feldnamen, Quoting nach RFC 4180, leere Zellen für null. Text, der mit "
                        "=, +, -, @ beginnt, erhält ein vorangestelltes ', damit eine "
                        "Tabellenkalkulation ihn nicht als Formel ausführt."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Die Tabelle.",
                            "headers": cache_headers,
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        "304": not_modified,
                    },
                }
            },
            reverse("awards:feed"): {
                "get": {
                    "operationId": "awardFeed",
                    "tags": ["Auszeichnungen"],
                    "summary": "Neue Auszeichnungen als Atom-Feed",
                    "description": (
                        f"Die {FEED_LENGTH} neuesten Auszeichnungen, die neueste zuerst; jeder "
                        "Eintrag verweist auf die Prüfseite und die Seite der Kommune."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Der Feed (Atom 1.0, RFC 4287).",
                            "headers": cache_headers,
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        "304": not_modified,
                    },
                }
            },
        },
        "components": {
            "schemas": {"Auszeichnung": record_schema, "Auszeichnungen": dataset_schema},
            "parameters": {
                "If-None-Match": {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "description": "ETag eines früheren Abrufs; unverändert ergibt HTTP 304.",
                    "schema": {"type": "string"},
                },
                "If-Modified-Since": {
                    "name": "If-Modified-Since",
                    "in": "header",
                    "required": False,
                    "description": "Zeitpunkt eines früheren Abrufs (HTTP-Datum).",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "ETag": _header("Version des Datensatzes.", {"type": "string"}),
                "Last-Modified": _header(
                    "Letzte Änderung an den Auszeichnungen.", {"type": "string"}
                ),
                "Cache-Control": _header(
                    "Zwischenspeichern erlaubt.",
                    {"type": "string", "examples": ["public, max-age=300"]},
                ),
                "Link": _header("Lizenz (rel=license) und Beschreibung.", {"type": "string"}),
                "Access-Control-Allow-Origin": _header(
                    "Abruf von jeder Website aus erlaubt (CORS).", {"type": "string", "const": "*"}
                ),
            },
            "responses": {
                "NotModified": {
                    "description": "Nicht geändert seit dem Abruf mit diesem ETag bzw. Zeitpunkt.",
                    "headers": {
                        "ETag": {"$ref": "#/components/headers/ETag"},
                        "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
                    },
                }
            },
        },
    }
