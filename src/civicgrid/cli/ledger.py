"""``civicgrid ledger`` — 上链存证: signed tree heads, proofs, whole-log verification.

JSON goes to standard output (or ``--output``), messages to standard error. Exit codes: 0 when
everything checks out, 1 when the log or a proof does not verify (the first bad entry is named),
2 when the request itself is wrong (unknown index, unreadable file).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicgrid.cli.common import err_console, session_scope
from civicgrid.config import get_settings
from civicgrid.errors import CivicgridError
from civicgrid.ledger import service
from civicgrid.ledger.audit import VerifyReport
from civicgrid.ledger.signing import Signer, signer_for
from civicgrid.ledger.store import get_head
from civicgrid.ledger.verify import (
    VerificationError,
    verify_bundle,
    verify_consistency_bundle,
    verify_sth,
)

app = typer.Typer(
    help="上链存证 Tamper-evident ledger: signed tree heads, proofs, verification.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", help="Write the JSON here, not to stdout.")


def _signer() -> Signer:
    return signer_for(get_settings())


def _emit(data: Any, output: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        err_console.print(f"written to {output}")


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    return typer.Exit(code)


@app.command("sth")
def sth_cmd(db: str | None = DB_OPTION, output: Path | None = OUTPUT_OPTION) -> None:
    """Print the newest signed tree head (and keep it for later audits)."""
    with session_scope(db) as session:
        head = service.current_sth(session, signer=_signer())
    _emit(head.to_json(), output)


@app.command("public-key")
def public_key_cmd(output: Path | None = OUTPUT_OPTION) -> None:
    """Print the Ed25519 public key that signs tree heads (give it to auditors)."""
    _emit(_signer().public_key_json(), output)


@app.command("proof")
def proof_cmd(
    index: int = typer.Option(..., "--index", min=0, help="Leaf index, from 0."),
    tree_size: int | None = typer.Option(None, "--tree-size", help="Prove against this size."),
    db: str | None = DB_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Print an entry, its inclusion proof and the signed tree head it leads to."""
    try:
        with session_scope(db) as session:
            bundle = service.entry_bundle(
                session, index=index, tree_size=tree_size, signer=_signer()
            )
    except CivicgridError as exc:
        raise _fail(exc.message, 2) from exc
    _emit(bundle, output)


@app.command("consistency")
def consistency_cmd(
    old_size: int = typer.Option(..., "--old-size", min=1, help="The older tree size."),
    new_size: int | None = typer.Option(None, "--new-size", help="The newer size (default: now)."),
    db: str | None = DB_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Print a proof that the log at --old-size is a prefix of the log at --new-size."""
    try:
        with session_scope(db) as session:
            bundle = service.consistency_bundle(
                session, old_size=old_size, new_size=new_size, signer=_signer()
            )
    except CivicgridError as exc:
        raise _fail(exc.message, 2) from exc
    _emit(bundle, output)


def _write_problems(path: Path, report: VerifyReport) -> None:
    header = ["kind", "index", "end", "message"]
    rows = [[p.kind, p.index, p.end, p.message] for p in report.problems]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for row in rows:
            ws.append(["" if c is None else c for c in row])
        wb.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@app.command("verify")
def verify_cmd(
    db: str | None = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    report_file: Path | None = typer.Option(
        None, "--report", help="Also write the problems to a .csv or .xlsx file."
    ),
) -> None:
    """Recompute the whole log from the stored rows; exit 1 naming the first bad entry."""
    public_key = _signer().public_key
    with session_scope(db) as session:
        total = get_head(session).tree_size
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as bar:
            task = bar.add_task("verify", total=total)
            report = service.verify_log(
                session,
                public_key=public_key,
                progress=lambda done: bar.update(task, completed=done),
            )
    if report_file is not None:
        _write_problems(report_file, report)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        err_console.print(
            f"{report.entries_checked} entries, {report.events_checked} event records "
            f"({report.events_erased} erased), {report.sths_checked} signed heads checked"
            + (f", {report.sths_skipped} skipped" if report.sths_skipped else "")
        )
    first = report.first_problem
    if first is not None:
        where = f"first bad entry: {first.index}" if first.index is not None else "log head"
        raise _fail(f"{where} — {first.message} ({report.problem_count} problems)", 1)
    if not as_json:
        err_console.print(f"[green]ledger verified: {report.tree_size} entries[/green]")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"{path}: {exc}", 2) from exc


def _read_key(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: {exc}", 2) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare base64 key


@app.command("verify-proof")
def verify_proof_cmd(
    bundle_file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="Output of `ledger proof`, `ledger consistency`"
        " or `ledger sth` (or the same JSON from the API).",
    ),
    public_key: Path = typer.Option(
        ...,
        "--public-key",
        exists=True,
        dir_okay=False,
        help="The log's public key: output of `ledger public-key`, or bare base64.",
    ),
    old_sth: Path | None = typer.Option(
        None,
        "--old-sth",
        exists=True,
        dir_okay=False,
        help="For a consistency proof: the signed tree head you kept earlier.",
    ),
) -> None:
    """Check a proof offline, with the public key alone (no database)."""
    bundle, key = _read_json(bundle_file), _read_key(public_key)
    try:
        if isinstance(bundle, dict) and "consistency" in bundle:
            if old_sth is None:
                raise _fail("a consistency proof needs --old-sth", 2)
            result = str(verify_consistency_bundle(_read_json(old_sth), bundle, key))
        elif isinstance(bundle, dict) and "inclusion_proof" in bundle:
            result = str(verify_bundle(bundle, key))
        else:
            head = verify_sth(bundle, key)
            result = f"signed tree head of size {head.tree_size} is genuine"
    except VerificationError as exc:
        raise _fail(f"NOT VERIFIED: {exc}", 1) from exc
    err_console.print(f"[green]verified: {escape(result)}[/green]", soft_wrap=True)
