"""Every benchmark of bench/ in one go, then bench/REPORT.md with a table per benchmark and PNG plots.

Run: .venv/bin/python bench/run_all.py [--quick] [--only ussd,smpp] [--skip-postgresql] [--soak FILE.json]

Sections:
1. one node on SQLite: menus.py (pure, no store), core_ops.py, ussd.py, smpp.py, sip.py, events.py,
   http_limits.py (the HTTP port's rate limit and login lock-out);
2. one node on PostgreSQL: the same gateway benchmarks with `GATEWAY_DB` set to a fresh database
   on the PostgreSQL of TEST_PG_URL (created for each benchmark and dropped after), and
   core_ops.py's PostgreSQL rows;
3. two nodes on PostgreSQL + Redis: bench/multinode.py (its own redis-server and database), one
   node beside two, with the USSD ceiling of this run beside them.

Every benchmark's own output streams to this terminal as it runs, prefixed with its name; its
final table goes into the report beside the bare-protocol ceiling it measured in the same run
(USSD: a twisted.web constant responder; SMPP: a Twisted submit_sm_resp responder; SIP: this
script runs sipp's built-in UAC against sipp's built-in UAS at the same rates). `--soak` puts a
bench/soak.py result (its `--json` file) into the report. Plots need matplotlib (the `bench`
extra: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))  # bench.soak, for judging a soak result
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

FULL = {
    "menus": ["bench/menus.py"],
    "core_ops": ["-m", "bench.core_ops", "--ops", "2000"],
    "ussd": ["bench/ussd.py", "--seconds", "5", "--levels", "1,100,1000", "--memory", "20000"],
    "smpp": ["bench/smpp.py", "--client", "smpplib", "--seconds", "3", "--windows", "1,10,50,100"],
    "sip": ["bench/sip.py", "--calls", "1000", "--rates", "100,200,400", "--probes", "60", "--load-seconds", "10"],
    "events": ["bench/events.py", "--messages", "200", "--watchers", "1,100,500"],
    "multinode": ["bench/multinode.py", "--dialogues", "200", "--messages", "50"],
    "http_limits": ["bench/http_limits.py", "--requests", "3000", "--workers", "8"],
}
QUICK = {
    "menus": ["bench/menus.py", "--steps", "20000"],
    "core_ops": ["-m", "bench.core_ops", "--ops", "200"],
    "ussd": ["bench/ussd.py", "--seconds", "1", "--levels", "1,10", "--memory", "1000"],
    "smpp": ["bench/smpp.py", "--client", "smpplib", "--seconds", "0.5", "--windows", "1,10"],
    "sip": ["bench/sip.py", "--calls", "50", "--rates", "50", "--probes", "5", "--load-seconds", "2"],
    "events": ["bench/events.py", "--messages", "20", "--watchers", "1,10"],
    "multinode": ["bench/multinode.py", "--dialogues", "10", "--messages", "5"],
    "http_limits": ["bench/http_limits.py", "--requests", "300", "--workers", "4"],
}
GATEWAY_BENCHES = ("ussd", "smpp", "sip", "events")  # they start a gateway: run again on PostgreSQL
TWO_NODES = "multinode"  # its own PostgreSQL database and redis-server: run once, for the last section


# -- running ------------------------------------------------------------------------------------


def run(name: str, args: list[str], env: dict[str, str] | None = None, label: str = "") -> tuple[str, float]:
    """Run one benchmark, streaming its lines as progress; returns its whole output and seconds."""
    tag = f"[{name}{'/' + label if label else ''}]"
    print(f"{tag} starting: {' '.join(args)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}, text=True)
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        print(f"{tag} {line}", end="", flush=True)
    code = process.wait()
    seconds = time.monotonic() - started
    print(f"{tag} done in {seconds:.0f} s (exit {code})", flush=True)
    if code:
        lines.append(f"\n(exit status {code})\n")
    return "".join(lines), seconds


class PostgresDatabase:
    """A fresh database on the PostgreSQL of TEST_PG_URL, dropped on exit."""

    def __enter__(self) -> str:
        import sqlalchemy

        self.name = "bench_" + uuid.uuid4().hex[:10]
        self.admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{self.name}"'))
        return sqlalchemy.engine.make_url(PG_ADMIN_URL).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        import sqlalchemy

        with self.admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sip_ceiling(rates: list[int], calls: int) -> list[dict]:
    """sipp's built-in UAC against its built-in UAS (INVITE, 200, ACK, BYE, no media): calls set up
    per second and INVITE-to-200 time at each rate, the SIP figure's bare ceiling."""
    if shutil.which("sipp") is None:
        return []
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for rate in rates:
            uas_port = free_port()
            uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin"],
                                   cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stat = f"c{rate}"
            started = time.monotonic()
            uac = subprocess.run(
                ["sipp", f"127.0.0.1:{uas_port}", "-sn", "uac", "-i", "127.0.0.1", "-p", str(free_port()),
                 "-r", str(rate), "-l", "200", "-m", str(calls), "-nostdin", "-trace_stat", "-stf", f"{stat}.csv",
                 "-fd", "1", "-trace_rtt", "-rtt_freq", "1", "-timeout", "120s"],
                cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            elapsed = time.monotonic() - started
            uas.terminate()
            uas.wait(timeout=10)
            ok, failed, sipp_elapsed, times = _sipp_stats(Path(workdir), stat)
            rows.append({"rate": rate, "calls": calls, "ok": ok, "failed": failed,
                         "per_second": ok / (sipp_elapsed or elapsed), "p50": _pct(times, 0.5),
                         "p99": _pct(times, 0.99), "exit": uac.returncode})
            print(f"[sip-ceiling] {rate} calls/s offered: {rows[-1]['per_second']:.0f} set up/s, "
                  f"INVITE->200 p50 {rows[-1]['p50']:.1f} ms", flush=True)
    return rows


def _sipp_stats(workdir: Path, stat: str) -> tuple[int, int, float, list[float]]:
    import csv

    with open(workdir / f"{stat}.csv", newline="") as handle:
        last = list(csv.DictReader(handle, delimiter=";"))[-1]
    hours, minutes, rest = last["ElapsedTime(C)"].split(":")
    seconds, _, micro = rest.partition(":")
    elapsed = int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(micro or 0) / 1e6
    times: list[float] = []
    for path in workdir.glob("*_rtt.csv"):
        with open(path, newline="") as handle:
            times += [float(r["response_time_ms"]) for r in csv.DictReader(handle, delimiter=";")
                      if r.get("response_time_ms")]
    for path in workdir.glob("*_rtt.csv"):
        path.unlink()
    return int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]), elapsed, times


