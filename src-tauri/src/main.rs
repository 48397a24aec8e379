//! The Caseboard window. This crate only wires Tauri to cb-api: each `#[tauri::command]`
//! parses its input, calls one cb-api function and returns its (wire) type. Commands are in
//! files named after what they do; `state.rs` holds the open case, `config.rs` the window's
//! own small memory, `bindings.rs` the TypeScript bindings freshness test.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod case;
mod config;
mod export;
mod import;
mod map;
mod queue;
mod reading;
mod rootcause;
mod state;
mod switcher;
mod triage;

/// mimalloc, as in the command line: an import's records are allocated on its parsing thread
/// and freed on its writing thread, which glibc's malloc serialises on an arena lock.
/// Without transparent huge pages (`no_thp`): each thread's first touch of a 2 MiB page
/// zeroed all of it, a third of a small EVTX import's time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tauri::Manager;

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state::AppState::default())
        .setup(|app| {
            let dir = std::env::var_os("CASEBOARD_CONFIG_DIR")
                .map(std::path::PathBuf::from)
                .or_else(|| app.path().app_config_dir().ok());
            *app.state::<state::AppState>()
                .config_dir
                .lock()
                .expect("fresh lock") = dir;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            case::app_start,
            case::open_case,
            case::create_case,
            case::case_info_cmd,
            case::remember_investigation,
            case::report,
            reading::queue,
            queue::queue_view,
            queue::incident_remediation,
            queue::entity_names,
            queue::incident_edit,
            reading::node_detail,
            reading::technique_names,
            reading::search,
            reading::sources,
            reading::verify,
            map::map_queries,
            map::investigation_start,
            map::investigation_get,
            map::investigation_apply,
            map::investigation_undo,
            map::investigation_redo,
            map::find_path,
            switcher::investigation_list,
            switcher::investigation_new,
            switcher::investigation_rename,
            switcher::investigation_delete,
            switcher::group_members,
            switcher::node_overview,
            switcher::node_timeline,
            triage::triage,
            triage::triage_state,
            triage::mark_related,
            triage::activity,
            import::import_candidates,
            import::import_file,
            import::import_cancel,
            export::save_file,
            rootcause::trace,
            rootcause::trace_forward,
            rootcause::process_tree,
            rootcause::story,
            rootcause::export_pdf,
            rootcause::export_report,
            rootcause::skip_report,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Caseboard window");
}
