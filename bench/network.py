"""Association graph benchmark: build a synthetic graph, then time shortest paths and paths of up to four hops.

    python bench/network.py [--nodes 1000000] [--edges 5000000] [--pairs 1000] [--seed 1] [--db] [--json]

The synthetic graph has the shape of an intelligence picture: entities in small local clusters (a peer group, a
household, a taxi firm's drivers and cars) with most links inside a cluster and the rest across the borough
(80% local, 20% anywhere), so paths between unrelated entities are several hops long, as in real networks.

It reports the time to build the in-memory CSR adjacency that `lantern.intel.network.graph` holds per process, the memory
it holds and the peak while building, the time to merge 100 new links into it (what a process does when a report
adds associations), and for `--pairs` random pairs of entities the wall-clock (and CPU) p50, p95
and p99 time of a shortest path, with how many pairs were connected and the mean path length. For pairs within
four hops it also times the search for every simple path of up to four hops (at most 100 paths).

With `--db` the edges are also written to PostgreSQL (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lantern_bench_network, created and migrated if needed; rows written by an
earlier run with the same sizes are reused) and the graph is loaded from there exactly as a web or worker process
does (`graph_load`, a binary COPY), and that load is timed.

Target on the 2-core reference machine: shortest path p95 under 100 ms at 1M entities and 5M links.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench_network"
TARGET_P95_MS = 100.0
CLUSTER = 50
LOCAL_SHARE = 0.8


def synthetic_edges(nodes: int, edges: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`edges` pairs of entity ids in 1..nodes: most within clusters of CLUSTER ids, the rest anywhere."""
    rng = np.random.default_rng(seed)
    sources = rng.integers(1, nodes + 1, size=edges, dtype=np.int64)
    local = rng.random(edges) < LOCAL_SHARE
    targets = rng.integers(1, nodes + 1, size=edges, dtype=np.int64)
    cluster_start = ((sources - 1) // CLUSTER) * CLUSTER + 1
    offsets = rng.integers(0, CLUSTER, size=edges, dtype=np.int64)
    targets[local] = np.minimum(cluster_start[local] + offsets[local], nodes)
    return sources, targets


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    return float(np.percentile(np.asarray(values), q, method="inverted_cdf")) if values else float("nan")


def setup_django(database_url: str | None) -> None:
    """Django settings for the graph module (and the database, with --db)."""
    sys.path.insert(0, str(ROOT))
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.test")
    import django

    django.setup()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def write_to_database(nodes: int, sources: np.ndarray, targets: np.ndarray) -> float:
    """Replace every entity and association with the synthetic ones (COPY); returns seconds taken."""
    from django.core.management import call_command
    from django.db import connection

    from lantern.intel.models import Association, Entity

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    entity_table, association_table = Entity._meta.db_table, Association._meta.db_table
    keep = sources != targets
    pairs = np.unique(
        np.stack([np.minimum(sources, targets)[keep], np.maximum(sources, targets)[keep]], axis=1), axis=0
    )
    if Entity.objects.count() == nodes and Association.objects.count() == len(pairs):
        return 0.0  # the same synthetic graph from an earlier run (same sizes and seed): not written again
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {association_table}, {entity_table} RESTART IDENTITY CASCADE")
        raw = cursor.cursor
        with raw.copy(
            f"COPY {entity_table} (id, kind, label, attributes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for start in range(1, nodes + 1, 100_000):
                block = io.StringIO()
                for entity_id in range(start, min(start + 100_000, nodes + 1)):
                    block.write(f"{entity_id}\tperson\tEntity {entity_id}\t{{}}\tnow\tnow\n")
                copy.write(block.getvalue())
        with raw.copy(
            f"COPY {association_table} (source_id, target_id, kind, weight, note) FROM STDIN"
        ) as copy:
            for start in range(0, len(pairs), 200_000):
                chunk = pairs[start : start + 200_000]
                copy.write("".join(f"{a}\t{b}\tco_mention\t1\t\n" for a, b in chunk.tolist()))
        cursor.execute(f"ANALYZE {association_table}")
    return time.perf_counter() - started


def run(args) -> list[dict]:
    """Build, load if asked, and time the queries; one row of figures per measurement."""
    setup_django(args.database_url if args.db else None)
    from lantern.intel.network.graph import AssociationGraph, graph_load

    rows: list[dict] = []
    base = {"benchmark": "network", "nodes": args.nodes, "edges": args.edges}
    started = time.perf_counter()
    sources, targets = synthetic_edges(args.nodes, args.edges, args.seed)
    generate_seconds = time.perf_counter() - started

    tracemalloc.start()
    cpu, started = time.process_time(), time.perf_counter()
    graph = AssociationGraph.from_edges(sources, targets)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    components = graph.component_sizes()
    component_seconds = time.perf_counter() - started
    # What a process does after a new report adds associations: merge them into its copy (here 100 links, 10 of
    # them to entities new to the graph).
    extra_sources, extra_targets = synthetic_edges(args.nodes, 100, args.seed + 2)
    extra_sources[:10] = np.arange(args.nodes + 1, args.nodes + 11)
    cpu, started = time.process_time(), time.perf_counter()
    grown = graph.with_edges(extra_sources, extra_targets)
    grow_seconds, grow_cpu = time.perf_counter() - started, time.process_time() - cpu
    if grown.node_count != graph.node_count + 10:
        raise SystemExit(f"Adding 10 nodes gave {grown.node_count - graph.node_count}.")
    del grown
    rows.append(
        {
            **base,
            "measure": "build",
            "graph_nodes": graph.node_count,
            "graph_links": graph.edge_count,
            "generate_seconds": round(generate_seconds, 2),
            "build_seconds": round(build_seconds, 2),
            "build_cpu_seconds": round(build_cpu, 2),
            "graph_mb": round(graph.nbytes / 2**20, 1),
            "build_peak_mb": round(peak / 2**20, 1),
            "components": len(components),
            "largest_component": components[0] if components else 0,
            "components_seconds": round(component_seconds, 2),
            "add_100_links_seconds": round(grow_seconds, 3),
            "add_100_links_cpu_seconds": round(grow_cpu, 3),
        }
    )

    if args.db:
        ensure_database(args.database_url)
        write_seconds = write_to_database(args.nodes, sources, targets)
        cpu, started = time.process_time(), time.perf_counter()
        loaded = graph_load()
        load_seconds, load_cpu = time.perf_counter() - started, time.process_time() - cpu
        if loaded.edge_count != graph.edge_count:
            raise SystemExit(f"The database holds {loaded.edge_count} links, not {graph.edge_count}.")
        rows.append(
            {
                **base,
                "measure": "load",
                "database": "postgresql",
                "write_seconds": round(write_seconds, 1),
                "load_seconds": round(load_seconds, 2),
                "load_cpu_seconds": round(load_cpu, 2),
            }
        )
        del loaded

    rng = np.random.default_rng(args.seed + 1)
    pairs = rng.integers(1, args.nodes + 1, size=(args.pairs, 2)).tolist()
    graph.shortest_path(*pairs[0])  # the first query pays for page faults; not counted
    wall, cpu_times, lengths, near = [], [], [], []
    for a, b in pairs:
        cpu, started = time.process_time(), time.perf_counter()
        path = graph.shortest_path(a, b)
        wall.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        if path is not None:
            lengths.append(len(path) - 1)
            if len(path) - 1 <= 4:
                near.append((a, b))
    p95 = percentile(wall, 95)
    rows.append(
        {
            **base,
            "measure": "shortest_path",
            "pairs": len(pairs),
            "connected": len(lengths),
            "mean_hops": round(float(np.mean(lengths)), 2) if lengths else None,
            "p50_ms": round(percentile(wall, 50), 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(percentile(wall, 99), 2),
            "max_ms": round(max(wall), 2),
            "cpu_p50_ms": round(percentile(cpu_times, 50), 2),
            "cpu_p95_ms": round(percentile(cpu_times, 95), 2),
            "target_p95_ms": TARGET_P95_MS,
            "target_met": bool(p95 < TARGET_P95_MS),
        }
    )

    # Pairs within four hops: neighbours of neighbours of random entities, so there are enough of them.
    for a in rng.integers(1, args.nodes + 1, size=args.pairs).tolist():
        if len(near) >= min(args.pairs, 200):
            break
        second = [n for m in graph.neighbours(a)[:3] for n in graph.neighbours(m)[:3] if n != a]
        if second:
            near.append((a, second[0]))
    wall, counts = [], []
    for a, b in near[:200]:
        started = time.perf_counter()
        paths, _ = graph.simple_paths(a, b)
        wall.append((time.perf_counter() - started) * 1000)
        counts.append(len(paths))
    rows.append(
        {
            **base,
            "measure": "paths_up_to_4_hops",
            "pairs": len(wall),
            "mean_paths": round(float(np.mean(counts)), 1) if counts else None,
            "p50_ms": round(percentile(wall, 50), 2),
            "p95_ms": round(percentile(wall, 95), 2),
            "p99_ms": round(percentile(wall, 99), 2),
        }
    )
    rows.append(
        {
            **base,
            "measure": "process",
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
    return rows


def report(rows: list[dict], as_json: bool) -> None:
    """Print the figures as a table, or one JSON object per line."""
    if as_json:
        for row in rows:
            print(json.dumps(row), flush=True)
        return
    first = rows[0]
    print(
        f"Association graph: {first['nodes']:,} entities, {first['edges']:,} links generated "
        f"({first['graph_links']:,} distinct pairs, {first['components']:,} components, "
        f"largest {first['largest_component']:,})"
    )
    print(
        f"  build CSR adjacency     {first['build_seconds']:>8.2f} s  (CPU {first['build_cpu_seconds']:.2f} s), "
        f"holds {first['graph_mb']} MB, peak while building {first['build_peak_mb']} MB"
    )
    print(f"  connected components    {first['components_seconds']:>8.2f} s")
    print(
        f"  add 100 new links       {first['add_100_links_seconds']:>8.2f} s  (CPU {first['add_100_links_cpu_seconds']:.2f} s;"
        " what each process does after a report adds links)"
    )
    for row in rows[1:]:
        if row["measure"] == "load":
            print(
                f"  load from PostgreSQL    {row['load_seconds']:>8.2f} s  (CPU {row['load_cpu_seconds']:.2f} s; "
                + (
                    f"COPY of the rows took {row['write_seconds']} s)"
                    if row["write_seconds"]
                    else "rows from an earlier run reused)"
                )
            )
        elif row["measure"] == "shortest_path":
            verdict = "met" if row["target_met"] else "NOT met"
            print(
                f"  shortest path, {row['pairs']} random pairs ({row['connected']} connected, "
                f"mean {row['mean_hops']} hops):"
            )
            print(
                f"      p50 {row['p50_ms']:.2f} ms   p95 {row['p95_ms']:.2f} ms   p99 {row['p99_ms']:.2f} ms   "
                f"max {row['max_ms']:.2f} ms   (CPU p50 {row['cpu_p50_ms']:.2f}, p95 {row['cpu_p95_ms']:.2f} ms)"
                f"   target p95 < {row['target_p95_ms']:.0f} ms: {verdict}"
            )
        elif row["measure"] == "paths_up_to_4_hops":
            print(
                f"  all paths of up to 4 hops, {row['pairs']} pairs within 4 hops (mean {row['mean_paths']} paths):"
            )
            print(
                f"      p50 {row['p50_ms']:.2f} ms   p95 {row['p95_ms']:.2f} ms   p99 {row['p99_ms']:.2f} ms"
            )
        elif row["measure"] == "process":
            print(f"  peak resident memory of the process {row['max_rss_mb']} MB")
    print("Timings are wall-clock on a shared machine; CPU time is given where it helps.")


def main() -> int:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--db", action="store_true", help="Also write to PostgreSQL and time loading from it."
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--json", action="store_true", help="One JSON object per line instead of a table.")
    args = parser.parse_args()
    if args.nodes < 2 or args.edges < 1 or args.pairs < 1:
        parser.error("--nodes must be at least 2, --edges and --pairs at least 1")
    report(run(args), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
