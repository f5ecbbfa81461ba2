"""Exports of a network for i2 Analyst's Notebook, Gephi and the like: GraphML, and CSV nodes and links files.

An export holds entities (id, kind, label, network, centrality) and links (the two entities, why they are linked,
how often and when), and for each entity the references of the reports that mention it. It never holds what a
report or intelligence item says, nor who an item came from: an analyst who needs that opens the report, where
disclosure is controlled and recorded. The column layout is documented in docs/i2-import.md.
"""

import csv
import io
import zipfile

import networkx as nx

from lantern.intel.items.models import IntelligenceItem
from lantern.intel.network.graph import MENTION_MODELS

NODE_COLUMNS = [
    "Id",
    "Label",
    "Kind",
    "Network",
    "Degree",
    "Betweenness",
    "Closeness",
    "Eigenvector",
    "Core",
    "Reports",
]
LINK_COLUMNS = ["Source", "Target", "Kinds", "Reasons", "Weight", "FirstSeen", "LastSeen"]
# A cell starting with one of these is read as a formula by spreadsheets; it is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _references(entity_ids: list[int]) -> dict[int, list[str]]:
    """Each entity's report references (referrals and items), nothing else about the reports."""
    from lantern.intake.models import Referral

    referrals: dict[int, set[int]] = {}
    items: dict[int, set[int]] = {}
    for model in MENTION_MODELS:
        for entity_id, referral_id, item_id in model.objects.filter(entity_id__in=entity_ids).values_list(
            "entity_id", "referral_id", "item_id"
        ):
            if referral_id is not None:
                referrals.setdefault(entity_id, set()).add(referral_id)
            if item_id is not None:
                items.setdefault(entity_id, set()).add(item_id)
    referral_refs = dict(
        Referral.objects.filter(pk__in={i for ids in referrals.values() for i in ids}).values_list(
            "pk", "reference"
        )
    )
    item_refs = dict(
        IntelligenceItem.objects.filter(pk__in={i for ids in items.values() for i in ids}).values_list(
            "pk", "reference"
        )
    )
    return {
        entity_id: sorted(
            [referral_refs[i] for i in referrals.get(entity_id, ()) if i in referral_refs]
            + [item_refs[i] for i in items.get(entity_id, ()) if i in item_refs]
        )
        for entity_id in entity_ids
    }


def _rows(view) -> tuple[list[dict], list[dict]]:
    references = _references([r["entity"].pk for r in view.rows])
    nodes = []
    for row in view.rows:
        entity, m = row["entity"], row["measures"]
        nodes.append(
            {
                "Id": entity.pk,
                "Label": entity.label,
                "Kind": entity.kind,
                "Network": "" if entity.network is None else entity.network,
                "Degree": m.degree,
                "Betweenness": round(m.betweenness, 6),
                "Closeness": round(m.closeness, 6),
                "Eigenvector": "" if m.eigenvector is None else round(m.eigenvector, 6),
                "Core": m.core,
                "Reports": "; ".join(references.get(entity.pk, [])),
            }
        )
    links = [
        {
            "Source": link["source"],
            "Target": link["target"],
            "Kinds": "; ".join(link["kinds"]),
            "Reasons": "; ".join(link["reasons"]),
            "Weight": link["weight"],
            "FirstSeen": link["first_seen"].isoformat() if link["first_seen"] else "",
            "LastSeen": link["last_seen"].isoformat() if link["last_seen"] else "",
        }
        for link in view.links
    ]
    return nodes, links


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the byte-order mark tells Excel and i2 it is UTF-8


def nodes_csv(view) -> bytes:
    """The entities of a network as CSV (UTF-8 with a byte-order mark)."""
    return _csv(NODE_COLUMNS, _rows(view)[0])


def links_csv(view) -> bytes:
    """The links of a network as CSV (UTF-8 with a byte-order mark)."""
    return _csv(LINK_COLUMNS, _rows(view)[1])


def csv_zip(view, *, stem: str) -> bytes:
    """Both CSV files in one zip: `<stem>-nodes.csv` and `<stem>-links.csv`."""
    nodes, links = _rows(view)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}-nodes.csv", _csv(NODE_COLUMNS, nodes))
        archive.writestr(f"{stem}-links.csv", _csv(LINK_COLUMNS, links))
    return buffer.getvalue()


def graphml(view) -> bytes:
    """The network as GraphML: node and edge attributes named as the CSV columns, in lower case."""
    nodes, links = _rows(view)
    graph = nx.Graph(name=f"Lantern network of entity {view.centre.pk}")
    for node in nodes:
        # An empty value is left out rather than written as text, so every attribute keeps one type.
        graph.add_node(str(node["Id"]), **{k.lower(): v for k, v in node.items() if k != "Id" and v != ""})
    for link in links:
        graph.add_edge(
            str(link["Source"]),
            str(link["Target"]),
            **{k.lower(): v for k, v in link.items() if k not in ("Source", "Target") and v != ""},
        )
    out = io.BytesIO()
    nx.write_graphml(graph, out, encoding="utf-8", prettyprint=True)
    return out.getvalue()