def _pct(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- reading the benchmarks' tables ---------------------------------------------------------------


def markdown_tables(output: str) -> list[list[str]]:
    """Each markdown table the benchmark printed, as its lines."""
    tables, current = [], []
    for line in output.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def rows_of(table: list[str]) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]


def ussd_figures(output: str) -> list[dict]:
    """transport, handsets, dialogues/s, step p50/p99 from ussd.py's table."""
    for table in markdown_tables(output):
        if table[0].startswith("| transport"):
            return [{"transport": r[0], "handsets": int(r[1]), "rate": float(r[2]), "p50": float(r[3]),
                     "p99": float(r[4])} for r in rows_of(table)]
    return []


SMPP_ROW = re.compile(r"^\s*(\d+)\s+(yes|no)\s+\|\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+\|\s+(\d+)\s+([\d.]+)\s+([\d.]+)"
                      r"\s+\|\s+[\d.]+\s+\|\s+(?:(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+)?\s*\|\s+(\d+)")


def smpp_figures(output: str) -> list[dict]:
    figures = []
    for line in output.splitlines():
        m = SMPP_ROW.match(line)
        if m:
            figures.append({"window": int(m[1]), "receipts": m[2] == "yes", "rate": float(m[3]), "p50": float(m[4]),
                            "p99": float(m[5]), "ceiling_rate": float(m[6]), "ceiling_p50": float(m[7]),
                            "ceiling_p99": float(m[8]), "same_work_rate": float(m[9]) if m[9] else None,
                            "same_work_p99": float(m[11]) if m[11] else None, "cpu_us": float(m[12])})
    return figures


CORE_ROW = re.compile(r"^(sqlite|postgresql)\s+(.+?)\s+(\d+)\s+(\d+)(?:\s+([\d.]+))?\s*$")


