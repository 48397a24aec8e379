//! `caseboard`: the command line over the same use cases as the window (cb-api). Each
//! subcommand parses its arguments, calls one cb-api function and prints the result. `--json`
//! output is a contract (see README); errors are one line on stderr with a non-zero exit.

mod args;
mod cmd_case;
mod cmd_graph;
mod cmd_queue;
mod cmd_rootcause;
mod cmd_trace;
mod cmd_triage;
mod detect;
mod integrity;
mod print;
mod term;

/// mimalloc, not glibc's malloc: an import allocates each record's fields on the parsing
/// thread and frees them on the writing thread, which glibc serialises on its arena lock
/// (~14 % of an import's CPU in malloc and free, and futex wake-ups on top).
/// Without transparent huge pages (`no_thp`): each thread's first touch of a 2 MiB page
/// zeroed all of it, a third of a small EVTX import's time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Result;
use args::{Cli, Cmd};
use clap::Parser;
use std::path::Path;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        let mut msg = e.to_string();
        for cause in e.chain().skip(1) {
            let c = cause.to_string();
            if !msg.contains(&c) {
                msg.push_str(": ");
                msg.push_str(&c);
            }
        }
        eprintln!("caseboard: {}", term::safe(&msg));
        std::process::exit(1);
    }
}

/// Who the audit log names: `CASEBOARD_ANALYST`, else the OS user.
fn actor() -> cb_api::Actor {
    cb_api::Actor::from_env()
}

/// Open a case; what this run writes is signed with the analyst's key (see `integrity`).
fn open(case: &Path) -> Result<cb_api::Case> {
    let mut c = cb_api::Case::open(case, actor())?;
    integrity::sign(&mut c);
    Ok(c)
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Import {
            case,
            files,
            json,
            detect,
            rules,
        } => {
            let rules = if detect {
                Some(rules.settings()?)
            } else {
                None
            };
            cmd_case::import(&case, &files, json, rules)
        }
        Cmd::Detect(a) => detect::run(a),
        Cmd::Stats { case, json } => cmd_case::stats(&case, json),
        Cmd::Sources { case, json } => cmd_case::sources(&case, json),
        Cmd::Verify(a) => integrity::verify(a),
        Cmd::Seal(a) => integrity::seal(a),
        Cmd::Custody(a) => integrity::custody(a),
        Cmd::Export {
            case,
            format,
            node,
            investigation,
            output,
        } => cmd_case::export(&case, format, node, investigation, output),
        Cmd::Demo {
            case,
            fixtures,
            json,
        } => cmd_case::demo(&case, &fixtures, json),
        Cmd::Alerts { case, sort, json } => cmd_queue::alerts(&case, sort, json),
        Cmd::Incidents { case, json } => cmd_queue::incidents(&case, json),
        Cmd::Entities { case, kind, json } => cmd_queue::entities(&case, kind.as_deref(), json),
        Cmd::Show { case, id, json } => cmd_queue::show(&case, &id, json),
        Cmd::Search {
            case,
            query,
            limit,
            offset,
            json,
        } => cmd_queue::search(&case, query, limit, offset, json),
        Cmd::Triage {
            case,
            ids,
            status,
            classification,
            reason,
            severity,
            owner,
            note,
            tags,
            untags,
            json,
        } => {
            let req = cb_api::triage::TriageRequest {
                status,
                classification,
                reason,
                severity,
                owner,
                note,
                add_tags: tags,
                remove_tags: untags,
            };
            cmd_triage::triage(&case, &ids, req, json)
        }
        Cmd::Relate {
            case,
            target,
            entity,
            reason,
        } => cmd_triage::relate(&case, &target, &entity, &reason),
        Cmd::Activity { case, id, json } => cmd_triage::activity(&case, id.as_deref(), json),
        Cmd::Expand {
            case,
            node,
            query,
            limit,
            offset,
            json: _,
        } => cmd_graph::expand(&case, &node, query.as_deref(), limit, offset),
        Cmd::Path {
            case,
            from,
            to,
            max_depth,
            kinds,
            json: _,
        } => cmd_graph::path(&case, &from, &to, max_depth, kinds),
        Cmd::Trace {
            case,
            node,
            max_steps,
            forward,
            json,
        } => cmd_trace::trace(&case, &node, max_steps, forward, json),
        Cmd::Tree { case, node, json } => cmd_rootcause::tree(&case, &node, json),
        Cmd::Story { case, node, json } => cmd_rootcause::story(&case, &node, json),
        Cmd::Correlate {
            case,
            settings,
            json: _,
        } => cmd_graph::correlate(&case, settings.as_deref()),
        Cmd::Incident {
            case,
            action,
            incident,
            alert,
            json: _,
        } => cmd_graph::incident(&case, &action, &incident, &alert),
        Cmd::Investigation { case, cmd } => cmd_graph::investigation(&case, cmd),
    }
}