def core_figures(output: str) -> list[dict]:
    figures = []
    for line in output.splitlines():
        m = CORE_ROW.match(line)
        if m:
            figures.append({"backend": m[1], "operation": m[2].strip(), "count": int(m[3]), "rate": float(m[4]),
                            "median_ms": float(m[5]) if m[5] else None})
    return figures


def sip_figures(output: str) -> tuple[list[dict], list[dict]]:
    setup, dtmf = [], []
    for table in markdown_tables(output):
        if table[0].startswith("| offered"):
            setup = [{"rate": _num(r[0]), "calls": int(r[1]), "failed": int(r[2]), "per_second": _num(r[3]),
                      "p50": _num(r[4]), "p99": _num(r[5])} for r in rows_of(table)]
        elif table[0].startswith("| background"):
            dtmf = [{"load": r[0], "key": r[1], "p50": _num(r[2]), "p99": _num(r[3])} for r in rows_of(table)]
    return setup, dtmf


def _num(cell: str) -> float:
    """A figure from a table cell; `<1` (below the tool's resolution) reads as its bound."""
    return float(cell.lstrip("<"))


EVENT_ROW = re.compile(r"^(.+?): median ([\d.]+) ms, p95 ([\d.]+) ms, max ([\d.]+) ms")


def events_figures(output: str) -> list[dict]:
    return [{"what": m[1], "median": float(m[2]), "p95": float(m[3]), "max": float(m[4])}
            for m in (EVENT_ROW.match(line) for line in output.splitlines()) if m]


def last_lines(output: str, count: int) -> str:
    lines = [line for line in output.rstrip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])


# -- the report ---------------------------------------------------------------------------------


def plots(results: dict, out: Path) -> list[str]:
    """PNG files next to the report; their names."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install -e '.[bench]'): no plots", flush=True)
        return []
    made = []
    stores = [s for s in ("sqlite", "postgresql") if s in results]

    ussd = {s: ussd_figures(results[s].get("ussd", "")) for s in stores}
    if any(ussd.values()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for store, figures in ussd.items():
            for transport in ("http", "smpp"):
                rows = [f for f in figures if f["transport"] == transport]
                if rows:
                    xs = [r["handsets"] for r in rows]
                    left.plot(xs, [r["rate"] for r in rows], marker="o", label=f"{transport}, {store}")
                    right.plot(xs, [r["p99"] for r in rows], marker="o", label=f"{transport}, {store}")
            ceiling = [f for f in figures if f["transport"] == "ceiling"]
            if ceiling:
                xs = [r["handsets"] for r in ceiling]
                left.plot(xs, [r["rate"] for r in ceiling], "k--", marker="x", label=f"ceiling ({store} run)")
                right.plot(xs, [r["p99"] for r in ceiling], "k--", marker="x", label=f"ceiling ({store} run)")
        _axes(left, "concurrent handsets", "dialogues/s", "USSD throughput", log=True)
        _axes(right, "concurrent handsets", "step p99 ms", "USSD step latency (p99)", log=True)
        made.append(_save(fig, out / "ussd.png"))

    smpp = {s: smpp_figures(results[s].get("smpp", "")) for s in stores}
    if any(smpp.values()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for store, figures in smpp.items():
            for receipts in (False, True):
                rows = [f for f in figures if f["receipts"] == receipts]
                if rows:
                    label = f"{store}, {'receipts' if receipts else 'no receipts'}"
                    left.plot([r["window"] for r in rows], [r["rate"] for r in rows], marker="o", label=label)
                    right.plot([r["window"] for r in rows], [r["p99"] for r in rows], marker="o", label=label)
            rows = [f for f in figures if not f["receipts"]]
            if rows:
                left.plot([r["window"] for r in rows], [r["ceiling_rate"] for r in rows], "k--", marker="x",
                          label=f"ceiling ({store} run)")
                right.plot([r["window"] for r in rows], [r["ceiling_p99"] for r in rows], "k--", marker="x",
                           label=f"ceiling ({store} run)")
        _axes(left, "window (outstanding submit_sm)", "submit_sm/s", "SMPP throughput", log=True)
        _axes(right, "window (outstanding submit_sm)", "submit_sm_resp p99 ms", "SMPP latency (p99)", log=True)
        made.append(_save(fig, out / "smpp.png"))

    core = core_figures(results.get("sqlite", {}).get("core_ops", ""))
    if core:
        fig, axis = plt.subplots(figsize=(8, 4))
        operations = [f["operation"] for f in core if f["backend"] == "sqlite"]
        for i, backend in enumerate(("sqlite", "postgresql")):
            rates = {f["operation"]: f["rate"] for f in core if f["backend"] == backend}
            axis.bar([j + i * 0.4 for j in range(len(operations))], [rates.get(o, 0) for o in operations], 0.4,
                     label=backend)
        axis.set_xticks([j + 0.2 for j in range(len(operations))], operations, rotation=20)
        _axes(axis, "", "operations/s", "Money core, one transaction per operation")
        made.append(_save(fig, out / "core_ops.png"))

    sip = {s: sip_figures(results[s].get("sip", "")) for s in stores}
    ceiling = results.get("sip_ceiling") or []
    if any(setup for setup, _ in sip.values()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for store, (setup, dtmf) in sip.items():
            if setup:
                left.plot([r["rate"] for r in setup], [r["per_second"] for r in setup], marker="o", label=store)
            if dtmf:
                labels = [f"{r['load']}\n{r['key'].split()[0]}" for r in dtmf]
                right.plot(labels, [r["p99"] for r in dtmf], marker="o", label=f"{store} p99")
                right.plot(labels, [r["p50"] for r in dtmf], marker=".", linestyle=":", label=f"{store} p50")
        if ceiling:
            left.plot([r["rate"] for r in ceiling], [r["per_second"] for r in ceiling], "k--", marker="x",
                      label="sipp UAC→UAS ceiling")
        _axes(left, "offered calls/s", "calls set up/s", "SIP call set-up")
        _axes(right, "", "DTMF→prompt ms", "DTMF to next prompt")
        made.append(_save(fig, out / "sip.png"))

    events = {s: events_figures(results[s].get("events", "")) for s in stores}
    if any(events.values()):
        fig, axis = plt.subplots(figsize=(9, 4))
        width = 0.8 / max(1, len(events))
        whats = [e["what"] for e in next(v for v in events.values() if v)]
        for i, (store, figures) in enumerate(events.items()):
            medians = {e["what"]: e["median"] for e in figures}
            axis.bar([j + i * width for j in range(len(whats))], [medians.get(w, 0) for w in whats], width,
                     label=f"{store} median")
        axis.set_xticks([j + width / 2 for j in range(len(whats))], [w.replace(": ", "\n") for w in whats], fontsize=7)
        _axes(axis, "", "ms", "Live events latency (median)")
        made.append(_save(fig, out / "events.png"))

    soak = results.get("soak")
    if soak:
        rows = soak["rows"]
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        minutes = [r["minute"] for r in rows]
        left.plot(minutes, [r["rss_mib"] for r in rows], marker="o")
        left.set_ylim(0, max(r["rss_mib"] for r in rows) * 1.2)
        for kind in ("ussd_step", "sms_submit", "api_get"):
            right.plot(minutes, [r[kind]["p50"] for r in rows], marker="o", label=f"{kind} p50")
            right.plot(minutes, [r[kind]["p99"] for r in rows], linestyle=":", label=f"{kind} p99")
        _axes(left, "minute", "RSS MiB", "Soak: gateway memory")
        _axes(right, "minute", "ms", "Soak: latency")
        right.set_yscale("log")
        made.append(_save(fig, out / "soak.png"))
    return made


def _axes(axis, xlabel: str, ylabel: str, title: str, log: bool = False) -> None:
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    if log:
        axis.set_xscale("log")
        axis.set_yscale("log")
    axis.grid(True, alpha=0.3)
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=7)


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"plot: {path}", flush=True)
    return path.name


def report(results: dict, pngs: list[str]) -> str:
    out = ["# Benchmark report", ""]
    out += [f"Written by `bench/run_all.py{' --quick' if results.get('_quick') else ''}`; the benchmarks finished "
            f"{results.get('_when', '?')} and took {results.get('_total_seconds', 0):.0f} s in all. "
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; the load, "
            "the ceilings and the gateway share these CPUs (and other work ran on the machine at the same "
            "time), so compare rows of one run and each figure with its ceiling, not with other machines.", ""]
    out += ["Ceilings, measured in the same run: USSD — the same HTTP pattern against a twisted.web resource "
            "answering a constant JSON; SMPP — a Twisted protocol answering submit_sm_resp with a constant id (and, for the rows with receipts, the same sending one constant receipt per submit_sm as well); "
            "SIP — sipp's built-in UAC against sipp's built-in UAS (no store, no prompts, no media; its set-up "
            "rate is bounded by the offered rate, so it shows where the gateway falls behind). The money "
            "core, the menu engine and the live events have no bare protocol below them; their figures stand "
            "alone (the core's are SQLite beside PostgreSQL).", ""]
    if pngs:
        out += ["Plots: " + ", ".join(f"[{p}]({p})" for p in pngs), ""]
    sections = [("sqlite", "One node on SQLite"), ("postgresql", "One node on PostgreSQL")]
    for store, title in sections:
        if store not in results:
            continue
        section = results[store]
        out += [f"## {title}", ""]
        if store == "postgresql":
            out += [f"Each gateway benchmark ran against a fresh database on PostgreSQL ({_host(PG_ADMIN_URL)}, "
                    "the machine's server, `GATEWAY_DB`), four store threads.", ""]
        for name in ("menus", "core_ops", "ussd", "smpp", "sip", "events", "http_limits"):
            if name not in section:
                continue
            output = section[name]
            out += [f"### {name}" + (f" ({section['_seconds'][name]:.0f} s)" if name in section["_seconds"] else ""),
                    ""]
            out += _bench_table(name, store, output, results)
            out.append("")
    out += ["## Two nodes on PostgreSQL + Redis", ""]
    out += _two_nodes(results)
    soak = results.get("soak")
    out += ["## Soak", ""]
    if soak:
        out += _soak_section(soak)
    else:
        out += ["No soak result given (`bench/soak.py --json FILE`, then `run_all.py --soak FILE`).", ""]
    return "\n".join(out) + "\n"


def _host(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port or 5432}"


def _bench_table(name: str, store: str, output: str, results: dict) -> list[str]:
    if name == "menus":
        return ["```", last_lines(output, 3), "```"]
    if name == "http_limits":  # the HTTP door (rate limit, login lock-out): its own table, as printed
        tables = markdown_tables(output)
        notes = [line for line in output.splitlines() if line.startswith("R05 brute force")]
        if not tables:
            return ["```", last_lines(output, 16), "```"]
        return [line for t in tables for line in [*t, ""]] + notes
    if name == "core_ops":
        rows = [f for f in core_figures(output) if f["backend"] == store]
        lines = ["| operation | count | op/s | median ms |", "|---|---:|---:|---:|"]
        lines += [f"| {f['operation']} | {f['count']} | {f['rate']:.0f} | {_ms(f['median_ms'])} |" for f in rows]
        return lines if rows else ["```", last_lines(output, 14), "```"]
    if name == "ussd":
        figures = ussd_figures(output)
        if not figures:
            return ["```", last_lines(output, 20), "```"]
        ceiling = {f["handsets"]: f for f in figures if f["transport"] == "ceiling"}
        lines = ["| transport | handsets | dialogues/s | step p50 ms | step p99 ms | ceiling dialogues/s | "
                 "ceiling p50 ms | share of ceiling |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for f in figures:
            if f["transport"] == "ceiling":
                continue
            c = ceiling.get(f["handsets"])
            lines.append(f"| {f['transport']} | {f['handsets']} | {f['rate']:.0f} | {f['p50']:.2f} | {f['p99']:.2f} | "
                         + (f"{c['rate']:.0f} | {c['p50']:.2f} | {f['rate'] / c['rate']:.2f} |" if c else "| | |"))
        memory = [line for line in output.splitlines() if line.startswith("memory per open dialogue")]
        return lines + ([""] + memory if memory else [])
    if name == "smpp":
        figures = smpp_figures(output)
        if not figures:
            return ["```", last_lines(output, 12), "```"]
        lines = ["| window | receipts | submit_sm/s | p50 ms | p99 ms | ceiling/s | ceiling p50 ms | ceiling p99 ms | "
                 "share of ceiling | ceiling with receipts/s | its p99 ms | share of it | gateway CPU µs/msg |",
                 "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for f in figures:
            same = f["same_work_rate"]
            lines.append(f"| {f['window']} | {'yes' if f['receipts'] else 'no'} | {f['rate']:.0f} | {f['p50']:.2f} | "
                         f"{f['p99']:.2f} | {f['ceiling_rate']:.0f} | {f['ceiling_p50']:.2f} | {f['ceiling_p99']:.2f} | "
                         f"{f['rate'] / f['ceiling_rate']:.3f} | " + (f"{same:.0f} | {f['same_work_p99']:.2f} | {f['rate'] / same:.3f}" if same else " |  | ")
                         + f" | {f['cpu_us']:.0f} |")
        lines += ["", "Client: smpplib, one transceiver (the client the issue's ceiling is defined with). With receipts "
                  "the client also reads and answers a deliver_sm per message; the second ceiling is the bare "
                  "responder sending one receipt per submit_sm too, the same work for the client."]
        return lines
    if name == "sip":
        setup, dtmf = sip_figures(output)
        if not setup:
            return ["```", last_lines(output, 16), "```"]
        ceiling = {r["rate"]: r for r in results.get("sip_ceiling") or []}
        lines = ["| offered calls/s | calls | failed | set up/s | INVITE→200 p50 ms | p99 ms | ceiling set up/s | "
                 "ceiling p50 ms |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in setup:
            c = ceiling.get(r["rate"])
            lines.append(f"| {r['rate']:.0f} | {r['calls']} | {r['failed']} | {r['per_second']:.0f} | {_whole(r['p50'])} | "
                         f"{_whole(r['p99'])} | " + (f"{c['per_second']:.0f} | {_whole(c['p50'])} |" if c else "| |"))
        lines += ["", "| background load | key | DTMF→prompt p50 ms | p99 ms |", "|---|---|---:|---:|"]
        lines += [f"| {r['load']} | {r['key']} | {r['p50']} | {r['p99']} |" for r in dtmf]
        return lines
    if name == "events":
        figures = events_figures(output)
        if not figures:
            return ["```", last_lines(output, 8), "```"]
        lines = ["| measure | median ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
        lines += [f"| {f['what']} | {f['median']} | {f['p95']} | {f['max']} |" for f in figures]
        return lines
    return ["```", last_lines(output, 20), "```"]


def _two_nodes(results: dict) -> list[str]:
    output = results.get("two_nodes")
    if not output:
        return ["Not measured in this run (`bench/multinode.py` missing, or `--skip-postgresql`).", ""]
    tables = [t for t in markdown_tables(output) if t[0].startswith("| configuration")]
    out = ["`bench/multinode.py`: a private redis-server and a fresh PostgreSQL database; dialogues one after "
           "another (one handset), one node alone, then two nodes with each step sent to the other node than "
           "the step before; an SMS's event on a WebSocket on the same node and on the other node.", ""]
    out += tables[-1] if tables else ["```", last_lines(output, 12), "```"]
    ceiling = [f for f in ussd_figures(results.get("postgresql", {}).get("ussd", "")) if f["transport"] == "ceiling"]
    if ceiling:
        one = ceiling[0]
        out += ["", f"Bare ceiling from this run (`ussd.py`'s twisted.web constant responder, {one['handsets']} "
                    f"handset{'s' if one['handsets'] > 1 else ''}): {one['rate']:.0f} dialogues/s, request p50 "
                    f"{one['p50']:.2f} ms, p99 {one['p99']:.2f} ms."]
    return out + [""]


def _whole(ms: float) -> str:
    """sipp times are whole milliseconds: 0 means under one."""
    return "<1" if ms < 1 else f"{ms:.0f}"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _soak_section(soak: dict) -> list[str]:
    rates = soak["rates"]
    rows = soak["rows"]
    minutes = len(rows)
    out = [f"`bench/soak.py --minutes {soak['minutes']:g}` on {soak['store']}: {minutes} one-minute samples "
           f"({'the full 30 minutes' if minutes >= 30 else f'{minutes} minutes, not the 30 the issue asks for'}). "
           f"Steady offered load: {rates['ussd']:g} USSD dialogues/s (3 HTTP requests each), {rates['sms']:g} "
           f"submit_sm/s with receipts (smpplib, one transceiver), {rates['api']:g} API reads/s, over "
           f"{soak['handsets']} subscribers. Ran while other work used the machine.", ""]
    if soak.get("note"):
        out += [soak["note"], ""]
    out += ["| minute | RSS MiB | USSD steps | p50 ms | p99 ms | submit_sm | p50 ms | p99 ms | API reads | p50 ms | "
            "p99 ms | errors | load avg |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = " | ".join(f"{r[k]['n']} | {r[k]['p50']:.1f} | {r[k]['p99']:.1f}"
                           for k in ("ussd_step", "sms_submit", "api_get"))
        load = f"{r['load1']:.1f}" if "load1" in r else ""
        out.append(f"| {r['minute']} | {r['rss_mib']:.1f} | {cells} | {r['errors']} | {load} |")
    from bench.soak import verdict  # judged again here, so the rule is the one of this checkout

    lines, flat = verdict(rows)
    out += ["", "Verdict (least-squares trend over the minutes after the first, the first being warm-up; a series "
            "passes when it grows by less than 10 % of its mean over the run; p99 is shown, not judged):", ""]
    out += [f"- {line}" for line in lines]
    out += ["", f"**{'FLAT' if flat else 'NOT FLAT'}** over {minutes} minutes.", ""]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of this script)")
    parser.add_argument("--only", help="comma-separated benchmarks (default: all)")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--soak", help="a bench/soak.py --json result to include")
    parser.add_argument("--out", default=str(BENCH / "REPORT.md"))
    parser.add_argument("--results", default=os.path.join(tempfile.gettempdir(), "bench-run-all.json"),
                        help="where the benchmarks' raw outputs are kept (default: %(default)s)")
    parser.add_argument("--report-only", action="store_true", help="write the report from --results, run nothing")
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        results = json.loads(Path(args.results).read_text())
        if args.soak:
            results["soak"] = json.loads(Path(args.soak).read_text())
        out = Path(args.out)
        out.write_text(report(results, plots(results, out.parent)), encoding="utf-8")
        print(f"report: {out}", flush=True)
        return 0
    plan = QUICK if args.quick else FULL
    names = [n for n in plan if not args.only or n in args.only.split(",")]
    started = time.monotonic()
    results: dict = {"sqlite": {"_seconds": {}}}
    if args.soak:  # read first: a bad file fails before the long runs
        results["soak"] = json.loads(Path(args.soak).read_text())
    total = len(names) + (0 if args.skip_postgresql else len([n for n in names if n in GATEWAY_BENCHES]))
    step = 0
    for name in names:
        if name == TWO_NODES:
            continue
        step += 1
        print(f"=== {step}/{total} {name} on SQLite", flush=True)
        results["sqlite"][name], results["sqlite"]["_seconds"][name] = run(name, plan[name], label="sqlite")
    if "sip" in names:
        setup = FULL["sip"] if not args.quick else QUICK["sip"]
        rates = [int(r) for r in setup[setup.index("--rates") + 1].split(",")]
        calls = int(setup[setup.index("--calls") + 1])
        print("=== SIP ceiling: sipp UAC -> sipp UAS", flush=True)
        results["sip_ceiling"] = sip_ceiling(rates, calls)
    if not args.skip_postgresql:
        results["postgresql"] = {"_seconds": {}}
        if "core_ops" in names:  # it measured both stores in one go
            results["postgresql"]["core_ops"] = results["sqlite"]["core_ops"]
        for name in names:
            if name not in GATEWAY_BENCHES:
                continue
            step += 1
            print(f"=== {step}/{total} {name} on PostgreSQL", flush=True)
            with PostgresDatabase() as url:
                output, seconds = run(name, plan[name], env={"GATEWAY_DB": url}, label="postgresql")
            results["postgresql"][name], results["postgresql"]["_seconds"][name] = output, seconds
    if TWO_NODES in names and not args.skip_postgresql:
        step += 1
        print(f"=== {step}/{total} two nodes on PostgreSQL + Redis", flush=True)
        results["two_nodes"], _ = run(TWO_NODES, plan[TWO_NODES], label="postgresql+redis")
    results.update(_quick=args.quick, _total_seconds=time.monotonic() - started,
                   _when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    Path(args.results).write_text(json.dumps({k: v for k, v in results.items() if k != "soak"}))
    print(f"raw outputs: {args.results}", flush=True)
    out = Path(args.out)
    pngs = plots(results, out.parent)
    out.write_text(report(results, pngs), encoding="utf-8")
    print(f"report: {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
